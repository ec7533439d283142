"""Benchmark: kefu's shift scheduler against pyworkforce's on the same requirements.

Not a test. Each case is solved by kefu (``kefu.workforce.schedule``) and by pyworkforce
0.5.1's ``MinRequiredResources`` (least cost with full coverage: the same objective) and
``MinAbsDifference`` (least |scheduled − required|, shown for context). A peer coverage
matrix has one column per shift *and* break placement; kefu gets the same columns as
fixed shift types, and where a case has lunch windows also its own form (one shift type
per start with a lunch window the solver places).

* ``bank``: the Anonymous Bank's real shift coverage matrix (24 hours × 8 six-hour shifts,
  the book's costs in ILS) and a week of hourly requirements from the bank's 1999
  arrivals: mean calls per weekday-hour × mean handling time of the February call
  records, turned into agents by square-root staffing ``⌈a + β√a⌉`` (β = 1); hours 0–5
  need no agents, as in the book's example.
* ``synthetic``: a week of 30-minute intervals (336), 51 day shifts (8 h with a fixed
  30-minute lunch 4 h in, 6 h, 4 h) and a two-peak requirement with 8 % noise.
* ``synthetic_lunch_window``: the same, the 8 h lunch anywhere 3–5 h in (119 columns).
* ``standard_week``: the test suite's week: 60 standard shift types (8, 6 and 4 h starting
  every 30 min 06:30–18:00, lunch 3–5 h in for 6 h and longer: 204 columns) against a
  smooth two-peak requirement that they can cover exactly, so many optima tie.

Every schedule is scored by the same evaluator on the same coverage matrix. Run after
``make bench-setup`` (see bench/README.md)::

    PYTHONPATH=src .venv-bench/bin/python bench/workforce_scheduling.py
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "bench" / "results"
BANK_COSTS = (252, 288, 180, 180, 180, 288, 288, 288)
H = 3600

Matrix = list[list[int]]


@dataclass(frozen=True)
class Case:
    """Requirement per day × interval, peer coverage columns, integer costs per column."""

    title: str
    required: Matrix
    coverage: dict[str, list[int]]
    costs: dict[str, int]
    interval_s: int
    natural_types: tuple[Any, ...] = ()  # kefu's own form of the same shifts, if any


def machine() -> dict[str, Any]:
    """CPU model and cores (from /proc/cpuinfo), platform and Python version."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def bank_case(data: Path) -> Case:
    import pandas as pd

    with (data / "anonymous_bank_shifts.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    coverage = {f"Shift{j}": [int(r[f"Shift{j}"]) for r in rows] for j in range(1, 9)}
    costs = {f"Shift{j}": c for j, c in enumerate(BANK_COSTS, start=1)}
    arrivals = pd.read_csv(data / "anonymous_bank_1999_arrivals_6min.csv", low_memory=False)
    arrivals["hour"] = (arrivals["interval"] - 1) // 10
    per_hour = arrivals.groupby(["date", "weekday", "hour"])["calls"].sum().reset_index()
    mean_calls = per_hour.groupby(["weekday", "hour"])["calls"].mean()
    calls = pd.read_csv(data / "anonymous_bank_1999_february.tsv", sep="\t")
    served = calls[(calls["outcome"] == "AGENT") & (calls["ser_time"] > 0)]
    aht = float(served["ser_time"].mean())
    week = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    required = []
    for day in week:
        hours = []
        for hour in range(24):
            load = float(mean_calls[(day, hour)]) * aht / 3600  # Erlangs
            hours.append(0 if hour < 6 or load <= 0 else math.ceil(load + math.sqrt(load)))
        required.append(hours)
    return Case("bank (real shift matrix, 1999 arrivals)", required, coverage, costs, H)


def _two_peaks(day_scales: tuple[float, ...], noise: float, seed: int = 7) -> Matrix:
    """Agents per half hour, open 07–22 h, a morning and an afternoon peak."""
    import numpy as np

    rng = np.random.default_rng(seed)
    required = []
    for scale in day_scales:
        day = []
        for p in range(48):
            t = p / 2
            if t < 7 or t >= 22:
                day.append(0)
                continue
            load = 8 + 26 * math.exp(-(((t - 10.5) / 2) ** 2))
            load += 19 * math.exp(-(((t - 15) / 2.5) ** 2))
            factor = 1 + noise * rng.standard_normal() if noise else 1.0
            day.append(max(1, math.ceil(load * scale * factor)))
        required.append(day)
    return required


def _columns(types: list[Any]) -> tuple[dict[str, list[int]], dict[str, int]]:
    """Peer coverage columns (one per break placement) and costs in paid half-hours."""
    from kefu.workforce.schedule import break_options

    coverage: dict[str, list[int]] = {}
    costs: dict[str, int] = {}
    for t in types:
        first = t.start_s // 1800
        placements = break_options(t, 1800, 64)
        for placement in placements:
            cover = [1 if first <= p < first + t.length_s // 1800 else 0 for p in range(48)]
            for offset, length in placement:
                for p in range(offset // 1800, (offset + length) // 1800):
                    cover[first + p] = 0
            name = t.name
            if len(placements) > 1:
                name += f" lunch+{placement[0][0] / H:g}h"
            coverage[name] = cover
            costs[name] = sum(cover)
    return coverage, costs


def synthetic_case(window: bool) -> Case:
    from kefu.workforce.schedule import BreakRule, ShiftType

    types = []
    for length, every in ((8, 1800), (6, 1800), (4, 3600)):
        for start in range(6 * H, (22 - length) * H + 1, every):
            lunch = (BreakRule(1800, 3 * H if window else 4 * H, 5 * H if window else 4 * H),)
            name = f"{length}h {start // H:02d}:{start % H // 60:02d}"
            types.append(ShiftType(name, start, length * H, lunch if length == 8 else ()))
    coverage, costs = _columns(types)
    required = _two_peaks((1.15, 1.0, 0.95, 0.95, 1.05, 0.6, 0.55), noise=0.08)
    title = "synthetic week, lunch window 3-5 h" if window else "synthetic week, fixed lunches"
    natural = tuple(replace(t, cost=float(round(t.paid_s / 1800))) for t in types)
    return Case(title, required, coverage, costs, 1800, natural if window else ())


def standard_week_case() -> Case:
    from kefu.workforce.schedule import standard_shift_types

    types = standard_shift_types(
        first_start_s=6 * H + 1800, last_end_s=22 * H, lengths_s=(8 * H, 6 * H, 4 * H)
    )
    coverage, costs = _columns(list(types))
    natural = tuple(replace(t, cost=float(round(t.paid_s / 1800))) for t in types)
    required = _two_peaks((1.15, 1.0, 0.95, 0.95, 1.05, 0.6, 0.55), noise=0.0)
    return Case("standard week (the test suite's case)", required, coverage, costs, 1800, natural)


def evaluate(
    counts: dict[tuple[int, str], int],
    required: Matrix,
    coverage: dict[str, list[int]],
    costs: dict[str, int],
    interval_s: int,
) -> dict[str, float]:
    """Cost, under/over (agent-hours) and understaffed intervals of agents per (day, shift)."""
    under = over = 0.0
    short = 0
    for d, day in enumerate(required):
        for p, need in enumerate(day):
            have = sum(counts.get((d, s), 0) * cov[p] for s, cov in coverage.items())
            under += max(0, need - have)
            over += max(0, have - need)
            short += have < need
    hours = interval_s / 3600
    return {
        "cost": float(sum(n * costs[s] for (_, s), n in counts.items())),
        "under_agent_hours": under * hours,
        "over_agent_hours": over * hours,
        "understaffed_intervals": short,
        "agents": sum(counts.values()),
    }


def run_kefu(
    types: list[Any], required: Matrix, interval_s: int, time_limit: float
) -> tuple[Any, float]:
    from kefu.workforce.schedule import ScheduleOptions, solve_schedule

    flat = [float(v) for day in required for v in day]
    started = time.perf_counter()
    result = solve_schedule(flat, interval_s, types, ScheduleOptions(time_limit_s=time_limit))
    return result, time.perf_counter() - started


def run_peer(
    kind: str,
    required: Matrix,
    coverage: dict[str, list[int]],
    costs: dict[str, int],
    time_limit: float,
) -> tuple[dict[str, Any], float]:
    from pyworkforce.scheduling import MinAbsDifference, MinRequiredResources

    peak = max(max(day) for day in required)
    common = {
        "num_days": len(required),
        "periods": len(required[0]),
        "shifts_coverage": coverage,
        "required_resources": required,
        "max_period_concurrency": peak * len(coverage),
        "max_shift_concurrency": peak,
        "max_search_time": float(time_limit),
        "num_search_workers": 2,
    }
    started = time.perf_counter()
    if kind == "min_required":
        solution = MinRequiredResources(cost_dict=costs, **common).solve()
    else:
        solution = MinAbsDifference(**common).solve()
    return solution, time.perf_counter() - started


def kefu_types(case: Case) -> list[Any]:
    """kefu shift types with exactly the coverage of each column (gaps become fixed breaks)."""
    from kefu.workforce.schedule import BreakRule, ShiftType

    step = case.interval_s
    types = []
    for name, cover in case.coverage.items():
        on = [p for p, c in enumerate(cover) if c]
        first, last = on[0], on[-1]
        gaps = [p for p in range(first, last + 1) if not cover[p]]
        breaks = tuple(BreakRule(step, (g - first) * step, (g - first) * step) for g in gaps)
        length = (last - first + 1) * step
        types.append(ShiftType(name, first * step, length, breaks, cost=case.costs[name]))
    return types


def solve_case(case: Case, repeats: int, time_limit: float, peer: bool) -> dict[str, Any]:
    required, coverage, costs, interval_s = (
        case.required, case.coverage, case.costs, case.interval_s
    )  # fmt: skip
    times, result = [], None
    for _ in range(repeats):
        result, seconds = run_kefu(kefu_types(case), required, interval_s, time_limit)
        times.append(seconds)
    assert result is not None
    counts: dict[tuple[int, str], int] = {}
    for a in result.assignments:
        counts[(a.day, a.shift)] = counts.get((a.day, a.shift), 0) + a.agents
    figures: dict[str, Any] = {
        "title": case.title,
        "intervals": len(required) * len(required[0]),
        "interval_s": interval_s,
        "shift_columns": len(coverage),
        "required_agent_hours": sum(map(sum, required)) * interval_s / 3600,
        "kefu": {
            "status": result.status,
            "seconds": statistics.median(times),
            "seconds_all": times,
            **evaluate(counts, required, coverage, costs, interval_s),
        },
    }
    if case.natural_types:
        natural, seconds = run_kefu(list(case.natural_types), required, interval_s, time_limit)
        figures["kefu_break_window"] = {
            "status": natural.status,
            "seconds": seconds,
            "shift_types": len(case.natural_types),
            "cost": natural.cost,
            "under_agent_hours": natural.under_agent_hours,
            "over_agent_hours": natural.over_agent_hours,
        }
    if peer:
        for kind in ("min_required", "min_abs_difference"):
            runs = [run_peer(kind, required, coverage, costs, time_limit) for _ in range(repeats)]
            solution = runs[-1][0]
            peer_times = [seconds for _, seconds in runs]
            peer_counts = {
                (r["day"], r["shift"]): r["resources"]
                for r in solution["resources_shifts"]
                if r["day"] >= 0
            }
            figures[f"pyworkforce_{kind}"] = {
                "status": solution["status"],
                "seconds": statistics.median(peer_times),
                "seconds_all": peer_times,
                **evaluate(peer_counts, required, coverage, costs, interval_s),
            }
        base, ours = figures["pyworkforce_min_required"], figures["kefu"]
        figures["ratios"] = {
            "time_kefu_over_pyworkforce": ours["seconds"] / base["seconds"],
            "cost_kefu_over_pyworkforce": ours["cost"] / base["cost"] if base["cost"] else None,
        }
    return figures


def report(name: str, figures: dict[str, Any]) -> None:
    print(f"\n== {name}: {figures['title']}: {figures['intervals']} intervals of "
          f"{figures['interval_s']} s, {figures['shift_columns']} shift columns")  # fmt: skip
    print(f"{'solver':34} {'status':9} {'cost':>10} {'under h':>8} {'over h':>8} {'time s':>8}")
    for key, label in (
        ("kefu", "kefu, same columns"),
        ("kefu_break_window", "kefu, shift types with lunch window"),
        ("pyworkforce_min_required", "pyworkforce MinRequiredResources"),
        ("pyworkforce_min_abs_difference", "pyworkforce MinAbsDifference"),
    ):
        if key in figures:
            f = figures[key]
            seconds = f["seconds"]
            print(f"{label:34} {f['status']:9} {f['cost']:10.1f} {f['under_agent_hours']:8.1f} "
                  f"{f['over_agent_hours']:8.1f} {seconds:8.3f}")  # fmt: skip
    for key, value in figures.get("ratios", {}).items():
        print(f"{key}: {value:.4f}" if value is not None else f"{key}: n/a")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run both cases, print the figures and write ``bench/results/workforce-scheduling-*.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0, help="per solve, seconds")
    parser.add_argument("--repeats", type=int, default=3, help="runs per solver (median)")
    parser.add_argument("--data", type=Path, default=DATA, help="the shared call-center data")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    try:
        import pyworkforce

        peer_version: str | None = getattr(pyworkforce, "__version__", "unknown")
    except ImportError:
        peer_version = None
        print("pyworkforce is not installed in this interpreter: kefu figures only. "
              "Set up the bench venv as bench/README.md describes.", file=sys.stderr)  # fmt: skip
    import ortools

    builders = {
        "synthetic": lambda: synthetic_case(window=False),
        "synthetic_lunch_window": lambda: synthetic_case(window=True),
        "standard_week": standard_week_case,
    }
    if (args.data / "anonymous_bank_shifts.csv").is_file():
        builders = {"bank": lambda: bank_case(args.data), **builders}
    else:
        print(f"shared data not found at {args.data}: skipping the bank case", file=sys.stderr)
    cases: dict[str, Any] = {}
    for name, build in builders.items():
        cases[name] = solve_case(build(), args.repeats, args.time_limit, peer_version is not None)
        report(name, cases[name])
    now = datetime.now(UTC)
    record = {
        "benchmark": "workforce-scheduling",
        "date": now.isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": {"ortools": ortools.__version__, "pyworkforce": peer_version},
        "time_limit_s": args.time_limit,
        "notes": [
            "Both solvers run OR-Tools CP-SAT. kefu sets num_workers=2; pyworkforce 0.5.1 "
            "assigns num_search_workers to an attribute CP-SAT ignores, so it runs CP-SAT's "
            "default worker count.",
            "Costs are the book's ILS per shift (bank) or paid half-hours (synthetic); under "
            "and over are agent-hours, scored by one evaluator for every solver.",
        ],
        "cases": cases,
    }
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"workforce-scheduling-{now:%Y%m%d-%H%M%S}.json"
        path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        print(f"\nrecord: {path.relative_to(ROOT)}")
    return record


if __name__ == "__main__":
    main()
