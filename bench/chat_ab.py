"""A/B of the chat benchmark: ``bench/chat.py`` against two source trees, interleaved
(A, B, A, B, ...), so both see the same noise of a shared machine; medians of the
send→desktop latencies and the ratios B/A of the medians.

Each tree's own ``bench/chat.py`` runs in a child process with that tree's ``src`` on
``PYTHONPATH`` (the client code is the same in both unless the bench itself changed; the
schema is migrated by the tree under test). The bare WebSocket relay runs in every run as
the peer.

Run: ``PYTHONPATH=src python bench/chat_ab.py --a <tree>/src --b src --rounds 3``
(other options go to bench/chat.py after ``--``, e.g. ``-- --postgres off``). The record goes
to bench/results/chat-ab-<date>.json.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import chat
from server_ab import commit_of

KINDS = ("relay", "sqlite", "postgres")
FIGURES = ("p50_ms", "p99_ms", "mean_ms", "messages_per_s")
LINES = {"relay (peer)": "relay", "kefu SQLite": "sqlite", "kefu PostgreSQL": "postgres"}


def run_tree(src: str, options: list[str]) -> dict[str, Any]:
    """One run of ``<tree>/bench/chat.py`` on ``src``; the figures it printed, by store."""
    script = Path(src).parent / "bench" / "chat.py"
    done = subprocess.run(
        [sys.executable, str(script), *options, "--no-write"],
        env={**os.environ, "PYTHONPATH": src},
        capture_output=True,
        text=True,
        check=False,
    )
    print(done.stdout, end="", flush=True)
    if done.returncode:
        raise SystemExit(f"{script} failed:\n{done.stderr[-2000:]}")
    figures: dict[str, Any] = {}
    for line in done.stdout.splitlines():
        head, _, rest = line.strip().partition(": ")
        for prefix, kind in LINES.items():
            if head.startswith(prefix) and rest.startswith("{"):
                figures[kind] = ast.literal_eval(rest)
    return figures


def summary(runs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """Medians over the runs of one tree and one store; ``lost`` sums the missing messages."""
    found = [r[kind] for r in runs if kind in r]
    out: dict[str, Any] = {"runs": len(found)}
    for key in FIGURES:
        values = [f[key] for f in found if f.get(key) is not None]
        out[key] = round(statistics.median(values), 2) if values else None
    out["lost"] = sum(f["expected"] - f["messages"] for f in found)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", required=True, help="source folder of A (the base)")
    parser.add_argument("--b", required=True, help="source folder of B (the change)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--label-a", default="base")
    parser.add_argument("--label-b", default="head")
    parser.add_argument("rest", nargs="*", help="options for bench/chat.py")
    args = parser.parse_args()
    trees = {args.label_a: str(Path(args.a).resolve()), args.label_b: str(Path(args.b).resolve())}
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label in trees}
    loads: list[float] = []
    for round_no in range(args.rounds):
        for label, tree in trees.items():
            print(f"== round {round_no + 1}: {label} ({tree})", flush=True)
            loads.append(round(os.getloadavg()[0], 2))
            runs[label].append(run_tree(tree, args.rest))
    kinds = [k for k in KINDS if any(k in run for r in runs.values() for run in r)]
    medians = {label: {k: summary(r, k) for k in kinds} for label, r in runs.items()}
    a, b = args.label_a, args.label_b
    ratios = {
        kind: {
            key: round(medians[b][kind][key] / medians[a][kind][key], 2)
            for key in FIGURES
            if medians[a][kind][key] and medians[b][kind][key]
        }
        for kind in kinds
        if kind != "relay"
    }
    record = {
        "benchmark": "chat-ab",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": chat.machine(),
        "load_1m_at_each_run": loads,
        "commits": {label: commit_of(tree) for label, tree in trees.items()},
        "rounds": args.rounds,
        "chat_options": args.rest,
        "medians": medians,
        f"ratios_{b}_over_{a}": ratios,
        "runs": runs,
    }
    print(json.dumps({"medians": medians, "ratios": ratios}, indent=1))
    chat.RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"chat-ab-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    (chat.RESULTS / name).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    print(f"record: bench/results/{name}")


if __name__ == "__main__":
    main()
