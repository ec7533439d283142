"""How long a snapshot holds the routing engine's lock on a large log: pickled under the
lock (``SnapshotPolicy(fork=False)``, the way before) against pickled by a forked child
(the lock held for the fork only).

The router of ``bench/replay.py``'s traffic (``--events`` events, about one contact in
five events, all kept in memory and in the snapshot) is loaded
into an engine on the in-memory store. While each snapshot is taken a probe asks the
engine for nothing under its lock every millisecond; the figures are the longest and the
99th percentile stall between two answers (the lock held or the loop blocked: what a
command would have waited), and the snapshot's own time (the child's work included).
The two ways alternate, ``--rounds`` times each.

Run: ``.venv/bin/python bench/snapshot_lock.py`` (``--events 1000000``: about 200,000
contacts). Writes ``bench/results/snapshot_lock-<date>.json`` unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kefu.adapters.storage.snapshots import MemorySnapshots
from kefu.bootstrap import routing_engine
from kefu.service.snapshots import SnapshotPolicy, Snapshotter
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock
from replay import START, generate

PAUSE_S = 0.001
"""The probe's pause between two questions (seconds)."""
RETAIN_S = 30 * 86_400.0
"""Finished contacts are kept (the worst case: all of them are in the snapshot)."""


def _machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform()}


async def _probe(engine: Any, stop: asyncio.Event, waits: list[float]) -> None:
    # The time between two answers, less the probe's own pause: a snapshot that blocks
    # the loop (pickling on it) or holds the lock delays the next answer by as much.
    last = time.perf_counter()
    while not stop.is_set():
        await engine.query(lambda _e: None, stored=False)
        now = time.perf_counter()
        waits.append(max(0.0, now - last - PAUSE_S))
        last = now
        await asyncio.sleep(PAUSE_S)


async def _one(engine: Any, keeper: Snapshotter, fork: bool) -> dict[str, Any]:
    keeper.policy = SnapshotPolicy(every=0, retain_finished_s=RETAIN_S, fork=fork)
    stop, waits = asyncio.Event(), []
    probe = asyncio.create_task(_probe(engine, stop, waits))
    await asyncio.sleep(0.05)
    began = time.perf_counter()
    snapshot = await engine.snapshot()
    took = time.perf_counter() - began
    await asyncio.sleep(0.05)
    stop.set()
    await probe
    waits.sort()
    return {
        "fork": fork,
        "longest_wait_s": round(waits[-1], 5),
        "p99_wait_s": round(waits[int(0.99 * (len(waits) - 1))], 5),
        "snapshot_s": round(took, 3),
        "bytes": len(snapshot.data) if snapshot else 0,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    began = time.process_time()
    events = generate(args.events, args.agents, args.seed)
    store = InMemoryUnitOfWorkFactory()
    with store() as uow:
        uow.events.append(events)
        uow.commit()
    keeper = Snapshotter(MemorySnapshots(), SnapshotPolicy(every=0))
    engine = routing_engine(store, ManualClock(events[-1].at), snapshots=keeper)
    await engine.start()
    print(
        f"{len(engine.router.contacts)} contacts in memory; set up in "
        f"{time.process_time() - began:.1f} s CPU",
        flush=True,
    )
    runs: list[dict[str, Any]] = []
    for _ in range(args.rounds):
        for fork in (False, True):
            runs.append(await _one(engine, keeper, fork))
            print(json.dumps(runs[-1]), flush=True)
    contacts = len(engine.router.contacts)
    await engine.stop()

    def median(fork: bool, key: str) -> float:
        return statistics.median(r[key] for r in runs if r["fork"] is fork)

    under, forked = median(False, "longest_wait_s"), median(True, "longest_wait_s")
    print(
        f"lock held: pickled under it {under:.3f} s, forked {forked:.3f} s "
        f"(x{under / forked:.0f} shorter)"
    )
    return {
        "benchmark": "snapshot_lock",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "load_average": list(os.getloadavg()),
        "events": args.events,
        "contacts_in_memory": contacts,
        "runs": runs,
        "median_longest_wait_s": {"under_lock": under, "forked": forked},
        "ratio": round(under / forked, 1),
        "start": START,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    if not args.no_write:
        out = Path(__file__).parent / "results"
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        path = out / f"snapshot_lock-{stamp}.json"
        path.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {path.name}")


if __name__ == "__main__":
    main()
