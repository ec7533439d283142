"""The browser softphone's cost on the server's loop: its media in the softphone worker
(kefu now) against the same media on the server's loop (kefu before), and a SIP phone's.

kefu side: ``--calls`` browser phones, each fed 20 ms µ-law RTP frames by one sender on
this process's loop standing in for the media engine, each sending the browser's audio
back as RTP to one sink on this loop. ``browser_loop``: the :class:`BrowserPhone` objects
on this loop, as before the worker; ``browser_worker``: in kefu's
:class:`SoftphoneWorker` process, this loop only relaying the SDP. Browser side (a child
process, not measured): as many aiortc peers answering kefu's PCMU offers and sending a
tone, standing in for chromium. Peer in the same run: the media engine carrying the same
number of SIP calls (two legs bridged per call, audio both ways) on this loop.

Figures per case, over ``--seconds``: this loop's lateness (a 10 ms sleep, how late it
wakes: p50, p99, max, ms), the CPU this process used (cores), the share of the browser's
frames that reached the sink; for the worker also its own loop's lateness and CPU. The
machine is shared: its load is recorded.

    .venv/bin/python bench/softphone.py [--calls 5,20] [--seconds 8] [--repeat 1] [--realtime]
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


def _browsers(conn: Connection, realtime: bool = False) -> None:
    """The browsers: answer each offer with an aiortc peer sending a 1 kHz tone; with
    *realtime*, under SCHED_FIFO below kefu's worker (real browsers have their own
    machines: on this loaded one they would otherwise starve beside a real-time worker)."""
    import fractions

    if realtime:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(5))

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
    return {"case": "browser_loop", "calls": calls, **_figures(late, cpu_s, seconds),
            "browser_frames_delivered": round(got / expected, 3)}  # fmt: skip


async def worker_case(calls: int, seconds: float, realtime: bool = False) -> dict[str, Any]:
    """The browser phones in kefu's softphone worker; this loop feeds and drains RTP and
    relays the SDP only."""
    from kefu.adapters.voice.softphone_worker import SoftphoneWorker

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
    worker = SoftphoneWorker("127.0.0.1", realtime=realtime)
    await worker.start()
    legs = [f"web-{n}" for n in range(calls)]
    opened = [await worker.open(leg, ("127.0.0.1", sink.getsockname()[1])) for leg in legs]
    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.get_context("spawn").Process(target=_browsers, args=(theirs, realtime))
    child.start()
    ours.send([offer for _port, offer in opened])
    answers = await loop.run_in_executor(None, ours.recv)
    for leg, answer in zip(legs, answers, strict=True):
        await worker.answer(leg, answer)
    feeder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stop = asyncio.Event()
    targets = [("127.0.0.1", port) for port, _offer in opened]
    feeding = asyncio.ensure_future(_feed(feeder, targets, stop))
    await asyncio.sleep(3)  # ICE and DTLS settle
    counts = [await worker.counts(leg) for leg in legs]
    received, cpu = 0, time.process_time()
    late, in_worker = await asyncio.gather(_lateness(seconds), worker.loop_lag(seconds))
    cpu_s = time.process_time() - cpu
    got = received
    after = [await worker.counts(leg) for leg in legs]
    to_browser = sum(b[0] - a[0] for a, b in zip(counts, after, strict=True))
    from_browser = sum(b[1] - a[1] for a, b in zip(counts, after, strict=True))
    stop.set()
    await feeding
    ours.send("stop")
    await worker.stop()
    child.join(20)
    loop.remove_reader(sink.fileno())
    sink.close()
    feeder.close()
    expected = calls * seconds / 0.02
    name = "browser_worker" + ("_realtime" if realtime else "")
    return {"case": name, "calls": calls, **_figures(late, cpu_s, seconds),
            "browser_frames_delivered": round(got / expected, 3),
            "worker": {**in_worker, "engine_frames_in": to_browser,
                       "browser_frames_out": from_browser}}  # fmt: skip


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


def _summary(calls: int, runs: list[dict[str, Any]]) -> None:
    """Medians over the repeats, and the ratios of the worker to the on-loop phones."""

    def median(case: str, key: str) -> float:
        values = sorted(run[key] for run in runs if run["case"] == case)
        return float(values[len(values) // 2])

    sip_cpu, web_cpu = median("sip", "cores"), median("browser_loop", "cores")
    print(f"{calls} calls: on-loop browser/SIP CPU ratio {web_cpu / sip_cpu:.1f}", flush=True)
    for key in ("lateness_ms_p99", "browser_frames_delivered"):
        web, worker = median("browser_loop", key), median("browser_worker", key)
        ratio = f"{worker / web:.2f}" if web else "n/a"
        print(f"{calls} calls: median {key} on-loop {web}, worker {worker} (ratio {ratio})")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", default="5,20")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--repeat", type=int, default=1, help="runs of every case, interleaved")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--realtime", action="store_true", help="also the worker under SCHED_FIFO (as kefu asks)"
    )
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    runs = []
    for calls in [int(n) for n in args.calls.split(",")]:
        for _ in range(args.repeat):  # interleaved: the machine's load moves between runs
            cases = [sip_case(calls, args.seconds), browser_case(calls, args.seconds),
                     worker_case(calls, args.seconds)]  # fmt: skip
            if args.realtime:
                cases.append(worker_case(calls, args.seconds, realtime=True))
            for case in cases:
                run = asyncio.run(case)
                print(json.dumps(run), flush=True)
                runs.append(run)
        _summary(calls, [run for run in runs if run["calls"] == calls])
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
