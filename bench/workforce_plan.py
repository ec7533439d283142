"""Benchmark: the /workforce page's plan (forecast → agents needed → shifts → named agents)
on the Anonymous Bank's real arrivals, and what it does to a server's event loop.

Not a test. History: the 28 days of 1999 arrivals before ``--first-day`` (6-minute counts
summed to 30 minutes), handle time 177 s (the February 1999 records' mean), 80 % in 20 s,
30 % shrinkage, a week planned for ``--agents`` agents with varied work rules (weekends
off for a third, a 30-hour contract for a quarter, preferred early or late starts).

Figures: the wall time of each step of :func:`kefu.workforce.plan.make_plan`; the shifts
filled and left open; and the event loop's worst lag (a 10 ms ticker's largest overshoot)
while the plan runs **in a separate process** (as the page runs it) and **in a worker
thread**, against the **peer**:
the same plan run on the loop itself, as a naive handler would; and, for the machine's
own noise, the lag while a thread only sleeps as long. The ratio is the peer's worst lag
over the process's and the thread's.

    PYTHONPATH=src .venv/bin/python bench/workforce_plan.py

Prints the figures and writes ``bench/results/workforce-plan-<date>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from kefu.workforce.plan import PlanRequest, WorkforcePlan, make_plan
from kefu.workforce.roster import RosterAgent, WorkRules

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "anonymous_bank_1999_arrivals_6min.csv"
AHT_S = 177.0


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


def history(path: Path, first_day: dt.date, days: int = 28) -> pd.Series:
    """Calls per 30 minutes over the ``days`` days before ``first_day``."""
    raw = pd.read_csv(path, usecols=["date", "interval_start", "calls"])
    stamps = pd.to_datetime(raw["date"] + " " + raw["interval_start"])
    calls = pd.Series(raw["calls"].to_numpy(dtype=float), index=stamps).sort_index()
    start = pd.Timestamp(first_day - dt.timedelta(days=days))
    window = calls[(calls.index >= start) & (calls.index < pd.Timestamp(first_day))]
    return window.resample("30min").sum(min_count=1)


def agents(count: int) -> list[RosterAgent]:
    out = []
    for i in range(count):
        rules = WorkRules(
            contracted_hours=30.0 if i % 4 == 3 else 40.0,
            days_off=frozenset({5, 6}) if i % 3 == 0 else frozenset(),
            preferred_start=(6 * 3600, 9 * 3600) if i % 2 else (11 * 3600, 14 * 3600),
        )
        out.append(RosterAgent(f"agent{i:03d}", rules))
    return out


async def worst_lag(work: Any, in_thread: bool, pool: Any = None) -> tuple[float, Any]:
    """Run ``work()`` (in a thread, in ``pool``'s process or on the loop) beside a 10 ms
    ticker; the ticker's largest overshoot (s) and the work's result."""
    lags: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - before - 0.01)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.05)
    if pool is not None:
        result = await asyncio.get_running_loop().run_in_executor(pool, *work)
    else:
        result = await asyncio.to_thread(work) if in_thread else work()
    await asyncio.sleep(0.05)
    done.set()
    await task
    return max(lags), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--first-day", default="1999-03-01")
    parser.add_argument("--agents", type=int, default=40)
    parser.add_argument("--time-limit", type=float, default=8.0)
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"shared data not found at {args.data}; nothing to benchmark")
        return 0
    load_start = os.getloadavg()
    series = history(args.data, dt.date.fromisoformat(args.first_day))
    pool = agents(args.agents)
    request = PlanRequest(horizon_days=7, time_limit_s=args.time_limit)
    steps: dict[str, float] = {}
    last = [time.perf_counter(), "start"]

    def tell(step: str, _done: float) -> None:
        if step != last[1]:
            now = time.perf_counter()
            steps[str(last[1])] = steps.get(str(last[1]), 0.0) + now - float(last[0])
            last[:] = [now, step]

    def work() -> WorkforcePlan:
        last[:] = [time.perf_counter(), "start"]
        return make_plan(series, AHT_S, pool, request, tell)

    thread_lag, plan = asyncio.run(worst_lag(work, in_thread=True))
    figures_steps = {k: round(v, 3) for k, v in steps.items() if k != "start"}
    loop_lag, _ = asyncio.run(worst_lag(work, in_thread=False))
    idle_s = sum(figures_steps.values())
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as processes:
        processes.submit(int).result()  # the process is up before the clock starts
        solve = (make_plan, series, AHT_S, pool, request)
        process_lag, _ = asyncio.run(worst_lag(solve, in_thread=False, pool=processes))
    idle_lag, _ = asyncio.run(worst_lag(lambda: time.sleep(idle_s), in_thread=True))
    filled = len(plan.roster.shifts)
    missing = sum(u.missing for u in plan.roster.unfilled)
    figures = {
        "history_days": plan.history_days,
        "model": plan.model,
        "intervals": len(plan.required),
        "peak_agents_needed": max(plan.required),
        "schedule_status": plan.schedule.status,
        "roster_status": plan.roster.status,
        "shift_places": filled + missing,
        "shifts_filled": filled,
        "places_open": missing,
        "step_seconds": figures_steps,
        "loop_worst_lag_idle_s": round(idle_lag, 4),
        "loop_worst_lag_thread_s": round(thread_lag, 4),
        "loop_worst_lag_process_s": round(process_lag, 4),
        "loop_worst_lag_on_loop_s": round(loop_lag, 4),
        "lag_ratio_peer_over_thread": round(loop_lag / max(thread_lag, 1e-4), 1),
        "lag_ratio_peer_over_process": round(loop_lag / max(process_lag, 1e-4), 1),
    }
    print(f"plan of {args.agents} agents, a week at 30 min, time limit {args.time_limit} s")
    for name, seconds in figures_steps.items():
        print(f"  {name:<10} {seconds:7.2f} s")
    print(f"  places {filled + missing}: filled {filled}, open {missing}")
    print(
        f"event loop worst lag: idle (a sleeping thread, as long) {idle_lag * 1000:.0f} ms, "
        f"plan in a worker thread {thread_lag * 1000:.0f} ms, "
        f"in a process (as the page runs it) {process_lag * 1000:.0f} ms, "
        f"plan on the loop (peer) {loop_lag * 1000:.0f} ms "
        f"(×{figures['lag_ratio_peer_over_thread']} thread, "
        f"×{figures['lag_ratio_peer_over_process']} process)"
    )
    record = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {**machine(), "loadavg_at_start": load_start, "loadavg_at_end": os.getloadavg()},
        "python": sys.version.split()[0],
        "args": {k: str(v) for k, v in vars(args).items() if k != "data"},
        "figures": figures,
    }
    out = ROOT / "bench" / "results" / f"workforce-plan-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(record, indent=2), encoding="utf-8")
    print(f"written {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
