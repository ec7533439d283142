"""Instruction counts of two source trees on the router's workloads: a load-independent A/B.

On a shared machine CPU seconds move by ±30 % between runs; the number of instructions a
run executes does not. Each workload runs under valgrind (cachegrind, no cache
simulation) at two lengths, and the difference, divided by the extra contacts, is the
cost of one contact with imports and set-up cancelled out:

- ``sim``: bench/simulate.py's M/M/n+M model, 400 agents, 2 arrivals/s: 2,000 and 12,000
  contacts (instructions per contact of ``run_replication``, KPIs included);
- ``routing``: bench/routing.py's full center (10,000 agents, 500 skills, 200 queues),
  4,000 and 12,000 arrivals (instructions per arrival, the driver included);
- ``day``: the queues of examples/multiskill_day.yaml (20 queues, overflow steps,
  balking, callbacks, transfers, chats) at their first hours' rates, served by its first
  wave of agents (the "-A" groups, 423 agents, no shifts): 3,000 and 9,000 contacts
  (instructions per contact of ``run_replication``, KPIs included). A steady stand-in for
  the day, whose own length cannot be cut without changing its shape.

Run (valgrind needed; about a minute a run, eight runs)::

    git archive <base> src | tar -x -C ../base
    python bench/instructions_ab.py --a ../base/src --b src [--workloads sim,day]

Writes ``bench/results/instructions-<date>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LENGTHS = {"sim": (2_000, 12_000), "routing": (4_000, 12_000), "day": (3_000, 9_000)}


def _day_stand_in(n: int) -> dict[str, Any]:
    """The day's queues at their first hours' rates and its first wave, for ``n`` contacts."""
    import yaml

    day = yaml.safe_load((ROOT / "examples" / "multiskill_day.yaml").read_text("utf-8"))
    rate = 0.0
    for queue in day["queues"]:
        profile = queue["arrivals"]["profile"]
        share = profile["weights"][0] / sum(profile["weights"])
        per_s = profile["total"] * share / (day["horizon_s"] / len(profile["weights"]))
        queue["arrivals"] = {"rate_per_s": per_s}
        rate += per_s
    day["agents"] = [
        {k: v for k, v in group.items() if k != "shift"}
        for group in day["agents"]
        if group["group"].endswith("-A")
    ]
    day["horizon_s"] = n / rate
    day["interval_s"] = 1800.0
    day.pop("replications", None)
    return dict(day)


def _child(workload: str, n: int) -> None:
    if workload == "routing":
        import importlib.util

        spec = importlib.util.spec_from_file_location("bench_routing", ROOT / "bench/routing.py")
        assert spec is not None and spec.loader is not None
        routing = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = routing
        spec.loader.exec_module(routing)
        center = routing.build_center(agents=10_000, skills=500, queues=200, load=0.95, seed=2026)
        stream = routing.contact_stream(center, n, 0.02, 2026)
        routing.drive_kefu(center, stream, n, n // 4, timed_twin=False)
        return
    from kefu.sim import compile_scenario, parse_scenario, replication_seed, run_replication

    if workload == "day":
        plan = compile_scenario(parse_scenario(_day_stand_in(n)))
        run_replication(plan, replication_seed(7, 0))
        return
    scenario = {
        "horizon_s": n / 2.0,
        "interval_s": 3600.0,
        "queues": [
            {
                "id": "q",
                "arrivals": {"rate_per_s": 2.0},
                "handle": {"dist": "exponential", "mean_s": 180.0},
                "patience": {"dist": "exponential", "mean_s": 120.0},
            }
        ],
        "agents": [{"group": "pool", "count": 400}],
    }
    run_replication(compile_scenario(parse_scenario(scenario)), replication_seed(1, 0))


def _instructions(src: str, workload: str, n: int) -> int:
    cmd = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--child",
        workload,
        str(n),
    ]
    # One BLAS thread: numpy's OpenBLAS workers spin while they wait, and valgrind counts
    # their spinning, which moved a run's figure by up to 25 % between identical runs.
    env = {**os.environ, "PYTHONPATH": src, "OPENBLAS_NUM_THREADS": "1"}
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    match = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
    if match is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{out.stderr[-2000:]}")
    return int(match.group(1).replace(",", ""))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    p.add_argument("--a", help="src folder of version A (the base)")
    p.add_argument("--b", help="src folder of version B (the change)")
    p.add_argument("--workloads", default=",".join(LENGTHS), help="comma-separated")
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]))
        return
    if not args.a or not args.b:
        p.error("give --a and --b")
    figures: dict[str, dict[str, int | float]] = {}
    for workload in args.workloads.split(","):
        short, long = LENGTHS[workload]
        per = {}
        for side in ("a", "b"):
            low = _instructions(getattr(args, side), workload, short)
            high = _instructions(getattr(args, side), workload, long)
            per[side] = (high - low) // (long - short)
            print(f"{workload:8s} {side}: {per[side]:,} instructions a contact", flush=True)
        figures[workload] = {**per, "ratio_b_vs_a": round(per["b"] / per["a"], 4)}
    record = {
        "benchmark": "instructions-ab",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "lengths": LENGTHS,
        "figures": figures,
    }
    print(json.dumps(figures))
    if not args.no_write:
        path = ROOT / "bench" / "results" / f"instructions-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
        path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
