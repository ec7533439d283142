"""Instructions per IVR step, counted by valgrind: a figure the machine's load does not move.

Steps per second on a shared machine move by tens of percent with the other work; the
number of instructions a step executes does not. Each version (a ``src`` folder) runs in a
child process under ``valgrind --tool=callgrind`` twice: once recording bench/ivr.py's
seeded digit walks through the demo bank flow and replaying them ``--replays`` times, once
recording them and replaying them not at all. The difference of the two totals divided by
the replayed steps is the cost of a step (``begin``/``step`` plus the replay loop's
bookkeeping, about 0.1 µs). Both versions must reach the same outcomes (digest printed).

Run, with ``--a``/``--b`` the ``src`` folders of the two versions (for example
``git archive <base> src | tar -x -C <dir>``)::

    PYTHONPATH=src python bench/ivr_instructions.py --a <dir>/src --b src

Prints instructions per step of each version and the ratio B/A, and writes
``bench/results/ivr-instructions-<date>.json``. Needs ``valgrind`` on the PATH; about a
minute per version at the default 300 callers.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def _child(callers: int, replays: int) -> None:
    import ivr
    from kefu.domain.ivr import IvrContext

    flow = ivr.load_flow(ivr.BANK)
    walks = ivr.record_walks(flow, callers, 2026, words=False)
    ctx = IvrContext(calendars={"bank": ivr.AlwaysOpen()})
    steps, events, outcomes = ivr.run_kefu(flow, walks, ctx)  # warm: the memos
    for _ in range(replays):
        ivr.run_kefu(flow, walks, ctx)
    digest = hashlib.sha256(repr(outcomes).encode()).hexdigest()[:12]
    print(json.dumps({"steps": steps, "events": events, "outcomes": digest}))


def _count(src: str, callers: int, replays: int) -> tuple[int, dict[str, Any]]:
    """Instructions of a child process (valgrind's total) and the child's JSON line."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, str(BENCH)])}
    with tempfile.TemporaryDirectory() as tmp:
        argv = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={Path(tmp) / 'out'}",
            sys.executable,
            __file__,
            "--child",
            "--callers",
            str(callers),
            "--replays",
            str(replays),
        ]
        done = subprocess.run(argv, env=env, check=True, capture_output=True, text=True)
    found = _COLLECTED.search(done.stderr)
    if found is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(found.group(1)), json.loads(done.stdout.strip().splitlines()[-1])


def measure(src: str, callers: int, replays: int) -> dict[str, Any]:
    """Instructions per replayed step of the interpreter in ``src``."""
    with_replays, info = _count(src, callers, replays)
    without, _ = _count(src, callers, 0)
    steps = info["steps"] * replays
    return {
        "steps_replayed": steps,
        "instructions": with_replays - without,
        "instructions_per_step": round((with_replays - without) / steps),
        "events_per_step": round(info["events"] / info["steps"], 3),
        "outcomes": info["outcomes"],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--a", help="src folder of version A (the base)")
    p.add_argument("--b", help="src folder of version B (the change)")
    p.add_argument("--label-a", default="base")
    p.add_argument("--label-b", default="change")
    p.add_argument("--callers", type=int, default=300, help="callers in the walk set (digits)")
    p.add_argument("--replays", type=int, default=2, help="replays counted")
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args()
    if args.child:
        _child(args.callers, args.replays)
        return
    if not args.a or not args.b:
        p.error("give --a and --b")
    from ivr import machine

    load_start = os.getloadavg()
    a = measure(args.a, args.callers, args.replays)
    print(f"A ({args.label_a}): {a['instructions_per_step']:,} instructions/step", flush=True)
    b = measure(args.b, args.callers, args.replays)
    print(f"B ({args.label_b}): {b['instructions_per_step']:,} instructions/step")
    ratio = b["instructions_per_step"] / a["instructions_per_step"]
    same = a["outcomes"] == b["outcomes"]
    print(f"B/A = {ratio:.3f}; same outcomes: {same}")
    record = {
        "benchmark": "ivr-instructions",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine() | {"loadavg_at_start": load_start, "loadavg_at_end": os.getloadavg()},
        "a": args.label_a,
        "b": args.label_b,
        "callers": args.callers,
        "replays": args.replays,
        "figures": {"a": a, "b": b, "ratio_b_vs_a": round(ratio, 3), "same_outcomes": same},
    }
    if not args.no_write:
        out = ROOT / "bench" / "results"
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"ivr-instructions-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
        path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
