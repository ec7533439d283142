"""A/B of the server benchmark: ``bench/server.py`` run on two source trees, interleaved
(A, B, A, B, ...), so both see the same noise of a shared machine; medians and the ratios
B/A of the medians.

Run: ``PYTHONPATH=src python bench/server_ab.py --a <tree>/src --b src --rounds 3``
(other options go to bench/server.py after ``--``). The record goes to
bench/results/server-ab-<date>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import server

KEYS = ("create_to_queued_ms", "create_to_wallboard_ms", "accept_ms", "complete_ms")


def commit_of(tree: str) -> str:
    """The short commit of a source tree, with "+changes" when its files differ from it."""

    def git(*words: str) -> str:
        done = subprocess.run(["git", "-C", tree, *words], capture_output=True, text=True)
        return done.stdout.strip()

    dirty = git("status", "--porcelain", "--", ".")
    return git("rev-parse", "--short", "HEAD") + ("+changes" if dirty else "")


def summary(runs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """Medians over the runs of one tree and one store."""
    stores = [r["stores"][kind] for r in runs if kind in r["stores"]]
    out: dict[str, Any] = {"runs": len(stores)}
    for key in KEYS:
        for p in ("p50", "p99"):
            values = [s[key][p] for s in stores if s[key][p] is not None]
            out[f"{key}_{p}"] = round(statistics.median(values), 2) if values else None
    out["server_cpu"] = round(statistics.median(s["cpu_share"]["server"] for s in stores), 2)
    out["server_cpu_ms_per_contact"] = round(
        statistics.median(s["server_cpu_ms_per_contact"] for s in stores), 3
    )
    out["machine_busy"] = round(
        statistics.median(s["cpu_share"]["machine_busy_fraction"] for s in stores), 2
    )
    out["created_per_s"] = round(statistics.median(s["created_per_s"] for s in stores), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", required=True, help="source folder of A (the base)")
    parser.add_argument("--b", required=True, help="source folder of B (the change)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--label-a", default="base")
    parser.add_argument("--label-b", default="head")
    parser.add_argument("rest", nargs="*", help="options for bench/server.py")
    args = parser.parse_args()
    trees = {args.label_a: str(Path(args.a).resolve()), args.label_b: str(Path(args.b).resolve())}
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label in trees}
    for round_no in range(args.rounds):
        for label, tree in trees.items():
            print(f"== round {round_no + 1}: {label} ({tree})", flush=True)
            os.environ["PYTHONPATH"] = tree
            runs[label].append(server.main([*args.rest, "--no-write"]))
    kinds = sorted({k for r in runs.values() for run in r for k in run["stores"]})
    medians = {label: {k: summary(r, k) for k in kinds} for label, r in runs.items()}
    a, b = args.label_a, args.label_b
    ratios = {
        kind: {
            key: round(medians[b][kind][key] / medians[a][kind][key], 2)
            for key in medians[a][kind]
            if key != "runs" and medians[a][kind][key] and medians[b][kind][key]
        }
        for kind in kinds
    }
    record = {
        "benchmark": "server-ab",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": server.machine(),
        "load_average_at_end": Path("/proc/loadavg").read_text().split()[:3],
        "commits": {label: commit_of(tree) for label, tree in trees.items()},
        "rounds": args.rounds,
        "server_options": args.rest,
        "medians": medians,
        f"ratios_{b}_over_{a}": ratios,
        "runs": {label: [dict(run["stores"]) for run in r] for label, r in runs.items()},
    }
    print(json.dumps({"medians": medians, "ratios": ratios}, indent=1))
    server.RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"server-ab-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    (server.RESULTS / name).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    print(f"record: bench/results/{name}")


if __name__ == "__main__":
    main()
