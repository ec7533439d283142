"""The conference mix's cost per media tick: one three-party conference (each member
hearing the other two) as ``ConferenceMix`` does it — one numpy batch per tick into
preallocated buffers — against the same three-way mix made of three ``ListenMix`` (the
supervisor barge's mix: one per leg, a decoded array per packet, an encode per leg),
in the same run.

Figures: CPU microseconds per conference per 20 ms tick (process time, so a loaded
machine's waiting is not counted), the share of one core a conference takes, and the
ratio. Writes bench/results/conference-mix-<date>.json with the machine and its load.

    .venv/bin/python bench/conference_mix.py [--ticks 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from kefu.adapters.voice.conference import ConferenceMix  # noqa: E402
from kefu.adapters.voice.g711 import alaw_encode, ulaw_encode  # noqa: E402
from kefu.adapters.voice.listen import ListenMix  # noqa: E402

TICK_US = 20_000


def _frames() -> list[bytes]:
    """Three members' 20 ms µ-law frames (tones of their own)."""
    t = np.arange(160) / 8000.0
    return [
        ulaw_encode((3000 * np.sin(2 * np.pi * hz * t)).astype(np.int16)) for hz in (400, 700, 1100)
    ]


def conference(ticks: int) -> float:
    """CPU µs per tick of one ConferenceMix of three (one member A-law)."""
    frames = _frames()
    mix = ConferenceMix(["a", "b", "c"], ["PCMU", "PCMA", "PCMU"])
    out = bytearray(172)
    start = time.process_time()
    for _ in range(ticks):
        for member, frame in enumerate(frames):
            mix.feed(member, frame, 0)
        mix.tick()
        for view in mix.views:
            out[12:] = view  # the engine's copy into each member's packet
    return (time.process_time() - start) / ticks * 1e6


def barge(ticks: int) -> float:
    """CPU µs per tick of the same three-way mix made of three ListenMix (barge)."""
    frames = _frames()
    mixes = [ListenMix() for _ in range(3)]  # leg i hears the other two
    feeds = [[(mixes[j], 0 if i < j else 1) for j in range(3) if j != i] for i in range(3)]
    encode: list[Callable[[Any], bytes]] = [ulaw_encode, alaw_encode, ulaw_encode]
    out = bytearray(172)
    start = time.process_time()
    for _ in range(ticks):
        for member, frame in enumerate(frames):
            for mix, side in feeds[member]:
                mix.feed(side, frame, 0)
        for mix, enc in zip(mixes, encode, strict=True):
            out[12:] = enc(mix.frame())
    return (time.process_time() - start) / ticks * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=20_000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()
    ours = conference(args.ticks)
    peer = barge(args.ticks)
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(
        f"ConferenceMix: {ours:.1f} µs CPU per conference per tick ({ours / TICK_US:.2%} of a core)"
    )
    print(f"3 × ListenMix (barge): {peer:.1f} µs CPU per tick ({peer / TICK_US:.2%} of a core)")
    print(f"ratio barge / conference: {peer / ours:.2f}")
    if args.no_write:
        return
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": load},
        "ticks": args.ticks,
        "conference_us_per_tick": round(ours, 1),
        "barge_us_per_tick": round(peer, 1),
        "ratio": round(peer / ours, 2),
    }
    out = ROOT / "bench" / "results" / f"conference-mix-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
