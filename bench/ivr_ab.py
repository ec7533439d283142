"""A/B benchmark of the IVR interpreter: two source trees on the same walks, alternating.

On a shared machine the CPU time of one code moves by tens of percent between runs, so a
change of the interpreter is judged by running the old and the new code in turns, each in
a fresh process, and comparing medians. Each process records bench/ivr.py's seeded walks
through the demo bank flow with its own interpreter (the same walks when the behaviour is
the same: the outcome digest printed beside the figures must agree) and times their replay
with ``begin``/``step`` alone (:func:`ivr.run_kefu`, CPU seconds, median of ``--repeats``).

Run, with ``--a``/``--b`` the ``src`` folders of the two versions (for example
``git archive <base> src | tar -x -C /tmp/base``)::

    PYTHONPATH=src python bench/ivr_ab.py --a /tmp/base/src --b src --runs 5

Prints each run and the median ratio B/A of steps per CPU second (digits and words), and
writes ``bench/results/ivr-ab-<date>.json`` (machine, load averages, figures, ratios).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORKLOADS = ("digits", "words")


def _child(workload: str, callers: int, repeats: int) -> None:
    import ivr
    from kefu.adapters.ivr.tokenizer import JiebaTokenizer
    from kefu.domain.ivr import IvrContext

    flow = ivr.load_flow(ivr.BANK)
    words = workload == "words"
    walks = ivr.record_walks(flow, callers, 2026, words=words)
    tok = JiebaTokenizer() if words else None
    calendars = {"bank": ivr.AlwaysOpen()}
    ctx = IvrContext(tok, calendars) if tok else IvrContext(calendars=calendars)
    ivr.run_kefu(flow, walks, ctx)  # warm: jieba's dictionary, the memos
    (steps, events, outcomes), cpu, wall = ivr.timed(
        lambda: ivr.run_kefu(flow, walks, ctx), repeats
    )
    digest = hashlib.sha256(repr(outcomes).encode()).hexdigest()[:12]
    print(json.dumps({"steps": steps, "events": events, "cpu_s": cpu, "wall_s": wall,
                      "outcomes": digest}))  # fmt: skip


def _run(src: str, workload: str, callers: int, repeats: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, str(BENCH)])}
    argv = [sys.executable, __file__, "--child", workload, "--callers", str(callers)]
    out = subprocess.run(
        [*argv, "--repeats", str(repeats)], env=env, check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--a", help="src folder of version A (the base)")
    p.add_argument("--b", help="src folder of version B (the change)")
    p.add_argument("--label-a", default="base")
    p.add_argument("--label-b", default="change")
    p.add_argument("--runs", type=int, default=5, help="processes per version and workload")
    p.add_argument("--callers", type=int, default=2000, help="callers per walk set (digits)")
    p.add_argument("--repeats", type=int, default=3, help="timed replays per process")
    p.add_argument("--no-words", action="store_true", help="digits only")
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args()
    if args.child:
        callers = args.callers if args.child == "digits" else max(1, args.callers // 5)
        _child(args.child, callers, args.repeats)
        return
    if not args.a or not args.b:
        p.error("give --a and --b")
    from ivr import machine

    load_start = os.getloadavg()
    names = [w for w in WORKLOADS if not (args.no_words and w == "words")]
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {w: {"a": [], "b": []} for w in names}
    for i in range(args.runs):
        for w in names:
            # Alternate which goes first so neither always meets the same load.
            for side in ("a", "b") if i % 2 == 0 else ("b", "a"):
                r = _run(getattr(args, side), w, args.callers, args.repeats)
                runs[w][side].append(r)
                print(
                    f"{w:7s} {side} run {i + 1}: {r['steps']:>7} steps, {r['cpu_s']:.3f} CPU s "
                    f"({r['steps'] / r['cpu_s']:,.0f} steps/s), outcomes {r['outcomes']}",
                    flush=True,
                )
    figures: dict[str, Any] = {}
    for w in names:
        per = {s: [r["steps"] / r["cpu_s"] for r in runs[w][s]] for s in ("a", "b")}
        ratio = statistics.median(per["b"]) / statistics.median(per["a"])
        same = {r["outcomes"] for s in ("a", "b") for r in runs[w][s]}
        figures[w] = {
            "steps": runs[w]["a"][0]["steps"],
            "steps_per_cpu_s_a": [round(x) for x in per["a"]],
            "steps_per_cpu_s_b": [round(x) for x in per["b"]],
            "median_steps_per_cpu_s_a": round(statistics.median(per["a"])),
            "median_steps_per_cpu_s_b": round(statistics.median(per["b"])),
            "median_ratio_b_vs_a": round(ratio, 3),
            "same_outcomes": len(same) == 1,
        }
        print(
            f"{w}: A {statistics.median(per['a']):,.0f}, B {statistics.median(per['b']):,.0f} "
            f"steps/s (medians); B/A = {ratio:.3f}; same outcomes: {len(same) == 1}"
        )
    record = {
        "benchmark": "ivr-ab",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine() | {"loadavg_at_start": load_start, "loadavg_at_end": os.getloadavg()},
        "a": args.label_a,
        "b": args.label_b,
        "runs": args.runs,
        "callers": args.callers,
        "repeats": args.repeats,
        "figures": figures,
    }
    if not args.no_write:
        out = ROOT / "bench" / "results"
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"ivr-ab-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
        path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
