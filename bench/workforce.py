"""Benchmark: kefu's Erlang formulas and staffing against pyworkforce and mpmath.

Not a test. In one run, on the same cases:

* ``erlang_c``: accuracy against a 50-digit mpmath reference (the direct sum
  ``1/B = Σ_j n!/((n−j)! a^j)``) from 1 to 20,000 agents and loads up to 19,900 Erlangs,
  for kefu and for pyworkforce 0.5.1's ``ErlangC.waiting_probability``; time per call;
* ``required_agents`` (80 % within 20 s, Erlang C): agreement with the mpmath-checked
  fewest agents, kefu and pyworkforce's ``required_positions``;
* a day of staffing: 96 intervals × 20 queues with loads from 1 to 5,000 Erlangs, solved by
  kefu in one vectorized call and by pyworkforce one case at a time (and by kefu under
  Erlang A, which pyworkforce lacks);
* Erlang A at 5,000 agents: time per evaluation and agreement with the mpmath
  birth–death chain;
* then ``bench/workforce_scheduling.py`` (shift scheduling against pyworkforce), when present.

Run after setting up the bench venv (see bench/README.md)::

    PYTHONPATH=src .venv-bench/bin/python bench/workforce.py
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mpmath as mp
import numpy as np

from kefu.workforce.erlang import (
    erlang_a,
    erlang_c,
    required_agents,
    required_agents_array,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
AHT = 180.0
SL, THRESHOLD = 0.8, 20.0
mp.mp.dps = 50


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


def best_time(call: Callable[[], Any], repeats: int, inner: int = 1) -> float:
    """Smallest mean seconds per call over ``repeats`` batches of ``inner`` calls."""
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            call()
        best = min(best, (time.perf_counter() - start) / inner)
    return best


def ref_erlang_c(n: int, a: float) -> mp.mpf:
    """Erlang C from the direct sum 1/B = Σ_j n (n−1)…(n−j+1)/a^j, to 50 digits."""
    a_ = mp.mpf(a)
    term = total = mp.mpf(1)
    for j in range(1, n + 1):
        term *= (n - j + 1) / a_
        total += term
        if term < total * mp.mpf(10) ** -45 and n - j < a_:
            break
    b = 1 / total
    return n * b / (n - a_ * (1 - b))


def ref_service_level(n: int, a: float) -> mp.mpf:
    if a >= n:
        return mp.mpf(0)
    return 1 - ref_erlang_c(n, a) * mp.exp(-(n - a) * mp.mpf(THRESHOLD) / AHT)


def peer_erlang_c(erlang_c_class: Any, n: int, a: float) -> float:
    # transactions per interval of 1 minute with an AHT of 1 minute: intensity = a.
    return float(
        erlang_c_class(transactions=a, aht=1.0, asa=1.0, interval=1).waiting_probability(n)
    )


def peer_required(erlang_c_class: Any, a: float) -> int:
    # pyworkforce works in minutes; its ``asa`` argument is the service-level threshold.
    model = erlang_c_class(
        transactions=a, aht=AHT / 60.0, asa=THRESHOLD / 60.0, interval=AHT / 60.0
    )
    return int(model.required_positions(service_level=SL)["raw_positions"])


def accuracy(peer: Any | None) -> dict[str, Any]:
    """Relative errors of erlang_c against mpmath, kefu and pyworkforce."""
    sizes = [1, 2, 5, 10, 50, 100, 500, 1_000, 5_000, 10_000, 20_000]
    loads = [0.3, 0.8, 0.9, 0.95, 0.99, 0.999, 1.2]
    kefu_err, peer_err, peer_bad, cases = 0.0, 0.0, [], 0
    for n in sizes:
        for load in loads:
            a = min(n * load, 19_900.0)
            ref = ref_erlang_c(n, a) if a < n else mp.mpf(1)
            if ref < mp.mpf(10) ** -300:
                continue
            cases += 1
            kefu_err = max(kefu_err, float(abs(mp.mpf(erlang_c(a, n)) - ref) / ref))
            if peer is None:
                continue
            try:
                got = peer_erlang_c(peer, n, a)
            except Exception as exc:  # the peer raises on some inputs: count them
                peer_bad.append({"agents": n, "traffic": a, "error": type(exc).__name__})
                continue
            if not (0.0 <= got <= 1.0) or not math.isfinite(got):
                peer_bad.append({"agents": n, "traffic": a, "value": got})
                continue
            peer_err = max(peer_err, float(abs(mp.mpf(got) - ref) / ref))
    return {
        "cases": cases,
        "agents": f"{sizes[0]}..{sizes[-1]}",
        "kefu_max_rel_error": kefu_err,
        "pyworkforce_max_rel_error_on_valid": peer_err if peer else None,
        "pyworkforce_invalid": peer_bad if peer else None,
    }


def speed(peer: Any | None, repeats: int) -> dict[str, Any]:
    """Seconds per erlang_c evaluation at several sizes (load 0.95)."""
    out: dict[str, Any] = {}
    for n in (10, 100, 1_000, 5_000, 20_000):
        a = 0.95 * n
        row = {"kefu_s": best_time(lambda n=n, a=a: erlang_c(a, n), repeats, 200)}
        if peer is not None:
            row["pyworkforce_s"] = best_time(
                lambda n=n, a=a: peer_erlang_c(peer, n, a), repeats, 20
            )
            row["ratio_pyworkforce_over_kefu"] = row["pyworkforce_s"] / row["kefu_s"]
        out[str(n)] = row
    return out


def required_check(peer: Any | None) -> dict[str, Any]:
    """Fewest agents for 80 % in 20 s, against the mpmath-checked answer."""
    loads = [0.5, 1.0, 3.3, 10.0, 47.5, 100.0, 360.0, 999.0, 4_900.0, 19_900.0]
    kefu_ok, peer_ok, rows = 0, 0, []
    for a in loads:
        n = required_agents(a / AHT, AHT, service_level=SL, threshold=THRESHOLD)
        exact = ref_service_level(n, a) >= SL and (n == 1 or ref_service_level(n - 1, a) < SL)
        kefu_ok += exact
        row: dict[str, Any] = {"traffic": a, "kefu": n, "kefu_exact": exact}
        if peer is not None:
            p = peer_required(peer, a)
            row["pyworkforce"] = p
            peer_ok += p == n
        rows.append(row)
    return {"cases": len(loads), "kefu_exact": kefu_ok, "pyworkforce_equal_to_exact": peer_ok
            if peer else None, "rows": rows}  # fmt: skip


def day_loads() -> np.ndarray:
    """96 quarter-hours × 20 queues: two daily peaks, queue peaks 5..5,000 Erlangs."""
    t = np.linspace(0.0, 1.0, 96)
    profile = 0.2 + 0.8 * np.maximum(
        np.exp(-(((t - 0.4) / 0.12) ** 2)), np.exp(-(((t - 0.7) / 0.1) ** 2))
    )
    peaks = np.geomspace(5.0, 5_000.0, 20)
    return np.clip(peaks[:, None] * profile[None, :], 1.0, 5_000.0)


def day(peer: Any | None, repeats: int) -> dict[str, Any]:
    """A whole day of staffing: kefu vectorized vs pyworkforce case by case."""
    loads = day_loads()
    rates = loads / AHT
    kefu_n = required_agents_array(rates, AHT, service_level=SL, threshold=THRESHOLD)
    kefu_s = best_time(
        lambda: required_agents_array(rates, AHT, service_level=SL, threshold=THRESHOLD), repeats
    )
    flat = loads.ravel()
    scalar_s = best_time(lambda: [required_agents(a / AHT, AHT, service_level=SL) for a in flat], 1)
    out: dict[str, Any] = {
        "cases": int(loads.size),
        "traffic_min": float(loads.min()),
        "traffic_max": float(loads.max()),
        "kefu_vectorized_s": kefu_s,
        "kefu_one_by_one_s": scalar_s,
        "kefu_agent_intervals": int(kefu_n.sum()),
    }
    if peer is not None:
        start = time.perf_counter()
        peer_n = np.array([peer_required(peer, float(a)) for a in flat]).reshape(loads.shape)
        out["pyworkforce_one_by_one_s"] = time.perf_counter() - start
        out["pyworkforce_agent_intervals"] = int(peer_n.sum())
        out["equal_answers"] = int((peer_n == kefu_n).sum())
        out["ratio_pyworkforce_over_kefu"] = out["pyworkforce_one_by_one_s"] / kefu_s
        out["per_solve_at_4900_erlangs_pyworkforce_s"] = best_time(
            lambda: peer_required(peer, 4_900.0), 3
        )
    return out


def day_erlang_a(repeats: int) -> dict[str, Any]:
    """The same day under Erlang A (patience 120 s; pyworkforce has no Erlang A)."""
    rates = day_loads() / AHT
    out: dict[str, Any] = {"cases": int(rates.size), "patience_s": 120.0}
    for name, kw in (
        ("sl_80_20_and_abandon_3pct", {"service_level": SL, "abandon": 0.03}),
        ("asa_20s", {"asa": 20.0}),
    ):
        out[f"{name}_s"] = best_time(
            lambda kw=kw: required_agents_array(rates, AHT, patience=120.0, **kw),
            max(1, repeats // 2),
        )
    return out


def erlang_a_check(repeats: int) -> dict[str, Any]:
    """Erlang A at 5,000 agents: time per evaluation and agreement with the chain."""
    lam, patience, n = 27.0, 120.0, 5_000
    seconds = best_time(lambda: erlang_a(lam, AHT, patience, n, THRESHOLD), repeats, 20)
    got = erlang_a(lam, AHT, patience, n, THRESHOLD)
    lam_, mu, theta = mp.mpf(lam), 1 / mp.mpf(AHT), 1 / mp.mpf(patience)
    below, w = mp.mpf(0), mp.mpf(1)
    for k in range(n, 0, -1):
        w = w * k * mu / lam_
        below += w
        if w < below * mp.mpf(10) ** -45:
            break
    queue = queue_len = mp.mpf(0)
    t, j = mp.mpf(1), 0
    while t > (queue + below) * mp.mpf(10) ** -45 or lam_ >= n * mu + j * theta:
        queue += t
        queue_len += j * t
        j += 1
        t = t * lam_ / (n * mu + j * theta)
    z = below + queue
    p_wait, p_ab = queue / z, theta * (queue_len / z) / lam_
    return {
        "agents": n,
        "traffic": lam * AHT,
        "patience_s": patience,
        "seconds_per_evaluation": seconds,
        "service_level": got.service_level,
        "p_abandon": got.p_abandon,
        "p_wait_rel_error": float(abs(got.p_wait - p_wait) / p_wait),
        "p_abandon_rel_error": float(abs(got.p_abandon - p_ab) / p_ab),
        "goal_s": 0.010,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run every part, print the figures and write bench/results/workforce-erlang-*.json."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timing batches (best kept)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument(
        "--no-scheduling", action="store_true", help="skip bench/workforce_scheduling.py"
    )
    args = parser.parse_args(argv)
    try:
        import pyworkforce
        from pyworkforce.queuing import ErlangC as peer

        peer_version: str | None = getattr(pyworkforce, "__version__", "unknown")
    except ImportError:
        peer, peer_version = None, None
        print("pyworkforce is not installed in this interpreter: kefu figures only "
              "(set up the bench venv as bench/README.md describes)", file=sys.stderr)  # fmt: skip
    import scipy

    figures = {
        "erlang_c_accuracy": accuracy(peer),
        "erlang_c_seconds_per_call": speed(peer, args.repeats),
        "required_agents_80_20": required_check(peer),
        "day_of_staffing": day(peer, args.repeats),
        "day_of_staffing_erlang_a": day_erlang_a(args.repeats),
        "erlang_a_5000_agents": erlang_a_check(args.repeats),
    }
    report(figures)
    now = datetime.now(UTC)
    record = {
        "benchmark": "workforce-erlang",
        "date": now.isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": {
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "mpmath": mp.__version__,
            "pyworkforce": peer_version,
        },
        "figures": figures,
        "ratios": {
            "day_pyworkforce_over_kefu": figures["day_of_staffing"].get(
                "ratio_pyworkforce_over_kefu"
            ),
            "erlang_c_20000_pyworkforce_over_kefu": figures["erlang_c_seconds_per_call"][
                "20000"
            ].get("ratio_pyworkforce_over_kefu"),
            "erlang_a_5000_goal_over_time": 0.010
            / figures["erlang_a_5000_agents"]["seconds_per_evaluation"],
        },
    }
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"workforce-erlang-{now:%Y%m%d-%H%M%S}.json"
        path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        print(f"\nrecord: {path.relative_to(ROOT)}")
    scheduling = Path(__file__).with_name("workforce_scheduling.py")
    if not args.no_scheduling and scheduling.is_file():
        print("\n== shift scheduling (bench/workforce_scheduling.py)")
        spec = importlib.util.spec_from_file_location("workforce_scheduling", scheduling)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses look their module up by name
        spec.loader.exec_module(module)
        module.main(["--no-write"] if args.no_write else [])
    return record


def report(f: dict[str, Any]) -> None:
    acc = f["erlang_c_accuracy"]
    print(f"== erlang_c accuracy vs mpmath ({acc['cases']} cases, {acc['agents']} agents)")
    print(f"kefu max relative error: {acc['kefu_max_rel_error']:.2e}")
    if acc["pyworkforce_invalid"] is not None:
        print(f"pyworkforce max relative error where valid: "
              f"{acc['pyworkforce_max_rel_error_on_valid']:.2e}; invalid or raised: "
              f"{len(acc['pyworkforce_invalid'])} (traffic >= agents)")  # fmt: skip
    print("\n== erlang_c seconds per call (load 0.95)")
    for n, row in f["erlang_c_seconds_per_call"].items():
        peer = row.get("pyworkforce_s")
        extra = (
            f"  pyworkforce {peer:.2e}  ratio {row['ratio_pyworkforce_over_kefu']:.1f}×"
            if peer
            else ""
        )
        print(f"{n:>6} agents: kefu {row['kefu_s']:.2e}{extra}")
    req = f["required_agents_80_20"]
    print(f"\n== required agents 80/20: kefu exact {req['kefu_exact']}/{req['cases']}"
          + (f", pyworkforce equal {req['pyworkforce_equal_to_exact']}/{req['cases']}"
             if req["pyworkforce_equal_to_exact"] is not None else ""))  # fmt: skip
    d = f["day_of_staffing"]
    print(f"\n== a day of staffing: {d['cases']} cases, {d['traffic_min']:.0f}–"
          f"{d['traffic_max']:.0f} Erlangs")  # fmt: skip
    print(f"kefu vectorized: {d['kefu_vectorized_s'] * 1e3:.1f} ms; kefu one by one: "
          f"{d['kefu_one_by_one_s']:.2f} s")  # fmt: skip
    if "pyworkforce_one_by_one_s" in d:
        print(f"pyworkforce one by one: {d['pyworkforce_one_by_one_s']:.2f} s; ratio "
              f"{d['ratio_pyworkforce_over_kefu']:.0f}×; equal answers {d['equal_answers']}/"
              f"{d['cases']}; one 4,900-Erlang solve "
              f"{d['per_solve_at_4900_erlangs_pyworkforce_s'] * 1e3:.1f} ms")  # fmt: skip
    da = f["day_of_staffing_erlang_a"]
    print(f"kefu Erlang A day (patience {da['patience_s']:.0f} s): SL 80/20 + abandon <= 3 %: "
          f"{da['sl_80_20_and_abandon_3pct_s'] * 1e3:.0f} ms; ASA <= 20 s: "
          f"{da['asa_20s_s'] * 1e3:.0f} ms")  # fmt: skip
    e = f["erlang_a_5000_agents"]
    print(f"\n== Erlang A at {e['agents']} agents ({e['traffic']:.0f} Erlangs, patience "
          f"{e['patience_s']:.0f} s): {e['seconds_per_evaluation'] * 1e3:.2f} ms per evaluation "
          f"(goal < 10 ms); SL {e['service_level']:.4f}; relative error vs chain: P(wait) "
          f"{e['p_wait_rel_error']:.1e}, P(abandon) {e['p_abandon_rel_error']:.1e}")  # fmt: skip


if __name__ == "__main__":
    main()
