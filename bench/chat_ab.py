"""A/B of the chat benchmark: ``bench/chat.py`` against two source trees, interleaved
(A, B, B, A, A, B, ...: each round alternates which goes first), so both see the same
noise of a shared machine; per figure the median over the rounds with its spread
(least–most), and the ratios B/A of the medians.

A is a base commit (``--base``, default the commit of the last good records), checked out
in a temporary git worktree, or a source folder (``--a``); B is this tree's ``src`` or
``--b``. Each tree's own ``bench/chat.py`` runs in a child process with that tree's
``src`` on ``PYTHONPATH`` (it prepares the database with that tree's code; the load it
sends is the same). The bare WebSocket relay runs in every run as the peer.

Besides the send→desktop latencies, each run's CPU seconds (the child and everything it
started and waited for: the servers on both stores with their start-up and migrations,
the relay, the load; not PostgreSQL's own processes) per message sent: a figure a busy
machine disturbs far less than p99, though with the start-ups in it, it only compares
runs of the default size (1,000 messages per store).

Run: ``PYTHONPATH=src python bench/chat_ab.py --base a7416b7 --rounds 3`` (about 5
minutes idle); options after ``--`` go to bench/chat.py, e.g. ``-- --postgres off``. The
record goes to bench/results/chat-ab-<date>.json.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import chat
from ab_trees import DEFAULT_BASE, commit_of, load_1m, ratio, spread, trees

KINDS = ("relay", "sqlite", "postgres")
FIGURES = ("p50_ms", "p99_ms", "mean_ms", "messages_per_s")
LINES = {"relay (peer)": "relay", "kefu SQLite": "sqlite", "kefu PostgreSQL": "postgres"}


def children_cpu_s() -> float:
    """CPU seconds (user + system) of the finished child processes waited for so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def run_tree(src: str, options: list[str]) -> dict[str, Any]:
    """One run of ``<tree>/bench/chat.py`` on ``src``; the figures it printed, by store,
    and ``cpu_ms_per_message`` of the whole run."""
    script = Path(src).parent / "bench" / "chat.py"
    cpu0 = children_cpu_s()
    done = subprocess.run(
        [sys.executable, str(script), *options, "--no-write"],
        env={**os.environ, "PYTHONPATH": src},
        capture_output=True,
        text=True,
        check=False,
    )
    cpu = children_cpu_s() - cpu0
    print(done.stdout, end="", flush=True)
    if done.returncode:
        raise SystemExit(f"{script} failed:\n{done.stderr[-2000:]}")
    figures: dict[str, Any] = {}
    for line in done.stdout.splitlines():
        head, _, rest = line.strip().partition(": ")
        for prefix, kind in LINES.items():
            if head.startswith(prefix) and rest.startswith("{"):
                figures[kind] = ast.literal_eval(rest)
    sent = sum(f.get("expected", 0) for f in figures.values())
    figures["cpu_ms_per_message"] = round(1000 * cpu / sent, 3) if sent else None
    return figures


def summary(runs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """Median and spread over the runs of one tree and one store; ``lost`` sums the
    missing messages."""
    found = [r[kind] for r in runs if kind in r]
    out: dict[str, Any] = {"runs": len(found)}
    for key in FIGURES:
        out[key] = spread([f[key] for f in found if f.get(key) is not None])
    out["lost"] = sum(f["expected"] - f["messages"] for f in found)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=DEFAULT_BASE, help="commit of A (checked out)")
    parser.add_argument("--a", help="source folder of A instead of --base")
    parser.add_argument("--b", help="source folder of B (default: this tree's src)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--label-a", default="base")
    parser.add_argument("--label-b", default="head")
    parser.add_argument("rest", nargs="*", help="options for bench/chat.py")
    args = parser.parse_args()
    a, b = args.label_a, args.label_b
    runs: dict[str, list[dict[str, Any]]] = {a: [], b: []}
    loads: dict[str, list[float]] = {a: [], b: []}
    began = time.monotonic()
    with trees(args.base, args.a, args.b) as (tree_a, tree_b):
        paths = {a: tree_a, b: tree_b}
        commits = {label: commit_of(tree) for label, tree in paths.items()}
        for round_no in range(args.rounds):
            for label in (a, b) if round_no % 2 == 0 else (b, a):
                print(f"== round {round_no + 1}: {label} {commits[label]}", flush=True)
                loads[label].append(load_1m())
                runs[label].append(run_tree(paths[label], args.rest))
    kinds = [k for k in KINDS if any(k in run for r in runs.values() for run in r)]
    medians: dict[str, dict[str, Any]] = {
        label: {k: summary(r, k) for k in kinds} for label, r in runs.items()
    }
    for label, r in runs.items():
        medians[label]["cpu_ms_per_message"] = spread(
            [v for run in r if (v := run.get("cpu_ms_per_message")) is not None]
        )
    ratios: dict[str, Any] = {
        kind: {
            key: ratio(medians[b][kind][key]["median"], medians[a][kind][key]["median"])
            for key in FIGURES
        }
        for kind in kinds
        if kind != "relay"
    }
    ratios["cpu_ms_per_message"] = ratio(
        medians[b]["cpu_ms_per_message"]["median"], medians[a]["cpu_ms_per_message"]["median"]
    )
    record = {
        "benchmark": "chat-ab",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": chat.machine(),
        "load_1m_at_each_run": loads,
        "minutes": round((time.monotonic() - began) / 60, 1),
        "commits": commits,
        "rounds": args.rounds,
        "chat_options": args.rest,
        "medians": medians,
        f"ratios_{b}_over_{a}": ratios,
        "runs": runs,
    }
    print(f"\n{a} {commits[a]} against {b} {commits[b]}, {args.rounds} rounds")
    for kind in kinds:
        print(f"  {kind}: median [least–most] of {a} | of {b} | ratio {b}/{a}")
        for key in FIGURES:
            x, y = medians[a][kind][key], medians[b][kind][key]
            shown = ratios.get(kind, {}).get(key, "")
            print(
                f"    {key:16} {x['median']} [{x['min']}–{x['max']}] | "
                f"{y['median']} [{y['min']}–{y['max']}] | {shown}"
            )
    x, y = medians[a]["cpu_ms_per_message"], medians[b]["cpu_ms_per_message"]
    print(
        f"  CPU ms per message (whole run): {x['median']} [{x['min']}–{x['max']}] | "
        f"{y['median']} [{y['min']}–{y['max']}] | {ratios['cpu_ms_per_message']}"
    )
    print(f"  load (1 min) at each run: {loads}")
    chat.RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"chat-ab-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    (chat.RESULTS / name).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    print(f"record: bench/results/{name}")


if __name__ == "__main__":
    main()
