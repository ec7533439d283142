"""A/B of the server benchmark: ``bench/server.py`` run on two source trees, interleaved
(A, B, B, A, A, B, ...: each round alternates which goes first), so both see the same
noise of a shared machine; per figure the median over the rounds with its spread
(least–most), and the ratios B/A of the medians.

A is a base commit (``--base``, default the commit of the last good records), checked out
in a temporary git worktree, or a source folder (``--a``); B is this tree's ``src`` or
``--b``. The figures that do not depend on the machine's load are the server's CPU
milliseconds per contact (and ``bench/server_calls.py``'s counts); p99 latencies need an
idle machine and several rounds.

Run: ``PYTHONPATH=src python bench/server_ab.py --base a7416b7 --rounds 3``; options after
``--`` go to bench/server.py (default here ``--seconds 10``: about 5 minutes for 3 rounds
on both stores). The record goes to bench/results/server-ab-<date>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import server
from ab_trees import DEFAULT_BASE, commit_of, load_1m, ratio, spread, trees

KEYS = ("create_to_queued_ms", "create_to_wallboard_ms", "accept_ms", "complete_ms")
DEFAULT_OPTIONS = ("--seconds", "10")


def flat(store: dict[str, Any]) -> dict[str, float | None]:
    """The figures of one run on one store, by name."""
    out: dict[str, float | None] = {}
    for key in KEYS:
        for p in ("p50", "p99"):
            out[f"{key.removesuffix('_ms')}_{p}_ms"] = store[key][p]
    out["server_cpu_ms_per_contact"] = store["server_cpu_ms_per_contact"]
    out["server_cpu_share"] = store["cpu_share"]["server"]
    out["machine_busy"] = store["cpu_share"]["machine_busy_fraction"]
    out["created_per_s"] = store["created_per_s"]
    return out


def summary(runs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """Median and spread over the runs of one tree on one store."""
    rows = [flat(r["stores"][kind]) for r in runs if kind in r["stores"]]
    names = rows[0] if rows else {}
    out: dict[str, Any] = {"runs": len(rows)}
    for name in names:
        out[name] = spread([v for row in rows if (v := row[name]) is not None])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=DEFAULT_BASE, help="commit of A (checked out)")
    parser.add_argument("--a", help="source folder of A instead of --base")
    parser.add_argument("--b", help="source folder of B (default: this tree's src)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--label-a", default="base")
    parser.add_argument("--label-b", default="head")
    parser.add_argument("rest", nargs="*", help="options for bench/server.py")
    args = parser.parse_args()
    options = args.rest or list(DEFAULT_OPTIONS)
    a, b = args.label_a, args.label_b
    runs: dict[str, list[dict[str, Any]]] = {a: [], b: []}
    loads: dict[str, list[float]] = {a: [], b: []}
    began = time.monotonic()
    with trees(args.base, args.a, args.b) as (tree_a, tree_b):
        paths = {a: tree_a, b: tree_b}
        commits = {label: commit_of(tree) for label, tree in paths.items()}
        for round_no in range(args.rounds):
            order = (a, b) if round_no % 2 == 0 else (b, a)
            for label in order:
                print(f"== round {round_no + 1}: {label} {commits[label]}", flush=True)
                os.environ["PYTHONPATH"] = paths[label]
                loads[label].append(load_1m())
                runs[label].append(server.main([*options, "--no-write"]))
    kinds = sorted({k for r in runs.values() for run in r for k in run["stores"]})
    medians = {label: {k: summary(r, k) for k in kinds} for label, r in runs.items()}
    ratios = {
        kind: {
            name: ratio(medians[b][kind][name]["median"], medians[a][kind][name]["median"])
            for name in medians[a][kind]
            if name != "runs"
        }
        for kind in kinds
    }
    record = {
        "benchmark": "server-ab",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": server.machine(),
        "load_1m_at_each_run": loads,
        "load_average_at_end": Path("/proc/loadavg").read_text().split()[:3],
        "minutes": round((time.monotonic() - began) / 60, 1),
        "commits": commits,
        "rounds": args.rounds,
        "server_options": options,
        "medians": medians,
        f"ratios_{b}_over_{a}": ratios,
        "runs": {label: [dict(run["stores"]) for run in r] for label, r in runs.items()},
    }
    print(f"\n{a} {commits[a]} against {b} {commits[b]}, {args.rounds} rounds")
    for kind in kinds:
        print(f"  {kind}: median [least–most] of {a} | of {b} | ratio {b}/{a}")
        for name, x in medians[a][kind].items():
            if name == "runs":
                continue
            y = medians[b][kind][name]
            print(
                f"    {name:32} {x['median']} [{x['min']}–{x['max']}] | "
                f"{y['median']} [{y['min']}–{y['max']}] | {ratios[kind][name]}"
            )
    print(f"  load (1 min) at each run: {loads}")
    server.RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"server-ab-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    (server.RESULTS / name).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    print(f"record: bench/results/{name}")


if __name__ == "__main__":
    main()
