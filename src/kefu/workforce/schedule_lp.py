"""The linear relaxation of the shift-scheduling model, solved with HiGHS.

Agents may be fractional there, so its optimum bounds every integer schedule's objective
from below: a yardstick for the CP-SAT solution and for tests.
"""

from __future__ import annotations

from collections.abc import Sequence

from kefu.workforce.schedule_model import Problem, build_problem
from kefu.workforce.schedule_types import (
    ScheduleInfeasible,
    ScheduleNoSolution,
    ScheduleOptions,
    ShiftType,
)

__all__ = ["lp_lower_bound", "relaxation"]


def lp_lower_bound(
    required: Sequence[float],
    interval_s: int,
    shift_types: Sequence[ShiftType],
    options: ScheduleOptions | None = None,
    *,
    first_weekday: int = 0,
) -> float:
    """The optimum of the linear relaxation (agents may be fractional), in cost units.

    No integer schedule of the same model costs less, so it bounds
    :attr:`ScheduleResult.objective` from below. Raises :class:`ScheduleInfeasible` when
    even the relaxation has no solution.
    """
    opts = options or ScheduleOptions()
    problem = build_problem(required, interval_s, shift_types, opts, first_weekday)
    return relaxation(problem)[0]


def relaxation(problem: Problem) -> tuple[float, list[float]]:
    """Optimum of the linear relaxation and the agents per column there (HiGHS)."""
    import numpy as np
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix, vstack

    opts = problem.options
    m, n = len(problem.columns), len(problem.targets)
    units = problem.units_per_interval
    soft = opts.under_penalty is not None
    cost = [c.cost for c in problem.columns]
    # Variables: columns, then under (soft coverage only), then over (when weighted).
    under_at = m
    over_at = m + (n if soft else 0)
    size = over_at + (n if opts.over_weight > 0 else 0)
    c = np.zeros(size)
    c[:m] = cost
    if soft:
        c[under_at:over_at] = (opts.under_penalty or 0.0) / units
    if opts.over_weight > 0:
        c[over_at:] = opts.over_weight / units
    cov_r, cov_c, cov_v = [], [], []
    for k, column in enumerate(problem.columns):
        for i, u in column.presence:
            cov_r.append(i)
            cov_c.append(k)
            cov_v.append(float(u))
    coverage = coo_matrix((cov_v, (cov_r, cov_c)), shape=(n, size)).tolil()
    for i in range(n):
        if soft:
            coverage[i, under_at + i] = 1.0
        if opts.over_weight > 0:
            coverage[i, over_at + i] = -1.0
    targets = np.asarray(problem.targets, dtype=float)
    ub_rows = [-coverage.tocsr()] if opts.over_weight == 0 else []
    ub_rhs = [-targets] if opts.over_weight == 0 else []
    if opts.max_concurrent_agents is not None:
        seats = coo_matrix((cov_v, (cov_r, cov_c)), shape=(n, size)).tocsr()
        ub_rows.append(seats)
        ub_rhs.append(np.full(n, float(opts.max_concurrent_agents * units)))
    groups: list[tuple[list[int], float]] = []
    for t, _day, indices in problem.instances:
        shift = problem.shift_types[t]
        if shift.max_agents is not None:
            groups.append((list(indices), float(shift.max_agents)))
        if shift.min_agents > 0:
            groups.append(([-1 - k for k in indices], float(-shift.min_agents)))
    if opts.max_agents_per_day is not None:
        by_day: dict[int, list[int]] = {}
        for k, column in enumerate(problem.columns):
            by_day.setdefault(column.day, []).append(k)
        groups += [(ks, float(opts.max_agents_per_day)) for ks in by_day.values()]
    if groups:
        g_r, g_c, g_v = [], [], []
        for r, (ks, _) in enumerate(groups):
            for k in ks:
                g_r.append(r)
                g_c.append(k if k >= 0 else -1 - k)
                g_v.append(1.0 if k >= 0 else -1.0)
        ub_rows.append(coo_matrix((g_v, (g_r, g_c)), shape=(len(groups), size)).tocsr())
        ub_rhs.append(np.array([b for _, b in groups]))
    result = linprog(
        c,
        A_ub=vstack(ub_rows).tocsr() if ub_rows else None,
        b_ub=np.concatenate(ub_rhs) if ub_rhs else None,
        A_eq=coverage.tocsr() if opts.over_weight > 0 else None,
        b_eq=targets if opts.over_weight > 0 else None,
        bounds=(0, None),
        method="highs",
    )
    if result.status == 2:
        raise ScheduleInfeasible("even the linear relaxation of the schedule is infeasible")
    if result.status != 0:
        raise ScheduleNoSolution(f"the linear relaxation failed: {result.message}")
    return float(result.fun), [float(v) for v in result.x[:m]]
