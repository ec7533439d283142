"""The browser softphone's cost on the loop that carries it, against a SIP phone's.

kefu side (this process, one asyncio loop): ``--calls`` :class:`BrowserPhone` gateways,
each fed 20 ms µ-law RTP frames by one sender standing in for the media engine, each
sending the browser's audio back as RTP to one sink. Browser side (a child process, not
measured): as many aiortc peers answering kefu's PCMU offers and sending a tone, standing
in for chromium. Peer in the same run: the media engine carrying the same number of SIP
calls (two legs bridged per call, audio both ways), on a loop of its own.

Figures per case, over ``--seconds``: the loop's lateness (a 10 ms sleep, how late it
wakes: p50, p99, max, ms), the CPU this process used (cores), and the share of the
browser's frames that reached the sink. The machine is shared: its load is recorded.

    .venv/bin/python bench/softphone.py [--calls 5,20] [--seconds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import socket
import struct
import sys
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT / "src"))

FRAME = 160
RTP = struct.Struct("!BBHII")


def _browsers(conn: Connection) -> None:
    """The browsers: answer each offer with an aiortc peer sending a 1 kHz tone."""
    import fractions

    import numpy as np
    from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
    from av import AudioFrame

    class Tone(MediaStreamTrack):
        kind = "audio"

        def __init__(self) -> None:
            super().__init__()
            self.n = 0
            self.start = time.monotonic()

        async def recv(self) -> AudioFrame:
            await asyncio.sleep(max(0.0, self.start + self.n * 0.02 - time.monotonic()))
            t = (np.arange(FRAME) + self.n * FRAME) / 8000
            samples = (8000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16).reshape(1, -1)
            frame = AudioFrame.from_ndarray(samples, format="s16", layout="mono")
            frame.sample_rate, frame.pts = 8000, self.n * FRAME
            frame.time_base = fractions.Fraction(1, 8000)
            self.n += 1
            return frame

    async def main() -> None:
        peers = []
        offers: list[str] = conn.recv()
        answers = []
        for sdp in offers:
            pc = RTCPeerConnection()
            peers.append(pc)
            pc.on("track", lambda track: asyncio.ensure_future(_drain(track)))
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            pc.addTrack(Tone())
            await pc.setLocalDescription(await pc.createAnswer())
            answers.append(pc.localDescription.sdp)
        conn.send(answers)
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # until told
        for pc in peers:
            await pc.close()

    async def _drain(track: Any) -> None:
        try:
            while True:
                await track.recv()
        except Exception:
            return

    asyncio.run(main())


async def _lateness(seconds: float) -> list[float]:
    late = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        before = time.monotonic()
        await asyncio.sleep(0.01)
        late.append((time.monotonic() - before - 0.01) * 1000)
    return late


def _figures(late: list[float], cpu_s: float, seconds: float) -> dict[str, Any]:
    late.sort()
    return {
        "lateness_ms_p50": round(late[len(late) // 2], 2),
        "lateness_ms_p99": round(late[int(len(late) * 0.99)], 2),
        "lateness_ms_max": round(late[-1], 2),
        "cores": round(cpu_s / seconds, 3),
    }


async def _feed(socks: socket.socket, targets: list[tuple[str, int]], stop: asyncio.Event) -> None:
    """The engine's side: one µ-law frame per target every 20 ms."""
    payload = b"\x55" * FRAME
    n, start = 0, time.monotonic()
    while not stop.is_set():
        packet = RTP.pack(0x80, 0, n & 0xFFFF, n * FRAME, 7) + payload
        for target in targets:
            socks.sendto(packet, target)
        n += 1
        await asyncio.sleep(max(0.0, start + n * 0.02 - time.monotonic()))


