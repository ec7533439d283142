"""A/B benchmark of the simulator: two source trees on the same workloads, alternating.

On a shared machine the CPU time of one code moves by ±30 % between runs, so a change is
judged by running the old and the new code in turns in one session, each in a fresh
process, and comparing medians. Workloads (CPU seconds of ``run_replication`` alone):

- ``sim_400``: bench/simulate.py's M/M/n+M model, 400 agents, 2 arrivals/s, 20,000 s;
- ``sim_4000``: the same, 4,000 agents, 20 arrivals/s, 2,000 s;
- ``day``: one replication of examples/multiskill_day.yaml (1,000 agents, 20 queues);
- ``routing``: bench/routing.py's full center (10,000 agents, 500 skills, 200 queues),
  60,000 arrivals, figures over the last 45,000: decisions (as "contacts") per CPU second
  inside the router calls (the driver's own work and clock reads not netted out).

Run, with ``--a``/``--b`` the ``src`` folders of the two versions (for example
``git archive <base> src | tar -x -C /tmp/base``)::

    python bench/sim_ab.py --a /tmp/base/src --b src --runs 3 [--no-day] [--routing]

Prints each run and the median ratio B/A of contacts per CPU second, and writes
``bench/results/sim-ab-<date>.json`` (machine, load averages, figures, ratios).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = {
    "sim_400": (400, 2.0, 20_000.0),
    "sim_4000": (4000, 20.0, 2_000.0),
    "day": None,
    "routing": None,
}
ROUTING_CONTACTS = 60_000


def _routing_child() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_routing", ROOT / "bench" / "routing.py")
    assert spec is not None and spec.loader is not None
    routing = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = routing
    spec.loader.exec_module(routing)
    center = routing.build_center(agents=10_000, skills=500, queues=200, load=0.95, seed=2026)
    n = ROUTING_CONTACTS
    stream = routing.contact_stream(center, n, 0.02, 2026)
    wall = time.perf_counter()
    figures, _ = routing.drive_kefu(center, stream, n, n // 4)
    wall = time.perf_counter() - wall
    out = {"contacts": figures["decisions"], "cpu_s": figures["router_s"], "wall_s": wall}
    print(json.dumps(out))


def _child(workload: str) -> None:
    if workload == "routing":
        _routing_child()
        return
    from kefu.sim import (
        compile_scenario,
        load_scenario,
        parse_scenario,
        replication_seed,
        run_replication,
    )

    spec = WORKLOADS[workload]
    if spec is None:
        plan = compile_scenario(load_scenario(ROOT / "examples" / "multiskill_day.yaml"))
    else:
        agents, rate, horizon = spec
        plan = compile_scenario(
            parse_scenario(
                {
                    "horizon_s": horizon,
                    "interval_s": 3600.0,
                    "queues": [
                        {
                            "id": "q",
                            "arrivals": {"rate_per_s": rate},
                            "handle": {"dist": "exponential", "mean_s": 180.0},
                            "patience": {"dist": "exponential", "mean_s": 120.0},
                        }
                    ],
                    "agents": [{"group": "pool", "count": agents}],
                }
            )
        )
    cpu, wall = time.process_time(), time.perf_counter()
    rep = run_replication(plan, replication_seed(1, 0))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(json.dumps({"contacts": rep.contacts, "cpu_s": cpu, "wall_s": wall}))


def _run(src: str, workload: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": src}
    out = subprocess.run(
        [sys.executable, __file__, "--child", workload],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--a", help="src folder of version A (the base)")
    p.add_argument("--b", help="src folder of version B (the change)")
    p.add_argument("--label-a", default="base")
    p.add_argument("--label-b", default="change")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--no-day", action="store_true", help="skip the 1,000-agent day")
    p.add_argument("--routing", action="store_true", help="add bench/routing.py's workload")
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args()
    if args.child:
        _child(args.child)
        return
    if not args.a or not args.b:
        p.error("give --a and --b")
    load_start = os.getloadavg()
    names = [
        w
        for w in WORKLOADS
        if not (args.no_day and w == "day") and (args.routing or w != "routing")
    ]
    runs: dict[str, dict[str, list[dict[str, float]]]] = {w: {"a": [], "b": []} for w in names}
    for i in range(args.runs):
        for w in names:
            # Alternate which goes first so neither always meets the same load.
            order = ("a", "b") if i % 2 == 0 else ("b", "a")
            for side in order:
                r = _run(getattr(args, side), w)
                runs[w][side].append(r)
                print(
                    f"{w:9s} {side} run {i + 1}: {r['contacts']:>7} contacts, "
                    f"{r['cpu_s']:.2f} CPU s ({r['contacts'] / r['cpu_s']:,.0f}/CPU s)",
                    flush=True,
                )
    figures: dict[str, Any] = {}
    for w in names:
        per = {s: [r["contacts"] / r["cpu_s"] for r in runs[w][s]] for s in ("a", "b")}
        ratio = statistics.median(per["b"]) / statistics.median(per["a"])
        figures[w] = {
            "contacts_per_cpu_s_a": [round(x) for x in per["a"]],
            "contacts_per_cpu_s_b": [round(x) for x in per["b"]],
            "cpu_s_a": [round(r["cpu_s"], 3) for r in runs[w]["a"]],
            "cpu_s_b": [round(r["cpu_s"], 3) for r in runs[w]["b"]],
            "median_ratio_b_vs_a": round(ratio, 3),
        }
        print(f"{w}: B/A = {ratio:.3f} (median contacts per CPU s)")
    record = {
        "benchmark": "sim-ab",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpu_model": _cpu_model(),
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "loadavg_at_start": load_start,
            "loadavg_at_end": os.getloadavg(),
        },
        "a": args.label_a,
        "b": args.label_b,
        "runs": args.runs,
        "figures": figures,
    }
    if not args.no_write:
        out = ROOT / "bench" / "results"
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"sim-ab-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
        path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
