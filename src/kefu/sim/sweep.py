"""Sweeps: one scenario run over a grid of parameter values, every variant × replication in
parallel processes, one table of means with 95 % confidence intervals.

A sweep file (YAML; relative paths against its folder)::

    scenario: multiskill_day.yaml       the base scenario
    replications [10], seed [the scenario's]
    metrics [service_level, asa_s, abandon_rate, occupancy]
                                        figures of the whole center, per replication
                                        (also offered, p_wait, aht_s, balk_rate, blocking…)
    grid:                               field path → values; every combination is a variant
      agents[0].count: [10, 12, 14]
      arrival_scale: [0.9, 1.0, 1.1]
      queues[*].patience.mean_s: [60, 120]   [*]: every item of the list
      router.agent_order: [skill_then_idle, longest_idle]

Each variant is the base scenario with the grid's values written in, validated like any
scenario (an error names the variant and the field). Replication ``r`` of every variant uses
the same random streams (common random numbers), so variants differ by their parameters,
not by luck. Every finished replication is appended to ``replications.jsonl`` in the output
folder; a sweep run again with the same file skips what is there (resume after an
interruption; an edited base scenario or seed is run afresh) and writes ``sweep.csv``:
one row per variant, each metric's mean, CI bounds and replications.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import itertools
import json
import math
import multiprocessing
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kefu.sim.engine import run_replication
from kefu.sim.plan import Plan, compile_scenario
from kefu.sim.runner import replication_seed
from kefu.sim.scenario import Scenario, ScenarioError
from kefu.sim.scenario_io import parse_scenario, read_yaml
from kefu.sim.summary import Estimate, estimate

__all__ = ["Sweep", "SweepRow", "load_sweep", "run_sweep"]

DEFAULT_METRICS = ("service_level", "asa_s", "abandon_rate", "occupancy")
_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+|\*)\]")
_SWEEP_FIELDS = {"scenario", "replications", "seed", "metrics", "grid"}


@dataclass(frozen=True, slots=True)
class Sweep:
    """A validated sweep: the base scenario data, the grid and the run settings."""

    source: str
    base: Mapping[str, Any]
    base_dir: Path
    grid: tuple[tuple[str, tuple[Any, ...]], ...]
    replications: int
    seed: int
    metrics: tuple[str, ...]

    def variants(self) -> list[dict[str, Any]]:
        """Every combination of the grid's values, as {path: value}, in grid order."""
        keys = [k for k, _ in self.grid]
        return [
            dict(zip(keys, combo, strict=True))
            for combo in itertools.product(*(v for _, v in self.grid))
        ]


@dataclass(frozen=True, slots=True)
class SweepRow:
    """One variant: its parameter values and each metric's estimate over replications."""

    params: Mapping[str, Any]
    metrics: Mapping[str, Estimate]


def _path(path: str) -> list[str | int | None]:
    """``queues[*].handle.mean_s`` → ['queues', None, 'handle', 'mean_s'] (None: every item)."""
    parts: list[str | int | None] = []
    pos = 0
    for m in _TOKEN.finditer(path):
        if m.start() != pos and path[pos] != ".":
            raise ValueError(f"cannot read field path {path!r}")
        pos = m.end()
        if m.group(1) is not None:
            parts.append(m.group(1))
        else:
            parts.append(None if m.group(2) == "*" else int(m.group(2)))
    if not parts or pos != len(path) or not isinstance(parts[0], str):
        raise ValueError(f"cannot read field path {path!r}")
    return parts


def _assign(node: Any, parts: Sequence[str | int | None], value: Any, path: str) -> None:
    head, rest = parts[0], parts[1:]
    if isinstance(head, str):
        if not isinstance(node, dict):
            raise ValueError(f"{path}: {head!r} is not inside a mapping")
        if not rest:
            node[head] = copy.deepcopy(value)
            return
        if head not in node:
            node[head] = {} if isinstance(rest[0], str) else []
        _assign(node[head], rest, value, path)
        return
    if not isinstance(node, list):
        raise ValueError(f"{path}: [{'*' if head is None else head}] needs a list")
    targets = range(len(node)) if head is None else [head]
    for i in targets:
        if not 0 <= i < len(node):
            raise ValueError(f"{path}: index {i} is past the list's {len(node)} items")
        if rest:
            _assign(node[i], rest, value, path)
        else:
            node[i] = copy.deepcopy(value)