async def browser_case(calls: int, seconds: float) -> dict[str, Any]:
    from kefu.adapters.voice.webrtc import BrowserPhone

    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink.setblocking(False)
    received = 0

    def on_sink() -> None:
        nonlocal received
        while True:
            try:
                sink.recv(2048)
            except BlockingIOError:
                return
            received += 1

    loop = asyncio.get_running_loop()
    loop.add_reader(sink.fileno(), on_sink)
    phones = [BrowserPhone() for _ in range(calls)]
    ports = [await phone.start() for phone in phones]
    for phone in phones:
        phone.connect("127.0.0.1", sink.getsockname()[1])
    offers = [await phone.offer() for phone in phones]
    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.get_context("spawn").Process(target=_browsers, args=(theirs,))
    child.start()
    ours.send(offers)
    answers = await loop.run_in_executor(None, ours.recv)
    for phone, answer in zip(phones, answers, strict=True):
        await phone.answer(answer)
    feeder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stop = asyncio.Event()
    feeding = asyncio.ensure_future(_feed(feeder, [("127.0.0.1", p) for p in ports], stop))
    await asyncio.sleep(3)  # ICE and DTLS settle
    received, cpu = 0, time.process_time()
    late = await _lateness(seconds)
    cpu_s = time.process_time() - cpu
    got = received
    stop.set()
    await feeding
    ours.send("stop")
    for phone in phones:
        await phone.close()
    child.join(20)
    loop.remove_reader(sink.fileno())
    sink.close()
    feeder.close()
    expected = calls * seconds / 0.02
    return {"case": "browser", "calls": calls, **_figures(late, cpu_s, seconds),
            "browser_frames_delivered": round(got / expected, 3)}  # fmt: skip


async def sip_case(calls: int, seconds: float) -> dict[str, Any]:
    """The peer: the media engine carrying *calls* bridged SIP calls (two legs each), each
    leg's phone sending frames at 20 ms."""
    from kefu.adapters.voice.media import MediaEngine

    engine = MediaEngine("127.0.0.1", lambda _event: None)
    await engine.start()
    phones = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    phones.bind(("127.0.0.1", 0))
    phones.setblocking(False)
    loop = asyncio.get_running_loop()
    loop.add_reader(phones.fileno(), lambda: _drain_socket(phones))
    targets = []
    for n in range(calls):
        a, b = f"a{n}", f"b{n}"
        for leg in (a, b):
            targets.append(("127.0.0.1", engine.open_leg(leg)))
            engine.connect(leg, phones.getsockname(), "PCMU", None)
        engine.bridge(a, b)
    stop = asyncio.Event()
    feeding = asyncio.ensure_future(_feed(phones, targets, stop))
    await asyncio.sleep(1)
    cpu = time.process_time()
    late = await _lateness(seconds)
    cpu_s = time.process_time() - cpu
    stop.set()
    await feeding
    loop.remove_reader(phones.fileno())
    await engine.stop()
    phones.close()
    return {"case": "sip", "calls": calls, **_figures(late, cpu_s, seconds)}


def _drain_socket(sock: socket.socket) -> None:
    while True:
        try:
            sock.recv(2048)
        except BlockingIOError:
            return


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", default="5,20")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    runs = []
    for calls in [int(n) for n in args.calls.split(",")]:
        for case in (sip_case, browser_case):
            run = asyncio.run(case(calls, args.seconds))
            print(json.dumps(run), flush=True)
            runs.append(run)
        sip, web = runs[-2], runs[-1]
        ratio = web["cores"] / sip["cores"] if sip["cores"] else None
        print(f"{calls} calls: browser/SIP CPU ratio {ratio and round(ratio, 1)}", flush=True)
    cpu_model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor(),
    )  # fmt: skip
    record = {
        "bench": "softphone",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpu": cpu_model,
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_1min_before": round(load_before, 2),
            "load_1min_after": round(os.getloadavg()[0], 2),
        },
        "seconds": args.seconds,
        "runs": runs,
    }
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"softphone-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}.json"
        path.write_text(json.dumps(record, indent=1) + "\n")
        print(path)
    return record


if __name__ == "__main__":
    main()
