"""Staffing by simulation: the fewest agents per group and interval meeting every queue's
service level (and abandonment) target, found by running the twin.

Erlang C/A answers for one queue served by one pool of identical agents. A multi-skill
center pools agents across queues, and overflow, abandonment and backlog carried from one
interval to the next change what each interval needs. The search here:

1. **Start** from the Erlang plan per queue: each queue's Erlang requirement per interval
   (Erlang A when its patience is exponential, else Erlang C; wrap-up counts in the AHT) is
   split evenly over the groups able to serve it. This is the plan that ignores pooling.
2. **Add** (greedy): simulate the plan; in every interval with a queue below target, give one
   more agent to the group whose queues fall shortest of their targets there (shortfall
   weighted by contacts offered); repeat until every queue meets its target.
3. **Remove** (greedy): in every interval, take agents from the group with the most room
   (the smallest margin over the targets of its queues is largest), an eighth of them at
   first; simulate; put them back where a queue of that interval or the next one fell below
   target and halve that step; a group whose single-agent step failed is not tried there
   again; repeat until nothing more can go.

Every simulation uses the same replications and seeds (common random numbers), so two plans
are compared on the same customers and a change of one agent is not lost in noise. Each
step changes all intervals at once: a search costs tens of simulations, not hundreds per
interval. Targets are checked on the mean over replications of each queue's SL (answered
within its ``sl_threshold_s``, the live wallboard's rule) and abandonment rate.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from kefu.sim import distributions as d
from kefu.sim.engine import run_replication
from kefu.sim.plan import (
    AgentPlan,
    ArrivalPlan,
    Plan,
    QueuePlan,
    compile_scenario,
    staffed_timeline,
)
from kefu.sim.runner import replication_seed
from kefu.sim.scenario import Scenario, ScenarioError
from kefu.sim.summary import summarize
from kefu.workforce.required import required_agents

__all__ = ["Cell", "StaffingResult", "erlang_plan", "search_staffing"]

Staffing = dict[str, list[int]]  # group → agents logged in per interval
Progress = Callable[[str, int], None]  # (phase, simulations run so far)


@dataclass(frozen=True, slots=True)
class Cell:
    """One queue in one interval: what a plan achieved (means over replications)."""

    queue: str
    interval: int
    offered: float
    service_level: float | None
    abandon_rate: float | None
    sl_target: float
    meets: bool


@dataclass(frozen=True, slots=True)
class StaffingResult:
    """The plan found and the Erlang-per-queue plan it started from, both simulated.

    ``interval_s`` in seconds; plans map each group to its agents per interval.
    """

    interval_s: float
    groups: tuple[str, ...]
    erlang: Mapping[str, tuple[int, ...]]
    plan: Mapping[str, tuple[int, ...]]
    erlang_cells: tuple[Cell, ...]
    cells: tuple[Cell, ...]
    simulations: int
    wall_s: float

    @staticmethod
    def agent_hours(plan: Mapping[str, Sequence[int]], interval_s: float) -> float:
        """Agent-hours a plan pays for."""
        return sum(sum(v) for v in plan.values()) * interval_s / 3600.0

    @property
    def erlang_hours(self) -> float:
        return self.agent_hours(self.erlang, self.interval_s)

    @property
    def plan_hours(self) -> float:
        return self.agent_hours(self.plan, self.interval_s)

    @property
    def meets_all(self) -> bool:
        return all(c.meets for c in self.cells)


def _expected_count(arrival: ArrivalPlan, lo: float, hi: float) -> float:
    """Expected arrivals of one source in [lo, hi) seconds."""
    if arrival.kind == "rate":
        return arrival.rate_per_s * (hi - lo)
    if arrival.kind == "times":
        assert arrival.times is not None
        return float(np.count_nonzero((arrival.times >= lo) & (arrival.times < hi)))
    assert arrival.expected is not None
    total = 0.0
    for k, n in enumerate(arrival.expected.tolist()):
        a, b = k * arrival.slot_s, (k + 1) * arrival.slot_s
        overlap = min(b, hi) - max(a, lo)
        if overlap > 0:
            total += n * overlap / arrival.slot_s
    return total


def _serves(agent: AgentPlan, queue: QueuePlan) -> bool:
    spec = queue.spec
    if agent.spec.capacity.get(spec.channel, 0) < 1:
        return False
    return all(agent.spec.skills.get(s, 0) >= lvl for s, lvl in spec.skills.items())


@dataclass(frozen=True, slots=True)
class _Layout:
    base: Plan
    slots: int
    groups: tuple[str, ...]
    template: Mapping[str, AgentPlan]  # one agent of each group: its skills and capacity
    serves: Mapping[str, tuple[int, ...]]  # group → queue indexes it can serve
    fixed: tuple[AgentPlan, ...]  # agents of groups not staffed by the search


def _layout(plan: Plan, slots: int) -> _Layout:
    template: dict[str, AgentPlan] = {}
    fixed = []
    for a in plan.agents:
        if not a.timeline:
            fixed.append(a)  # never logged in: kept as defined
        else:
            template.setdefault(a.group, a)
    groups = tuple(template)
    serves = {g: tuple(q.index for q in plan.queues if _serves(template[g], q)) for g in groups}
    for q in plan.queues:
        if not any(q.index in serves[g] for g in groups):
            raise ScenarioError(
                f"queues[{q.index}]: no agent group can serve queue {q.spec.queue_id!r}"
            )
    return _Layout(plan, slots, groups, template, serves, tuple(fixed))


def erlang_plan(
    plan: Plan, sl_target: float | None = None, abandon_max: float | None = None
) -> Staffing:
    """The Erlang-per-queue plan: each queue's own Erlang requirement per interval, split
    evenly over the groups that can serve it (ignores pooling, overflow and backlog)."""
    slots = math.ceil(plan.horizon_s / plan.interval_s)
    layout = _layout(plan, slots)
    out: Staffing = {g: [0] * slots for g in layout.groups}
    for q in plan.queues:
        servers = [g for g in layout.groups if q.index in layout.serves[g]]
        aht = q.handle.mean_s + q.spec.wrapup_s
        patience = q.patience.mean_s if isinstance(q.patience, d.Exponential) else None
        for k in range(slots):
            lo, hi = k * plan.interval_s, min((k + 1) * plan.interval_s, plan.horizon_s)
            rate = sum(_expected_count(a, lo, hi) for a in q.arrivals) / (hi - lo)
            if rate <= 0:
                continue
            need = required_agents(
                rate,
                aht,
                service_level=q.spec.sl_target if sl_target is None else sl_target,
                threshold=q.spec.sl_threshold_s,
                abandon=abandon_max if patience is not None else None,
                patience=patience,
            )
            share = math.ceil(need / len(servers))
            for g in servers:
                out[g][k] += share
    return out


def _with_staffing(layout: _Layout, staffing: Staffing) -> Plan:
    agents = list(layout.fixed)
    interval = layout.base.interval_s
    for g in layout.groups:
        counts = staffing[g]
        template = layout.template[g]
        width = len(str(max(max(counts), 1)))
        for rank in range(max(counts)):
            spec = replace(template.spec, agent_id=f"{g}-{rank + 1:0{width}d}")
            agents.append(AgentPlan(spec, g, staffed_timeline(counts, rank, interval)))
    return replace(layout.base, agents=tuple(agents))


class _Evaluator:
    """Simulates plans on the same replications (common random numbers)."""

    def __init__(
        self,
        layout: _Layout,
        seed: int,
        replications: int,
        sl_target: float | None,
        abandon_max: float | None,
    ) -> None:
        self.layout = layout
        self.seed = seed
        self.replications = replications
        self.sl_target = sl_target
        self.abandon_max = abandon_max
        self.count = 0

    def __call__(self, staffing: Staffing) -> list[Cell]:
        plan = _with_staffing(self.layout, staffing)
        reports = [
            run_replication(plan, replication_seed(self.seed, i), i).report
            for i in range(self.replications)
        ]
        self.count += 1
        summary = summarize(reports)
        cells = []
        for item in summary.intervals:
            k = round(item.start_s / plan.interval_s)
            for q in plan.queues:
                m = item.queues.get(q.spec.queue_id)
                if m is None or not m["offered"].mean:
                    continue
                target = q.spec.sl_target if self.sl_target is None else self.sl_target
                sl, ab = m["service_level"].mean, m["abandon_rate"].mean
                meets = (sl is None or sl >= target) and (
                    self.abandon_max is None or ab is None or ab <= self.abandon_max
                )
                cells.append(
                    Cell(q.spec.queue_id, k, m["offered"].mean or 0.0, sl, ab, target, meets)
                )
        return cells


def _shortfall(cell: Cell, abandon_max: float | None) -> float:
    gap = 0.0 if cell.service_level is None else max(0.0, cell.sl_target - cell.service_level)
    if abandon_max is not None and cell.abandon_rate is not None:
        gap += max(0.0, cell.abandon_rate - abandon_max)
    return gap * cell.offered


def _margin(cell: Cell, abandon_max: float | None) -> float:
    m = math.inf if cell.service_level is None else cell.service_level - cell.sl_target
    if abandon_max is not None and cell.abandon_rate is not None:
        m = min(m, abandon_max - cell.abandon_rate)
    return m


def _add_step(
    x: Staffing,
    cells: Sequence[Cell],
    layout: _Layout,
    queue_index: Mapping[str, int],
    abandon_max: float | None,
) -> None:
    """One more agent, in every interval with a queue below target, for the group whose
    queues there fall shortest (weighted by contacts offered)."""
    failing: dict[int, dict[str, float]] = {}
    for c in cells:
        if c.meets:
            continue
        per_group = failing.setdefault(c.interval, {})
        for g in layout.groups:
            if queue_index[c.queue] in layout.serves[g]:
                per_group[g] = per_group.get(g, 0.0) + _shortfall(c, abandon_max)
    for k, weights in failing.items():
        x[max(weights, key=lambda g: weights[g])][k] += 1


def _removals(
    x: Staffing,
    cells: Sequence[Cell],
    layout: _Layout,
    queue_index: Mapping[str, int],
    abandon_max: float | None,
    locked: set[tuple[str, int]],
) -> dict[int, str]:
    """Per interval, the group to try with one agent fewer: the one whose queues have the
    largest smallest margin over their targets there."""
    by_interval: dict[int, list[Cell]] = {}
    for c in cells:
        by_interval.setdefault(c.interval, []).append(c)
    tried: dict[int, str] = {}
    for k in range(layout.slots):
        room = {}
        for g in layout.groups:
            if x[g][k] == 0 or (g, k) in locked:
                continue
            margins = [
                _margin(c, abandon_max)
                for c in by_interval.get(k, [])
                if queue_index[c.queue] in layout.serves[g]
            ]
            room[g] = min(margins, default=math.inf)
        if room:
            tried[k] = max(room, key=lambda g: room[g])
    return tried


def search_staffing(
    scenario: Scenario,
    *,
    replications: int = 5,
    seed: int | None = None,
    sl_target: float | None = None,
    abandon_max: float | None = None,
    max_simulations: int = 200,
    progress: Progress | None = None,
) -> StaffingResult:
    """Search the fewest agents per group and interval meeting every queue's SL target
    (each queue's ``sl_target``, or ``sl_target`` for all) and, if given, abandonment at
    most ``abandon_max`` (0–1), by simulating ``replications`` runs per plan.

    Groups that are never logged in stay as defined; the others' shifts are replaced by
    agents per interval. Raises :class:`ScenarioError` when a queue has no group able to
    serve it.
    """
    if replications < 1:
        raise ValueError(f"replications must be ≥ 1, not {replications}")
    started = time.perf_counter()
    base = compile_scenario(scenario)
    slots = math.ceil(base.horizon_s / base.interval_s)
    layout = _layout(base, slots)
    evaluate = _Evaluator(
        layout, scenario.seed if seed is None else seed, replications, sl_target, abandon_max
    )
    queue_index = {q.spec.queue_id: q.index for q in base.queues}

    def tell(phase: str) -> None:
        if progress is not None:
            progress(phase, evaluate.count)

    start = erlang_plan(base, sl_target, abandon_max)
    x = {g: list(v) for g, v in start.items()}
    tell("Erlang plan")
    erlang_cells = evaluate(x)
    cells = erlang_cells

    # Alternate: add while a queue misses its target, else try removing agents in every
    # interval, a step at a time: a step starts at an eighth of the group's agents there
    # and halves when it broke its interval or the next one (it is then undone); a group
    # whose one-agent step broke something is not tried there again.
    locked: set[tuple[str, int]] = set()
    step: dict[tuple[str, int], int] = {}
    while evaluate.count < max_simulations:
        if not all(c.meets for c in cells):
            _add_step(x, cells, layout, queue_index, abandon_max)
            tell("adding agents 增员")
            cells = evaluate(x)
            continue
        tried = _removals(x, cells, layout, queue_index, abandon_max, locked)
        if not tried:
            break
        amounts = {}
        for k, g in tried.items():
            amounts[k] = min(x[g][k], step.get((g, k), max(1, x[g][k] // 8)))
            x[g][k] -= amounts[k]
        tell("removing agents 减员")
        trial = evaluate(x)
        broken = {c.interval for c in trial if not c.meets}
        undone = 0
        for k, g in tried.items():
            if k in broken or k + 1 in broken:
                x[g][k] += amounts[k]
                if amounts[k] == 1:
                    locked.add((g, k))
                step[(g, k)] = max(1, amounts[k] // 2)
                undone += 1
        if undone == 0:
            cells = trial
        elif undone < len(tried):
            cells = evaluate(x)
        # else: every removal undone, the plan and its cells are the previous ones
    tell("done")
    return StaffingResult(
        interval_s=base.interval_s,
        groups=layout.groups,
        erlang={g: tuple(v) for g, v in start.items()},
        plan={g: tuple(v) for g, v in x.items()},
        erlang_cells=tuple(erlang_cells),
        cells=tuple(cells),
        simulations=evaluate.count,
        wall_s=time.perf_counter() - started,
    )
