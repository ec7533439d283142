"""Benchmark: the time staffing by simulation takes on a scenario (default: the 1,000-agent,
20-queue multi-skill day), with its answer against the Erlang-per-queue plan.

Runs :func:`kefu.sim.staffing.search_staffing` with ``--replications`` per plan and at most
``--max-simulations`` simulations, prints each step as it goes and writes
``bench/results/staffing-sim-<date>.json`` (machine, load, simulations, wall and CPU
seconds, seconds per simulation, agent-hours of both plans, queue-intervals below target).

    PYTHONPATH=src python bench/staffing_sim.py [--scenario FILE] [--replications 1]
        [--max-simulations 12]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

from kefu.sim import load_scenario
from kefu.sim.staffing import search_staffing

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default=str(ROOT / "examples" / "multiskill_day.yaml"))
    p.add_argument("--replications", type=int, default=1)
    p.add_argument("--max-simulations", type=int, default=12)
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args()
    load_start = os.getloadavg()
    scenario = load_scenario(args.scenario)
    wall, cpu = time.perf_counter(), time.process_time()

    def progress(phase: str, runs: int) -> None:
        print(f"{time.perf_counter() - wall:8.1f} s  {runs:3d} simulations  {phase}", flush=True)

    result = search_staffing(
        scenario,
        replications=args.replications,
        max_simulations=args.max_simulations,
        progress=progress,
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    record = {
        "benchmark": "staffing-sim",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "loadavg_at_start": load_start,
            "loadavg_at_end": os.getloadavg(),
        },
        "scenario": Path(args.scenario).name,
        "replications_per_plan": args.replications,
        "max_simulations": args.max_simulations,
        "simulations": result.simulations,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "cpu_s_per_simulation": round(cpu / max(result.simulations, 1), 2),
        "erlang_agent_hours": result.erlang_hours,
        "plan_agent_hours": result.plan_hours,
        "erlang_cells_below_target": sum(not c.meets for c in result.erlang_cells),
        "cells_below_target": sum(not c.meets for c in result.cells),
        "cells": len(result.cells),
        "meets_all": result.meets_all,
    }
    print(json.dumps(record, indent=1))
    if not args.no_write:
        out = ROOT / "bench" / "results" / f"staffing-sim-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
        out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
