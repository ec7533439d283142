"""Shift scheduling: choose shifts that cover an interval requirement at least cost.

Given required agents per interval (from midnight of day 0, ``interval_s`` seconds each)
and a set of :class:`ShiftType` (start time, length, break windows, cost, min/max agents),
:func:`solve_schedule` picks how many agents work each shift on each day, and where their
breaks go, with OR-Tools CP-SAT. It minimises

    cost + under_penalty · under + over_weight · over

(under and over in agent-intervals; with ``under_penalty=None`` coverage is hard) and
reports per-interval coverage, paid hours, cost, the solver's bound and gap.
:func:`lp_lower_bound` solves the linear relaxation of the same model with HiGHS.

The model usually falls apart into independent parts (one per day when no shift crosses
midnight into demand); each part is solved on its own, which is far faster than one model
whose search wanders between unrelated days.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from kefu.workforce.schedule_lp import lp_lower_bound
from kefu.workforce.schedule_model import Problem, build_problem, check_feasible
from kefu.workforce.schedule_shifts import (
    break_options,
    format_clock,
    shift_types_for_requirement,
    standard_shift_types,
)
from kefu.workforce.schedule_types import (
    DAY_S,
    BreakRule,
    IntervalCoverage,
    ScheduleError,
    ScheduleInfeasible,
    ScheduleNoSolution,
    ScheduleOptions,
    ScheduleResult,
    ShiftAssignment,
    ShiftType,
)

__all__ = [
    "DAY_S",
    "BreakRule",
    "IntervalCoverage",
    "ProgressCallback",
    "ScheduleError",
    "ScheduleInfeasible",
    "ScheduleNoSolution",
    "ScheduleOptions",
    "ScheduleResult",
    "ShiftAssignment",
    "ShiftType",
    "break_options",
    "format_clock",
    "lp_lower_bound",
    "shift_types_for_requirement",
    "solve_schedule",
    "standard_shift_types",
]

ProgressCallback = Callable[[int, int, float], None]
"""Called with (parts solved, parts in total, seconds elapsed) as the solve proceeds."""

# Costs are scaled to integers at this many steps per cost unit (and per agent-interval
# of under/over-staffing), so two decimals of currency are kept exactly.
_COST_STEPS = 100


class _Objective:
    """Integer objective coefficients and the scale back to cost units."""

    def __init__(self, problem: Problem) -> None:
        opts = problem.options
        self.scale = _COST_STEPS * problem.units_per_interval
        self.column = [round(c.cost * self.scale) for c in problem.columns]
        self.under = (
            0 if opts.under_penalty is None else max(1, round(opts.under_penalty * _COST_STEPS))
        )
        self.over = max(1, round(opts.over_weight * _COST_STEPS)) if opts.over_weight > 0 else 0


def _rows(problem: Problem) -> list[list[tuple[int, int]]]:
    """Per interval, the (column, units present) pairs that cover it."""
    rows: list[list[tuple[int, int]]] = [[] for _ in problem.targets]
    for k, column in enumerate(problem.columns):
        for i, u in column.presence:
            rows[i].append((k, u))
    return rows


def _parts(
    problem: Problem, rows: list[list[tuple[int, int]]], coef: _Objective
) -> list[tuple[list[int], list[int]]]:
    """Independent parts as (columns, intervals): no constraint links two parts."""
    parent = list(range(len(problem.columns)))

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    def join(ks: Sequence[int]) -> None:
        root = find(ks[0])
        for k in ks[1:]:
            parent[find(k)] = root

    opts = problem.options
    linking = coef.over > 0 or opts.max_concurrent_agents is not None
    active = [
        bool(row) and (target > 0 or linking)
        for target, row in zip(problem.targets, rows, strict=True)
    ]
    for row, is_active in zip(rows, active, strict=True):
        if is_active:
            join([k for k, _ in row])
    for _, _, indices in problem.instances:
        join(indices)
    if opts.max_agents_per_day is not None:
        by_day: dict[int, list[int]] = {}
        for k, column in enumerate(problem.columns):
            by_day.setdefault(column.day, []).append(k)
        for ks in by_day.values():
            join(ks)
    columns: dict[int, list[int]] = {}
    for k in range(len(problem.columns)):
        columns.setdefault(find(k), []).append(k)
    intervals: dict[int, list[int]] = {}
    # Intervals with no constraint (nothing needed, nothing weighed) belong to no part.
    for i, row in enumerate(rows):
        if active[i]:
            intervals.setdefault(find(row[0][0]), []).append(i)
    return [(ks, intervals.get(root, [])) for root, ks in sorted(columns.items())]


@dataclass(frozen=True)
class _PartSolution:
    status: str  # CP-SAT status name
    values: dict[int, int]
    objective: int  # scaled integer units
    bound: int


def _solve_part(
    problem: Problem,
    rows: list[list[tuple[int, int]]],
    coef: _Objective,
    columns: list[int],
    intervals: list[int],
    time_limit_s: float,
    on_improve: Callable[[], None] | None,
) -> tuple[_PartSolution, int]:
    from ortools.sat.python import cp_model

    opts = problem.options
    units = problem.units_per_interval
    model = cp_model.CpModel()
    bounds = {k: problem.column_upper_bound(problem.columns[k]) for k in columns}
    x = {k: model.new_int_var(0, bounds[k], f"x{k}") for k in columns}
    objective: list[Any] = [coef.column[k] * x[k] for k in columns]
    in_part = set(columns)
    for t, _day, indices in problem.instances:
        if indices[0] not in in_part:
            continue
        shift = problem.shift_types[t]
        total = sum(x[k] for k in indices)
        if shift.min_agents > 0:
            model.add(total >= shift.min_agents)
        if shift.max_agents is not None and len(indices) > 1:
            model.add(total <= shift.max_agents)
    for i in intervals:
        target, row = problem.targets[i], rows[i]
        coverage = sum(u * x[k] for k, u in row)
        expr = coverage
        if coef.under and target > 0:
            under = model.new_int_var(0, target, f"under{i}")
            objective.append(coef.under * under)
            expr = expr + under
        if coef.over:
            reach = sum(u * bounds[k] for k, u in row)
            over = model.new_int_var(0, max(0, reach - target), f"over{i}")
            objective.append(coef.over * over)
            model.add(expr - over == target)
        elif target > 0:
            model.add(expr >= target)
        if opts.max_concurrent_agents is not None:
            model.add(coverage <= opts.max_concurrent_agents * units)
    if opts.max_agents_per_day is not None:
        by_day: dict[int, list[int]] = {}
        for k in columns:
            by_day.setdefault(problem.columns[k].day, []).append(k)
        for ks in by_day.values():
            model.add(sum(x[k] for k in ks) <= opts.max_agents_per_day)
    model.minimize(sum(objective))

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = opts.num_workers
    solver.parameters.random_seed = opts.random_seed
    solver.parameters.relative_gap_limit = opts.relative_gap
    callback = _callback(on_improve) if on_improve is not None else None
    status = solver.solve(model, callback)
    size = len(model.proto.variables)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _PartSolution(solver.status_name(status), {}, 0, 0), size
    values = {k: int(solver.value(x[k])) for k in columns}
    return (
        _PartSolution(
            solver.status_name(status),
            values,
            round(solver.objective_value),
            round(solver.best_objective_bound),
        ),
        size,
    )


def _callback(on_improve: Callable[[], None]) -> Any:
    from ortools.sat.python import cp_model

    class _Improved(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self) -> None:
            on_improve()

    return _Improved()


def solve_schedule(
    required: Sequence[float],
    interval_s: int,
    shift_types: Sequence[ShiftType],
    options: ScheduleOptions | None = None,
    *,
    first_weekday: int = 0,
    on_progress: ProgressCallback | None = None,
) -> ScheduleResult:
    """Schedule shifts covering ``required[i]`` agents in interval ``i`` at least cost.

    ``required`` starts at midnight of day 0 (weekday ``first_weekday``, 0 = Monday);
    fractional requirements are rounded up to whole agents (to the coverage
    granularity when shifts or breaks start inside an interval). ``options.time_limit_s``
    bounds the whole solve. Raises :class:`ScheduleError` for bad input,
    :class:`ScheduleInfeasible` when hard constraints cannot all hold and
    :class:`ScheduleNoSolution` when the time limit ends before a schedule is found.
    """

    opts = options or ScheduleOptions()
    problem = build_problem(required, interval_s, shift_types, opts, first_weekday)
    check_feasible(problem)
    started = time.perf_counter()
    rows = _rows(problem)
    coef = _Objective(problem)
    parts = _parts(problem, rows, coef)
    # Demand no shift can reach costs its penalty whatever is chosen (soft coverage only).
    unreachable = (t for t, row in zip(problem.targets, rows, strict=True) if not row)
    objective = bound = coef.under * sum(unreachable)
    values = [0] * len(problem.columns)
    statuses: list[str] = []
    num_variables = 0
    weight = [len(ks) for ks, _ in parts]

    def report(done: int) -> None:
        if on_progress is not None:
            on_progress(done, len(parts), time.perf_counter() - started)

    report(0)
    for j, (columns, intervals) in enumerate(parts):
        remaining = opts.time_limit_s - (time.perf_counter() - started)
        # Share what is left in proportion to size, but let a part use time others spared.
        share = max(0.05, remaining * weight[j] / sum(weight[j:]))
        part, size = _solve_part(
            problem,
            rows,
            coef,
            columns,
            intervals,
            share,
            partial(report, j) if on_progress is not None else None,
        )
        num_variables += size
        statuses.append(part.status)
        if part.status == "INFEASIBLE":
            raise ScheduleInfeasible(
                "no schedule meets the hard constraints (coverage"
                + (" is soft" if opts.under_penalty is not None else " is hard")
                + ", min/max agents per shift, max_concurrent_agents, max_agents_per_day); "
                "relax one of them",
                status="INFEASIBLE",
            )
        if part.status not in ("OPTIMAL", "FEASIBLE"):
            raise ScheduleNoSolution(
                f"no schedule found within {opts.time_limit_s:g} s "
                f"(part {j + 1} of {len(parts)} is unsolved); raise the time limit",
                status="UNKNOWN",
            )
        for k, v in part.values.items():
            values[k] = v
        objective += part.objective
        bound += part.bound
        report(j + 1)
    optimal = all(s == "OPTIMAL" for s in statuses)
    return _result(
        problem,
        values,
        status="OPTIMAL" if optimal else "FEASIBLE",
        objective=objective / coef.scale,
        bound=bound / coef.scale,
        wall_time_s=time.perf_counter() - started,
        num_variables=num_variables,
        num_parts=len(parts),
    )


def _result(
    problem: Problem,
    values: Sequence[int],
    *,
    status: str,
    objective: float,
    bound: float,
    wall_time_s: float,
    num_variables: int,
    num_parts: int,
) -> ScheduleResult:
    units = problem.units_per_interval
    covered = [0] * len(problem.targets)
    assignments: list[ShiftAssignment] = []
    for column, agents in zip(problem.columns, values, strict=True):
        if agents <= 0:
            continue
        for i, u in column.presence:
            covered[i] += u * agents
        shift = problem.shift_types[column.type_index]
        assignments.append(
            ShiftAssignment(
                shift=shift.name,
                day=column.day,
                start_s=column.start_s,
                length_s=shift.length_s,
                breaks=column.breaks,
                agents=agents,
                paid_hours=agents * column.paid_s / 3600.0,
                cost=agents * column.cost,
            )
        )
    assignments.sort(key=lambda a: (a.start_s, a.shift, a.breaks))
    intervals = tuple(
        IntervalCoverage(
            start_s=i * problem.interval_s, required=required, scheduled=covered[i] / units
        )
        for i, required in enumerate(problem.required)
    )
    return ScheduleResult(
        status=status,
        objective=objective,
        best_bound=min(bound, objective),
        wall_time_s=wall_time_s,
        interval_s=problem.interval_s,
        cost=sum(a.cost for a in assignments),
        paid_hours=sum(a.paid_hours for a in assignments),
        intervals=intervals,
        assignments=tuple(assignments),
        num_shift_types=len(problem.shift_types),
        num_variables=num_variables,
        num_parts=num_parts,
    )
