"""Bridged calls one media loop carries: both parties talk, kefu forwards each leg's frames
to the other (part of bench/voice.py; runs alone too).

kefu side (this process, one asyncio loop): one :class:`MediaEngine` with ``2 × calls``
legs bridged in pairs (PCMU both sides, telephone-events negotiated, as a caller and an
agent's phone). Phones side (two child processes): a sender sends every leg a 20 ms frame
each tick, the frame's first 8 bytes the wall clock at sending (ns); a receiver takes
every forwarded frame with the kernel's arrival time (``SO_TIMESTAMPNS``), so neither
child's own scheduling counts. Figures: frames forwarded, the share that took more than
20 ms through kefu (the goal: < 1 %), the share of the phones' frames kefu did not
forward, p50/p99 forwarding delay, and the CPU kefu's loop used (cores). The phones run at
normal priority: on a loaded machine they may send fewer frames than asked (the figures
count what they sent).

    .venv/bin/python bench/voice_bridged.py [--calls 150,300] [--seconds 10] [--realtime]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import struct
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

TICK = 0.02
FRAME = 160
LATE_NS = 20_000_000
_STAMP = struct.Struct("!q")
_TIMESPEC = struct.Struct("@qq")
# Linux's SO_TIMESTAMPNS (Python's socket module does not name it): arrival time, ns.
_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def _normal_priority() -> None:
    """The phones are not kefu: a child forked from a real-time loop drops back."""
    os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))


def _sender(ports: list[int], window: tuple[int, int], conn: Connection) -> None:
    """Every leg a PCMU frame a tick from now to the *window*'s end, each stamped;
    reports the frames sent within the window."""
    _normal_priority()
    counted = 0
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
    filler = bytes(FRAME - _STAMP.size)
    start = time.monotonic()
    tick = 0
    while time.time_ns() < window[1]:
        header = struct.pack("!BBHII", 0x80, 0, tick & 0xFFFF, tick * FRAME, 1)
        for port in ports:
            now = time.time_ns()
            try:
                sock.sendto(header + _STAMP.pack(now) + filler, ("127.0.0.1", port))
            except OSError:
                continue  # a full buffer loses this frame before kefu: not counted
            counted += window[0] <= now < window[1]
        tick += 1
        time.sleep(max(0.0, start + tick * TICK - time.monotonic()))
    conn.send(counted)


def _receiver(sock: socket.socket, from_ns: int, until_ns: int, conn: Connection) -> None:
    """Forwarding delays (ns) of the frames sent from *from_ns* to *until_ns*."""
    _normal_priority()
    sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
    # A receiver waiting for a core must not lose what kefu forwarded: a deep buffer (the
    # forced size needs CAP_NET_ADMIN; without it, the system's maximum).
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUFFORCE, 1 << 26)
    except (AttributeError, PermissionError, OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 26)
    sock.settimeout(0.5)
    delays: list[int] = []
    space = socket.CMSG_SPACE(_TIMESPEC.size)
    while time.time_ns() < until_ns + 500_000_000:
        try:
            data, ancillary, _flags, _addr = sock.recvmsg(2048, space)
        except TimeoutError:
            continue
        if len(data) < 12 + _STAMP.size or not ancillary:
            continue
        (sent,) = _STAMP.unpack_from(data, 12)
        if not from_ns <= sent < until_ns:
            continue
        seconds_, nanos = _TIMESPEC.unpack(ancillary[0][2][: _TIMESPEC.size])
        delays.append(seconds_ * 1_000_000_000 + nanos - sent)
    conn.send(np.array(delays, dtype=np.int64))


async def bridged_media(calls: int, seconds: float) -> dict[str, Any]:
    """kefu's media engine forwarding *calls* bridged calls for *seconds* (after 1 s)."""
    from kefu.adapters.voice.media import MediaEngine

    phones = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    phones.bind(("127.0.0.1", 0))
    phones.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 24)
    engine = MediaEngine("127.0.0.1", lambda _event: None)
    await engine.start()
    ports = []
    for n in range(calls):
        for leg in (f"caller{n}", f"agent{n}"):
            ports.append(engine.open_leg(leg))
            engine.connect(leg, phones.getsockname(), "PCMU", 101)
        engine.bridge(f"caller{n}", f"agent{n}")
    from_ns = time.time_ns() + 1_000_000_000  # after a second of warm-up
    until_ns = from_ns + int(seconds * 1e9)
    context = multiprocessing.get_context("fork")  # the receiver inherits the socket
    ours, theirs = context.Pipe()
    sent_here, sent_there = context.Pipe()
    receiver = context.Process(target=_receiver, args=(phones, from_ns, until_ns, theirs))
    sender = context.Process(target=_sender, args=(ports, (from_ns, until_ns), sent_there))
    receiver.start()
    sender.start()
    await asyncio.sleep((from_ns - time.time_ns()) / 1e9)
    stats = engine.stats
    stats.lateness.clear()
    legs = [leg for n in range(calls) for leg in (f"caller{n}", f"agent{n}")]
    forwarded0 = sum(engine.frames_sent(leg) for leg in legs)
    cpu0, wall0 = time.process_time(), time.monotonic()
    await asyncio.sleep((until_ns - time.time_ns()) / 1e9)
    cpu_s, wall_s = time.process_time() - cpu0, time.monotonic() - wall0
    forwarded = sum(engine.frames_sent(leg) for leg in legs) - forwarded0
    loop = asyncio.get_running_loop()
    if not await loop.run_in_executor(None, ours.poll, 30):
        raise RuntimeError("the receiver of forwarded frames did not answer")
    delays = ours.recv()
    sent = sent_here.recv() if sent_here.poll(30) else 0
    sender.join(10)
    receiver.join(10)
    await engine.stop()
    phones.close()
    late = int((delays > LATE_NS).sum())
    return {
        "calls": calls,
        "legs": 2 * calls,
        "frames_sent_by_phones": sent,
        "frames_forwarded_by_kefu": forwarded,
        "frames_timed": len(delays),
        "late_over_20ms_pct": round(100 * late / max(len(delays), 1), 3),
        # Sent in the window but not forwarded (the window's edges move this by a frame a leg).
        "not_forwarded_pct": round(100 * max(sent - forwarded, 0) / max(sent, 1), 3),
        "p50_delay_ms": round(float(np.percentile(delays, 50)) / 1e6, 2) if len(delays) else None,
        "p99_delay_ms": round(float(np.percentile(delays, 99)) / 1e6, 2) if len(delays) else None,
        "p99_tick_lateness_ms": round(float(np.percentile(list(stats.lateness), 99)) * 1000, 2),
        "cpu_cores": round(cpu_s / wall_s, 3),
    }


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", default="150,300")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--realtime", action="store_true", help="kefu's loop under SCHED_FIFO")
    args = parser.parse_args(argv)
    if args.realtime:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    runs = []
    for calls in (int(n) for n in args.calls.split(",")):
        runs.append(asyncio.run(bridged_media(calls, args.seconds)))
        print(json.dumps(runs[-1]), flush=True)
    return runs


if __name__ == "__main__":
    main()
