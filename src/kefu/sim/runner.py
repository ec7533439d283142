"""Run a scenario: independent replications, serial or across processes, then summarize.

Replication ``i`` draws from ``SeedSequence(seed, spawn_key=(i,))`` — the i-th child of
``SeedSequence(seed)`` — whatever process runs it, so the same seed gives identical
results serially and in parallel.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kefu.sim.engine import run_replication
from kefu.sim.plan import Plan, compile_scenario
from kefu.sim.replication import Replication
from kefu.sim.scenario import Scenario
from kefu.sim.scenario_io import load_scenario, parse_scenario
from kefu.sim.summary import Estimate, Summary, estimate, summarize

__all__ = ["SimulationResult", "replication_seed", "run"]

ProgressFn = Callable[[float], None]


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """Every replication (in index order) and their summary."""

    scenario: Scenario
    seed: int
    replications: tuple[Replication, ...]
    summary: Summary

    @property
    def contacts(self) -> int:
        """Arrivals simulated over all replications."""
        return sum(r.contacts for r in self.replications)

    @property
    def blocking(self) -> dict[str, Estimate]:
        """Share of arrivals blocked (all trunk lines busy), per queue with trunk lines."""
        return {
            q.id: estimate([r.blocking(i) for r in self.replications])
            for i, q in enumerate(self.scenario.queues)
            if q.trunks is not None
        }

    @property
    def wall_s(self) -> float:
        """Computer time of the replications themselves, summed (seconds)."""
        return sum(r.wall_s for r in self.replications)


def replication_seed(seed: int, index: int) -> np.random.SeedSequence:
    """The random streams of replication ``index`` of a run seeded ``seed``."""
    return np.random.SeedSequence(seed, spawn_key=(index,))


def _as_scenario(scenario: Scenario | str | Path | Mapping[str, Any]) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, str | Path):
        return load_scenario(scenario)
    return parse_scenario(scenario)


def _one(
    plan: Plan, seed: int, index: int, trace: bool, progress: ProgressFn | None
) -> Replication:
    return run_replication(
        plan, replication_seed(seed, index), index, trace=trace, progress=progress
    )


_WORKER_PLAN: Plan | None = None


def _init_worker(scenario: Scenario) -> None:
    global _WORKER_PLAN
    _WORKER_PLAN = compile_scenario(scenario)


def _work(seed: int, index: int, trace: bool) -> Replication:
    assert _WORKER_PLAN is not None
    return _one(_WORKER_PLAN, seed, index, trace, None)


def run(
    scenario: Scenario | str | Path | Mapping[str, Any],
    *,
    seed: int | None = None,
    replications: int | None = None,
    workers: int = 1,
    trace: bool = False,
    progress: ProgressFn | None = None,
) -> SimulationResult:
    """Simulate a scenario (object, YAML path or mapping) and summarize its replications.

    ``seed`` and ``replications`` override the scenario's; ``workers`` > 1 runs
    replications in that many processes; ``trace`` keeps a record per contact;
    ``progress`` receives the share of the work done (0–1).
    """
    sc = _as_scenario(scenario)
    seed = sc.seed if seed is None else seed
    n = sc.replications if replications is None else replications
    if seed < 0:
        raise ValueError(f"seed must be ≥ 0, not {seed}")
    if n < 1:
        raise ValueError(f"replications must be ≥ 1, not {n}")
    if workers < 1:
        raise ValueError(f"workers must be ≥ 1, not {workers}")
    plan = compile_scenario(sc)  # also checks data files before any process starts
    results: list[Replication] = []
    if workers == 1 or n == 1:
        for i in range(n):

            def part(share: float, i: int = i) -> None:
                if progress is not None:
                    progress((i + share) / n)

            results.append(_one(plan, seed, i, trace, part))
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            max_workers=min(workers, n),
            mp_context=context,
            initializer=_init_worker,
            initargs=(sc,),
        ) as pool:
            futures = [pool.submit(_work, seed, i, trace) for i in range(n)]
            for done, future in enumerate(as_completed(futures), start=1):
                future.result()
                if progress is not None:
                    progress(done / n)
            results = [f.result() for f in futures]
    return SimulationResult(
        scenario=sc,
        seed=seed,
        replications=tuple(results),
        summary=summarize([r.report for r in results]),
    )