def apply_params(base: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """The base scenario data with each ``path: value`` written in (a new copy)."""
    data = copy.deepcopy(dict(base))
    for path, value in params.items():
        _assign(data, _path(path), value, path)
    return data


def load_sweep(path: str | Path) -> Sweep:
    """Read and check a sweep file and every variant it makes; :class:`ScenarioError`
    names the field (``grid.<path>`` or the variant's scenario field) that is wrong."""
    file = Path(path)
    raw = read_yaml(file, "sweep")
    if not isinstance(raw, Mapping):
        raise ScenarioError(f"{file}: the top level must be a mapping of fields")
    unknown = sorted(set(raw) - _SWEEP_FIELDS)
    if unknown:
        raise ScenarioError(
            f"{file}: {unknown[0]}: unknown field (known: {', '.join(sorted(_SWEEP_FIELDS))})"
        )
    if not isinstance(raw.get("scenario"), str):
        raise ScenarioError(f"{file}: scenario: give the path of the base scenario")
    base_file = Path(raw["scenario"])
    if not base_file.is_absolute():
        base_file = file.resolve().parent / base_file
    base = read_yaml(base_file)
    if not isinstance(base, Mapping):
        raise ScenarioError(f"{base_file}: the top level must be a mapping of fields")
    grid_raw = raw.get("grid")
    if not isinstance(grid_raw, Mapping) or not grid_raw:
        raise ScenarioError(f"{file}: grid: give at least one field path with a list of values")
    grid = []
    for key, values in grid_raw.items():
        if not isinstance(values, list) or not values:
            raise ScenarioError(f"{file}: grid.{key}: give a non-empty list of values")
        try:
            _path(str(key))
        except ValueError as exc:
            raise ScenarioError(f"{file}: grid.{key}: {exc}") from None
        grid.append((str(key), tuple(values)))
    n = raw.get("replications", 10)
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ScenarioError(f"{file}: replications: must be a whole number ≥ 1, not {n!r}")
    metrics = raw.get("metrics", list(DEFAULT_METRICS))
    if not isinstance(metrics, list) or not metrics or not all(isinstance(m, str) for m in metrics):
        raise ScenarioError(f"{file}: metrics: give a list of metric names")
    known = {*_TOTAL_METRICS, "occupancy", "blocking"}
    for m in metrics:
        if m not in known:
            raise ScenarioError(
                f"{file}: metrics: unknown metric {m!r} (known: {', '.join(sorted(known))})"
            )
    sweep = Sweep(
        source=str(file),
        base=base,
        base_dir=base_file.resolve().parent,
        grid=tuple(grid),
        replications=n,
        seed=0,
        metrics=tuple(metrics),
    )
    first: Scenario | None = None
    for params in sweep.variants():
        sc = _variant(sweep, params)
        first = first or sc
    assert first is not None
    seed = raw.get("seed", first.seed)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ScenarioError(f"{file}: seed: must be a whole number ≥ 0, not {seed!r}")
    return Sweep(sweep.source, base, sweep.base_dir, sweep.grid, n, seed, sweep.metrics)


def _variant(sweep: Sweep, params: Mapping[str, Any]) -> Scenario:
    label = ", ".join(f"{k}={v}" for k, v in params.items())
    try:
        data = apply_params(sweep.base, params)
    except ValueError as exc:
        raise ScenarioError(f"{sweep.source}: grid.{exc}") from None
    return parse_scenario(data, base_dir=sweep.base_dir, source=f"{sweep.source} [{label}]")


_TOTAL_METRICS = (
    "offered",
    "answered",
    "abandoned",
    "service_level",
    "p_wait",
    "asa_s",
    "aht_s",
    "abandon_rate",
    "balk_rate",
    "mean_queue_length",
    "longest_wait_s",
)


# -- running ------------------------------------------------------------------------------
_WORKER: dict[str, Any] = {}


def _init(sweep: Sweep) -> None:
    _WORKER.clear()
    _WORKER["sweep"] = sweep


def _plan(sweep: Sweep, index: int, params: Mapping[str, Any]) -> Plan:
    cache: dict[int, Plan] = _WORKER.setdefault("plans", {})
    if index not in cache:
        if len(cache) >= 4:  # tasks come variant by variant: keep a few plans
            cache.pop(next(iter(cache)))
        cache[index] = compile_scenario(_variant(sweep, params))
    return cache[index]


def _replicate(index: int, params: dict[str, Any], rep: int) -> dict[str, Any]:
    sweep: Sweep = _WORKER["sweep"]
    plan = _plan(sweep, index, params)
    r = run_replication(plan, replication_seed(sweep.seed, rep), rep)
    figures = r.report.total.metrics()
    handling = sum(g.handling_s for g in r.report.groups.values())
    idle = sum(g.idle_s for g in r.report.groups.values())
    figures["occupancy"] = handling / (handling + idle) if handling + idle > 0 else None
    attempts = sum(r.attempts[q.index] for q in plan.queues if q.trunks is not None)
    blocked = sum(r.blocked[q.index] for q in plan.queues if q.trunks is not None)
    figures["blocking"] = blocked / attempts if attempts else None
    return {
        "key": _key(sweep, params),
        "rep": rep,
        "metrics": {m: figures.get(m) for m in sweep.metrics},
        "cpu_s": r.cpu_s,
    }


def _key(sweep: Sweep, params: Mapping[str, Any]) -> str:
    """What a stored replication was computed from: the variant, the seed and the base
    scenario (an edited scenario is run again, not resumed)."""
    base = json.dumps(sweep.base, sort_keys=True, ensure_ascii=False, default=str)
    digest = hashlib.sha256(base.encode("utf-8")).hexdigest()[:16]
    return json.dumps(
        {"params": params, "seed": sweep.seed, "base": digest}, sort_keys=True, ensure_ascii=False
    )


def run_sweep(
    sweep: Sweep,
    out: Path,
    *,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> list[SweepRow]:
    """Run every variant × replication not yet in ``out/replications.jsonl`` (``workers``
    processes), then write ``out/sweep.csv``; returns its rows. ``progress`` receives
    (replications done, replications in all)."""
    if workers < 1:
        raise ValueError(f"workers must be ≥ 1, not {workers}")
    out.mkdir(parents=True, exist_ok=True)
    log = out / "replications.jsonl"
    done: dict[tuple[str, int], dict[str, Any]] = {}
    if log.exists():
        with log.open(encoding="utf-8") as f:
            for line in f:
                try:
                    rec = json.loads(line)
                    done[(rec["key"], int(rec["rep"]))] = rec
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by an interruption
    variants = sweep.variants()
    todo = [
        (i, params, rep)
        for i, params in enumerate(variants)
        for rep in range(sweep.replications)
        if (_key(sweep, params), rep) not in done
    ]
    total = len(variants) * sweep.replications
    finished = total - len(todo)
    if progress is not None:
        progress(finished, total)
    with log.open("a", encoding="utf-8") as f:

        def record(rec: dict[str, Any]) -> None:
            nonlocal finished
            done[(rec["key"], rec["rep"])] = rec
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            f.flush()
            finished += 1
            if progress is not None:
                progress(finished, total)

        if workers == 1 or len(todo) <= 1:
            _init(sweep)
            for task in todo:
                record(_replicate(*task))
        else:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(
                max_workers=min(workers, len(todo)),
                mp_context=context,
                initializer=_init,
                initargs=(sweep,),
            ) as pool:
                for future in as_completed([pool.submit(_replicate, *t) for t in todo]):
                    record(future.result())
    rows = []
    for params in variants:
        key = _key(sweep, params)
        recs = [done[(key, rep)]["metrics"] for rep in range(sweep.replications)]
        rows.append(
            SweepRow(params, {m: estimate([r.get(m) for r in recs]) for m in sweep.metrics})
        )
    _write_csv(sweep, rows, out / "sweep.csv")
    return rows


def _write_csv(sweep: Sweep, rows: Sequence[SweepRow], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        header = [k for k, _ in sweep.grid]
        for m in sweep.metrics:
            header += [m, f"{m}_ci_low", f"{m}_ci_high"]
        w.writerow([*header, "replications"])
        for row in rows:
            cells: list[Any] = [_cell(v) for v in row.params.values()]
            n = 0
            for m in sweep.metrics:
                e = row.metrics[m]
                cells += [_num(e.mean), _num(e.ci_low), _num(e.ci_high)]
                n = max(n, e.n)
            w.writerow([*cells, n])


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _num(value: float | None) -> str:
    return "" if value is None or not math.isfinite(value) else f"{value:.6g}"
