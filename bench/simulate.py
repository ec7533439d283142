"""Benchmark: kefu's simulator (driving the real router) against Ciw, SimPy and a bare loop.

The same M/M/n+M model everywhere: Poisson arrivals, exponential handle times (AHT 180 s),
exponential patience (mean 120 s), FCFS; 400 agents at 2 arrivals/s and 4,000 agents at
20 arrivals/s (90 % offered load, ~200,000 arrivals each). Prints contacts simulated per
second for each simulator and kefu's ratio to each peer, times the 1,000-agent 20-queue
multi-skill day (examples/multiskill_day.yaml) and writes a JSON record to bench/results/.

Ciw's cost per event grows with the number of servers, so it runs on a shorter horizon
(``--ciw-arrivals``); kefu is timed on that same horizon too, and the Ciw ratio compares
the two runs of equal length. Run (see bench/README.md for the venv):

    PYTHONPATH=src .venv-bench/bin/python bench/simulate.py [--quick] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import heapq
import io
import json
import os
import platform
import pstats
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from kefu.domain import routing as routing_build
from kefu.sim import compile_scenario, load_scenario, replication_seed, run_replication
from kefu.sim import parse_scenario as parse

ROOT = Path(__file__).resolve().parent.parent
AHT, PATIENCE = 180.0, 120.0
SHORT_TRIES = 3  # runs of kefu's short case (its median is the one compared)
CASES = {"400 agents": (400, 2.0), "4000 agents": (4000, 20.0)}


def machine() -> dict[str, Any]:
    model, cores = "unknown", os.cpu_count()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": cores,
        "platform": platform.platform(),
        "python": platform.python_version(),
        # the router compiled with mypyc (PYTHONPATH=build/mypyc, `make compiled`) or not
        "router_build": "compiled" if routing_build.COMPILED else "pure",
        "loadavg_at_start": os.getloadavg(),
    }


def timed(fn: Callable[[], int]) -> dict[str, float]:
    """Run ``fn`` (which returns the number of arrivals it simulated) and time it."""
    wall, cpu = time.perf_counter(), time.process_time()
    contacts = fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "contacts": contacts,
        "wall_s": wall,
        "cpu_s": cpu,
        "per_s": contacts / wall,
        "per_cpu_s": contacts / cpu,
    }


def kefu_mmnm(agents: int, rate: float, horizon: float, seed: int = 1) -> int:
    scenario = {
        "horizon_s": horizon,
        "interval_s": 3600.0,
        "queues": [
            {
                "id": "q",
                "arrivals": {"rate_per_s": rate},
                "handle": {"dist": "exponential", "mean_s": AHT},
                "patience": {"dist": "exponential", "mean_s": PATIENCE},
            }
        ],
        "agents": [{"group": "pool", "count": agents}],
    }
    plan = compile_scenario(parse(scenario))
    return run_replication(plan, replication_seed(seed, 0)).contacts


def ciw_mmnm(agents: int, rate: float, horizon: float, seed: int = 1) -> int:
    import ciw

    ciw.seed(seed)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=rate)],
        service_distributions=[ciw.dists.Exponential(rate=1 / AHT)],
        number_of_servers=[agents],
        reneging_time_distributions=[ciw.dists.Exponential(rate=1 / PATIENCE)],
    )
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(horizon)
    return int(sim.nodes[0].number_of_individuals)


def simpy_mmnm(agents: int, rate: float, horizon: float, seed: int = 1) -> int:
    import simpy

    rng = np.random.default_rng(seed)
    n = int(rate * horizon * 1.1) + 100
    gaps = rng.exponential(1 / rate, n).tolist()
    talks = rng.exponential(AHT, n).tolist()
    patience = rng.exponential(PATIENCE, n).tolist()
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=agents)
    count = [0]

    def customer(i: int) -> Any:
        with desk.request() as req:
            got = yield req | env.timeout(patience[i])
            if req in got:
                yield env.timeout(talks[i])

    def source() -> Any:
        i = 0
        while True:
            yield env.timeout(gaps[i])
            env.process(customer(i))
            count[0] += 1
            i += 1

    env.process(source())
    env.run(until=horizon)
    return count[0]


def heapq_mmnm(agents: int, rate: float, horizon: float, seed: int = 1) -> int:
    """The floor: only the queueing, FCFS with reneging, one heap of (time, kind, id)."""
    rng = np.random.default_rng(seed)
    n = int(rate * horizon * 1.1) + 100
    arrivals = np.cumsum(rng.exponential(1 / rate, n)).tolist()
    talks = rng.exponential(AHT, n).tolist()
    patience = rng.exponential(PATIENCE, n).tolist()
    heap: list[tuple[float, int, int]] = []
    push, pop = heapq.heappush, heapq.heappop
    line: deque[int] = deque()
    gone = bytearray(n)
    free = agents
    i = 0
    while True:
        ta = arrivals[i]
        if heap and heap[0][0] <= ta:
            t, kind, c = pop(heap)
            if kind == 0:  # a conversation ends: the next customer still waiting
                while line and gone[line[0]]:
                    line.popleft()
                if line:
                    nxt = line.popleft()
                    gone[nxt] = 1
                    push(heap, (t + talks[nxt], 0, nxt))
                else:
                    free += 1
            elif not gone[c]:  # patience ran out while waiting
                gone[c] = 1
        else:
            if ta >= horizon:
                return i
            if free:
                free -= 1
                gone[i] = 1
                push(heap, (ta + talks[i], 0, i))
            else:
                line.append(i)
                push(heap, (ta + patience[i], 1, i))
            i += 1


def profile_kefu(agents: int, rate: float, horizon: float) -> list[dict[str, Any]]:
    prof = cProfile.Profile()
    prof.enable()
    kefu_mmnm(agents, rate, horizon)
    prof.disable()
    stats = pstats.Stats(prof, stream=io.StringIO())
    rows = []
    for (file, line, name), (_, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "function": f"{Path(file).name}:{line}({name})",
                "calls": calls,
                "tottime_s": round(tottime, 3),
                "cumtime_s": round(cumtime, 3),
            }
        )
    rows.sort(key=lambda r: -r["tottime_s"])
    return rows[:20]


def profile_split(agents: int, rate: float, horizon: float) -> dict[str, float]:
    """Share of kefu's own time (cProfile tottime) by layer: router, KPIs, engine, other."""
    prof = cProfile.Profile()
    prof.enable()
    kefu_mmnm(agents, rate, horizon)
    prof.disable()
    stats = pstats.Stats(prof, stream=io.StringIO())
    split = {"router (kefu.domain)": 0.0, "KPIs (kefu.analytics)": 0.0, "engine (kefu.sim)": 0.0}
    other = 0.0
    for (file, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        path = file.replace(os.sep, "/")
        for key, part in (
            ("router (kefu.domain)", "/kefu/domain/"),
            ("KPIs (kefu.analytics)", "/kefu/analytics/"),
            ("engine (kefu.sim)", "/kefu/sim/"),
        ):
            if part in path:
                split[key] += tottime
                break
        else:
            other += tottime
    split["other (heapq, numpy, builtins)"] = other
    total = sum(split.values())
    return {k: round(v / total, 3) for k, v in split.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the arrivals")
    parser.add_argument("--ciw-arrivals", type=int, default=40_000, help="Ciw run length")
    parser.add_argument("--profile", action="store_true", help="profile kefu at 400 agents")
    parser.add_argument("--day-replications", type=int, default=1)
    args = parser.parse_args()
    scale = 0.1 if args.quick else 1.0
    record: dict[str, Any] = {
        "benchmark": "simulate",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "model": {"aht_s": AHT, "patience_s": PATIENCE, "discipline": "FCFS"},
        "cases": {},
    }
    for versions in ("ciw", "simpy"):
        try:
            record.setdefault("versions", {})[versions] = __import__(versions).__version__
        except ImportError:
            record.setdefault("versions", {})[versions] = None

    for label, (agents, rate) in CASES.items():
        horizon = 200_000 * scale / rate
        short = min(horizon, args.ciw_arrivals * scale / rate / (2 if agents >= 4000 else 1))
        case: dict[str, Any] = {"agents": agents, "rate_per_s": rate, "horizon_s": horizon}
        print(f"\n== {label}: {rate:g} arrivals/s, {horizon:,.0f} s ==", flush=True)
        runs = {
            "kefu": lambda a=agents, r=rate, h=horizon: kefu_mmnm(a, r, h),
            "heapq": lambda a=agents, r=rate, h=horizon: heapq_mmnm(a, r, h),
            "simpy": lambda a=agents, r=rate, h=horizon: simpy_mmnm(a, r, h),
            "kefu_short": lambda a=agents, r=rate, h=short: kefu_mmnm(a, r, h),
            "ciw_short": lambda a=agents, r=rate, h=short: ciw_mmnm(a, r, h),
        }
        for name, fn in runs.items():
            if name in ("simpy", "ciw_short") and record["versions"][name.split("_")[0]] is None:
                print(f"{name:>11}: not installed (see bench/README.md)")
                continue
            if name == "kefu_short":
                # Under half a second: one hiccup of the machine moved it by a third, so the
                # median of three runs (all three kept) is compared with Ciw's one long run.
                tries = sorted((timed(fn) for _ in range(SHORT_TRIES)), key=lambda t: t["cpu_s"])
                case["kefu_short_runs"] = tries
                case[name] = tries[len(tries) // 2]
            else:
                case[name] = timed(fn)
            c = case[name]
            print(
                f"{name:>11}: {c['contacts']:>8,} contacts in {c['wall_s']:7.2f} s "
                f"(cpu {c['cpu_s']:6.2f} s) = {c['per_s']:>9,.0f} contacts/s",
                flush=True,
            )
        ratios = {}
        if "ciw_short" in case:
            ratios["kefu_vs_ciw"] = case["kefu_short"]["per_s"] / case["ciw_short"]["per_s"]
        if "simpy" in case:
            ratios["kefu_vs_simpy"] = case["kefu"]["per_s"] / case["simpy"]["per_s"]
        ratios["heapq_vs_kefu"] = case["heapq"]["per_s"] / case["kefu"]["per_s"]
        # On a shared machine wall time includes waiting for a core: CPU seconds compare
        # the simulators' own work.
        if "ciw_short" in case:
            ratios["kefu_vs_ciw_cpu"] = (
                case["kefu_short"]["per_cpu_s"] / case["ciw_short"]["per_cpu_s"]
            )
        if "simpy" in case:
            ratios["kefu_vs_simpy_cpu"] = case["kefu"]["per_cpu_s"] / case["simpy"]["per_cpu_s"]
        case["ratios"] = ratios
        print("  ratios: " + ", ".join(f"{k} {v:.2f}×" for k, v in ratios.items()))
        record["cases"][label] = case

    day = load_scenario(ROOT / "examples" / "multiskill_day.yaml")
    plan = compile_scenario(day)
    reps = []
    for i in range(args.day_replications):
        rep = run_replication(plan, replication_seed(day.seed, i), i)
        reps.append(
            {
                "contacts": rep.contacts,
                "events": rep.events,
                "wall_s": rep.wall_s,
                "cpu_s": rep.cpu_s,
            }
        )
        print(
            f"\n== multi-skill day (1,000 agents, 20 queues), replication {i}: {rep.contacts:,} "
            f"contacts, {rep.events:,} router events in {rep.wall_s:.2f} s (cpu {rep.cpu_s:.2f} s) "
            f"= {rep.contacts / rep.wall_s:,.0f} contacts/s; goal ≤ 5 s",
            flush=True,
        )
    record["multiskill_day"] = reps

    if args.profile:
        agents, rate = CASES["400 agents"]
        record["profile_400"] = profile_kefu(agents, rate, 40_000 * scale / rate)
        record["profile_400_split"] = profile_split(agents, rate, 40_000 * scale / rate)
        print("\n== share of kefu's time by layer at 400 agents (cProfile) ==")
        for key, share in record["profile_400_split"].items():
            print(f"  {share:6.1%}  {key}")
        print("\n== kefu hot path at 400 agents (cProfile, by own time) ==")
        for row in record["profile_400"][:15]:
            print(f"  {row['tottime_s']:7.3f} s  {row['calls']:>9,}  {row['function']}")

    record["machine"]["loadavg_at_end"] = os.getloadavg()
    out = ROOT / "bench" / "results" / f"simulate-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nrecord: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
