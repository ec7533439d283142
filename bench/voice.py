"""Voice under load: RTP legs one media loop carries, and SIP call set-ups per second.

**Media.** One :class:`kefu.adapters.voice.media.MediaEngine` (one asyncio loop, one core at
most) plays a 3 s prompt in a loop on N legs at once, each sending a 20 ms G.711 frame per
tick to a sink socket on loopback; with ``--inbound`` a helper process also sends every leg
a caller's frame every 20 ms, which kefu decodes and runs through the in-band tone
detector (an IVR leg). Figures per N: frames sent, the share sent more than 20 ms late
(the goal: < 1 %), p99 tick lateness, and the CPU the loop used (cores). The peer is the
plain asyncio way — one task per leg that sleeps 20 ms and sends a fresh packet — on the
same machine in the same run.

**Bridged.** ``--bridged`` calls (two legs each, both parties talking) on one media loop,
each frame's forwarding delay through kefu measured from its send to its arrival
(bench/voice_bridged.py): the goal is ≥ 150 bridged calls a core with < 1 % of the
frames more than 20 ms late.

**Set-ups.** kefu's front door with the demo flow (answer, greeting, digit collection)
runs in a child process, its media in the worker process as ``kefu voice serve`` runs
it; sipp's built-in ``uac`` scenario places ``--rate`` calls per second (each held
``--hold`` ms, then BYE), bounded in count and time. Figures: calls placed, successful,
failed, and the completed set-up rate.

    .venv/bin/python bench/voice.py [--legs 100,200,300,400,600] [--seconds 10] [--inbound]
                                    [--bridged 150,300] [--realtime] [--rate 25,50,100]
                                    [--hold 2000]

``--realtime`` runs the media loops (kefu's and the peer's alike, and kefu's media worker
in the set-up runs) under SCHED_FIFO, as kefu's media worker asks for by default; sipp and
the SIP process stay at normal priority.

The machine is shared with other work: the 1-minute load average before and after is in
the record, and figures move with it. A JSON record goes to bench/results/ (``--no-write``
skips it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT / "src"))

from kefu.adapters.voice.g711 import ulaw_encode  # noqa: E402
from kefu.adapters.voice.media import MediaEngine  # noqa: E402
from voice_bridged import bridged_media  # noqa: E402

TICK = 0.02


def machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {"cpu_model": model, "cores": os.cpu_count(), "platform": platform.platform()}


def prompt() -> bytes:
    """3 s of speech-like noise as µ-law (no espeak needed)."""
    rng = np.random.default_rng(1)
    return ulaw_encode(rng.normal(0, 3000, 3 * 8000))


def summarise(lateness: list[float], frames: int, late: int, cpu_s: float, wall_s: float) -> dict:
    return {
        "frames": frames,
        "late_over_20ms_pct": round(100 * late / max(frames, 1), 3),
        "p99_tick_lateness_ms": round(float(np.percentile(lateness, 99)) * 1000, 2),
        "max_tick_lateness_ms": round(max(lateness) * 1000, 2),
        "cpu_cores": round(cpu_s / wall_s, 3),
    }


def inbound_sender(ports: list[int], seconds: float) -> None:
    """A caller's side: one 20 ms PCMU frame to every leg per tick (a child process)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    frame = ulaw_encode(np.random.default_rng(2).normal(0, 2000, 160))
    start = time.monotonic()
    tick = 0
    while time.monotonic() - start < seconds:
        header = struct.pack("!BBHII", 0x80, 0, tick & 0xFFFF, tick * 160, 1)
        for port in ports:
            sock.sendto(header + frame, ("127.0.0.1", port))
        tick += 1
        time.sleep(max(0.0, start + tick * TICK - time.monotonic()))


async def kefu_media(legs: int, seconds: float, inbound: bool) -> dict:
    clip = prompt()
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))  # never read: the kernel drops what overflows
    engine = MediaEngine("127.0.0.1", lambda event: engine.play(event.call_id, clip))
    await engine.start()
    ports = []
    for i in range(legs):
        ports.append(engine.open_leg(f"leg{i}"))
        # With callers' audio, no telephone-event: every packet goes through the tone detector.
        engine.connect(f"leg{i}", sink.getsockname(), "PCMU", None if inbound else 101)
        engine.play(f"leg{i}", clip[(i * 160) % len(clip) :])
    sender = None
    if inbound:
        sender = multiprocessing.Process(target=inbound_sender, args=(ports, seconds + 1))
        sender.start()
    await asyncio.sleep(1.0)  # warm-up, not measured
    stats = engine.stats
    stats.lateness.clear()
    frames0, late0 = stats.frames, stats.late_frames
    cpu0, wall0 = time.process_time(), time.monotonic()
    await asyncio.sleep(seconds)
    cpu_s, wall_s = time.process_time() - cpu0, time.monotonic() - wall0
    figures = summarise(
        list(stats.lateness), stats.frames - frames0, stats.late_frames - late0, cpu_s, wall_s
    )
    await engine.stop()
    if sender is not None:
        sender.join(timeout=5)
    sink.close()
    return figures


async def plain_asyncio_media(legs: int, seconds: float) -> dict:
    """The peer: one task per leg, asyncio.sleep pacing, a new packet object per frame."""
    clip = prompt()
    loop = asyncio.get_running_loop()
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    target = sink.getsockname()
    lateness: list[float] = []
    counts = {"frames": 0, "late": 0}
    measuring = asyncio.Event()

    async def leg(index: int) -> None:
        transport, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
        )
        due, seq, pos = loop.time(), index, (index * 160) % len(clip)
        try:
            while True:
                due += TICK
                await asyncio.sleep(max(0.0, due - loop.time()))
                late = loop.time() - due
                packet = struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, seq * 160, index)
                transport.sendto(packet + clip[pos : pos + 160], target)
                seq, pos = seq + 1, (pos + 160) % (len(clip) - 160)
                if measuring.is_set():
                    counts["frames"] += 1
                    lateness.append(late)
                    counts["late"] += late > TICK
        finally:
            transport.close()

    tasks = [loop.create_task(leg(i)) for i in range(legs)]
    await asyncio.sleep(1.0)
    measuring.set()
    cpu0, wall0 = time.process_time(), time.monotonic()
    await asyncio.sleep(seconds)
    cpu_s, wall_s = time.process_time() - cpu0, time.monotonic() - wall0
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    sink.close()
    return summarise(lateness or [0.0], counts["frames"], counts["late"], cpu_s, wall_s)


def serve(port: int, realtime: bool) -> None:
    """The child process: kefu's front door with the demo flow and a synthetic greeting,
    media in its worker process as ``kefu voice serve`` runs it."""
    from kefu.adapters.voice.demo_flow import DemoFlow
    from kefu.adapters.voice.sip import SipFrontDoor

    clip = prompt()

    async def run() -> None:
        flow = DemoFlow(timeout_s=30.0)
        door = SipFrontDoor(
            host="127.0.0.1",
            port=port,
            sink=flow,
            clips=lambda _name: clip,
            media_process=True,
            media_realtime=realtime,
        )
        flow.port = door
        await door.start()
        print("ready", flush=True)
        await asyncio.Event().wait()

    asyncio.run(run())


def setups(rate: int, calls: int, hold_ms: int, realtime: bool) -> dict:
    sipp = shutil.which("sipp")
    if sipp is None:
        return {"skipped": "sipp is not installed (apt-get install sip-tester)"}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), *(["--realtime"] if realtime else [])],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        with tempfile.TemporaryDirectory() as tmp:
            started = time.monotonic()
            done = subprocess.run(
                [sipp, f"127.0.0.1:{port}", "-sn", "uac", "-i", "127.0.0.1", "-r", str(rate),
                 "-m", str(calls), "-d", str(hold_ms), "-l", str(rate * 4), "-nostdin",
                 "-timeout", "120s", "-timeout_error", "-s", "10086"],
                cwd=tmp, capture_output=True, text=True, timeout=180, check=False,
            )  # fmt: skip
            elapsed = time.monotonic() - started
    finally:
        child.terminate()
        child.wait(timeout=10)

    def total(label: str) -> int:
        match = re.search(rf"{label}\s*\|\s*\d+\s*\|\s*(\d+)", done.stdout)
        return int(match.group(1)) if match else 0

    ok, failed = total("Successful call"), total("Failed call")
    return {
        "rate_asked_per_s": rate,
        "calls": calls,
        "successful": ok,
        "failed": failed,
        "elapsed_s": round(elapsed, 2),
        "setups_per_s": round(ok / max(elapsed - hold_ms / 1000, 0.001), 1),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--legs", default="100,200,300,400,600")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--inbound", action="store_true", help="callers send audio too (IVR)")
    parser.add_argument("--bridged", default="150,300", help="bridged calls at once ('': none)")
    parser.add_argument("--rate", default="25,50,100", help="sipp call rates, calls/s")
    parser.add_argument("--hold", type=int, default=2000, help="each call lasts this, ms")
    parser.add_argument(
        "--realtime",
        action="store_true",
        help="media loops under SCHED_FIFO (needs CAP_SYS_NICE), as kefu's media worker runs",
    )
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.realtime)
        return {}
    load_before = round(os.getloadavg()[0], 2)
    # One BLAS thread, as in kefu's media worker (the detector's products are small).
    threadpool_limits(limits=1, user_api="blas")
    if args.realtime:
        # Both media loops (kefu's and the peer's) run in this process: same priority.
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    media: dict[str, Any] = {}
    for legs in (int(n) for n in args.legs.split(",")):
        kefu = asyncio.run(kefu_media(legs, args.seconds, args.inbound))
        peer = asyncio.run(plain_asyncio_media(legs, args.seconds))
        media[str(legs)] = {"kefu": kefu, "plain_asyncio": peer}
        print(f"  {legs} legs: kefu {kefu}\n  {' ' * len(str(legs))}       peer {peer}")
    bridged: dict[str, Any] = {}
    for count in (int(n) for n in args.bridged.split(",") if n):
        bridged[str(count)] = asyncio.run(bridged_media(count, args.seconds))
        print(f"  {count} bridged calls: {bridged[str(count)]}")
    if args.realtime:  # sipp and the SIP process run at normal priority, as deployed
        os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
    calls = {}
    for rate in (int(r) for r in args.rate.split(",")):
        calls[str(rate)] = setups(rate, rate * 10, args.hold, args.realtime)
        print(f"  sipp at {rate}/s: {calls[str(rate)]}")
    carried = [int(n) for n, f in media.items() if f["kefu"]["late_over_20ms_pct"] < 1.0]
    record = {
        "benchmark": "voice",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            **machine(),
            "shared": "yes: other work ran on the machine at the same time",
            "load_1m": {"before": load_before, "after": round(os.getloadavg()[0], 2)},
        },
        "python": platform.python_version(),
        "args": {k: v for k, v in vars(args).items() if k != "serve"},
        "media": media,
        "bridged": bridged,
        "setups": calls,
        "summary": {
            "most_legs_under_1pct_late": max(carried, default=0),
            "most_bridged_calls_under_1pct_late": max(
                (int(n) for n, f in bridged.items() if f["late_over_20ms_pct"] < 1.0), default=0
            ),
        },
    }
    print(json.dumps(record["summary"]))
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"voice-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
        path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
        print(f"written {path.relative_to(ROOT)}")
    return record


if __name__ == "__main__":
    main()
