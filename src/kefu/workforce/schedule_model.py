"""The shift-scheduling problem as columns and rows, shared by the CP-SAT and LP solvers.

A *column* is one day's instance of a shift type with one break placement; its presence in
interval ``i`` is counted in *units* of ``unit_s`` seconds (the greatest common divisor of
every time involved), so coverage sums stay integers and a 15-minute break inside a
30-minute interval counts as half an agent. Requirements are rounded up to whole units:
whole agents when every time aligns with the intervals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from kefu.workforce.schedule_shifts import break_options
from kefu.workforce.schedule_types import (
    DAY_S,
    ScheduleError,
    ScheduleInfeasible,
    ScheduleOptions,
    ShiftType,
)

__all__ = ["Column", "Problem", "build_problem", "check_feasible"]

# Requirements within this of a whole number are not rounded up to the next agent.
_ROUND_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Column:
    """One day's instance of a shift type with one break placement (times from horizon start)."""

    type_index: int
    day: int
    start_s: int
    breaks: tuple[tuple[int, int], ...]
    presence: tuple[tuple[int, int], ...]  # (interval index, units present), units > 0
    cost: float
    paid_s: int


@dataclass(frozen=True)
class Problem:
    """Columns, interval targets (in units) and the groups that min/max constraints bind."""

    required: tuple[float, ...]
    targets: tuple[int, ...]  # units of presence needed per interval, rounded up
    interval_s: int
    unit_s: int
    shift_types: tuple[ShiftType, ...]
    columns: tuple[Column, ...]
    instances: tuple[tuple[int, int, tuple[int, ...]], ...]  # (type, day, column indices)
    options: ScheduleOptions

    @property
    def units_per_interval(self) -> int:
        """Units in one interval: presence of one agent for the whole interval."""
        return self.interval_s // self.unit_s

    @property
    def horizon_s(self) -> int:
        """Length of the horizon in seconds."""
        return len(self.required) * self.interval_s

    def column_upper_bound(self, column: Column) -> int:
        """A bound on agents in one column that no optimal schedule exceeds."""
        shift = self.shift_types[column.type_index]
        peak = -(-max(self.targets) // self.units_per_interval)
        bound = max(peak, shift.min_agents)
        if shift.max_agents is not None:
            bound = min(bound, shift.max_agents)
        return bound


def _validate(
    required: Sequence[float], interval_s: int, shift_types: Sequence[ShiftType], first_weekday: int
) -> None:
    if interval_s <= 0:
        raise ScheduleError(f"interval must be > 0 s, got {interval_s}")
    if not required:
        raise ScheduleError("the requirement has no intervals")
    for i, value in enumerate(required):
        if not math.isfinite(value) or value < 0:
            raise ScheduleError(f"required agents must be finite and >= 0, got {value} at {i}")
    if not shift_types:
        raise ScheduleError("at least one shift type is needed")
    names = [s.name for s in shift_types]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ScheduleError(f"shift type names must be unique; repeated: {', '.join(duplicates)}")
    if not 0 <= first_weekday <= 6:
        raise ScheduleError(f"first weekday must be 0 (Monday) .. 6 (Sunday), got {first_weekday}")


def _presence(
    segments: list[tuple[int, int]], interval_s: int, unit_s: int, horizon_s: int, cyclic: bool
) -> tuple[tuple[int, int], ...]:
    """Units present per interval for working segments ``[a, b)`` in horizon seconds."""
    counts: dict[int, int] = {}
    pieces: list[tuple[int, int]] = []
    for a, b in segments:
        if cyclic:
            while a < b:
                lo = a % horizon_s
                hi = min(horizon_s, lo + (b - a))
                pieces.append((lo, hi))
                a += hi - lo
        elif a < horizon_s:
            pieces.append((max(a, 0), min(b, horizon_s)))
    for a, b in pieces:
        i = a // interval_s
        while i * interval_s < b:
            overlap = min(b, (i + 1) * interval_s) - max(a, i * interval_s)
            if overlap > 0:
                counts[i] = counts.get(i, 0) + overlap // unit_s
            i += 1
    return tuple(sorted((i, u) for i, u in counts.items() if u > 0))


def build_problem(
    required: Sequence[float],
    interval_s: int,
    shift_types: Sequence[ShiftType],
    options: ScheduleOptions,
    first_weekday: int = 0,
) -> Problem:
    """Enumerate columns for ``required[i]`` agents in interval ``i`` (from midnight of day 0).

    ``first_weekday`` is the weekday of day 0 (0 = Monday), used by shift types that run on
    some weekdays only.
    """
    _validate(required, interval_s, shift_types, first_weekday)
    step_s = options.break_step_s or interval_s
    times = [interval_s, step_s, DAY_S]
    for shift in shift_types:
        times += [shift.start_s, shift.length_s]
        for rule in shift.breaks:
            times += [rule.length_s, rule.earliest_s]
    unit_s = math.gcd(*times)
    horizon_s = len(required) * interval_s
    days = math.ceil(horizon_s / DAY_S)
    columns: list[Column] = []
    instances: list[tuple[int, int, tuple[int, ...]]] = []
    for t, shift in enumerate(shift_types):
        placements = break_options(shift, step_s, options.max_break_options)
        for day in range(days):
            if shift.weekdays is not None and (first_weekday + day) % 7 not in shift.weekdays:
                continue
            start = day * DAY_S + shift.start_s
            if start >= horizon_s:
                continue
            indices = []
            for placement in placements:
                segments, cursor = [], start
                for offset, length in placement:
                    segments.append((cursor, start + offset))
                    cursor = start + offset + length
                segments.append((cursor, start + shift.length_s))
                indices.append(len(columns))
                columns.append(
                    Column(
                        type_index=t,
                        day=day,
                        start_s=start,
                        breaks=tuple((start + o, n) for o, n in placement),
                        presence=_presence(
                            [(a, b) for a, b in segments if b > a],
                            interval_s,
                            unit_s,
                            horizon_s,
                            options.cyclic,
                        ),
                        cost=shift.shift_cost,
                        paid_s=shift.paid_s,
                    )
                )
            instances.append((t, day, tuple(indices)))
    if not columns:
        raise ScheduleError("no shift type can start within the horizon")
    units = interval_s // unit_s
    targets = tuple(math.ceil(r * units - _ROUND_TOLERANCE) for r in required)
    return Problem(
        required=tuple(float(r) for r in required),
        targets=targets,
        interval_s=interval_s,
        unit_s=unit_s,
        shift_types=tuple(shift_types),
        columns=tuple(columns),
        instances=tuple(instances),
        options=options,
    )


def _interval_label(problem: Problem, i: int) -> str:
    start = i * problem.interval_s
    day, rest = divmod(start, DAY_S)
    return f"day {day} {rest // 3600:02d}:{rest % 3600 // 60:02d}"


def check_feasible(problem: Problem) -> None:
    """Raise :class:`ScheduleInfeasible` naming the bound that rules out hard coverage.

    Checks each interval's requirement against what the shift types could ever put there
    (their ``max_agents``, the seat cap) and the daily minimums against the daily cap.
    """
    opts = problem.options
    units = problem.units_per_interval
    by_day: dict[int, int] = {}
    for t, day, _ in problem.instances:
        by_day[day] = by_day.get(day, 0) + problem.shift_types[t].min_agents
    if opts.max_agents_per_day is not None:
        for day, total in sorted(by_day.items()):
            if total > opts.max_agents_per_day:
                raise ScheduleInfeasible(
                    f"the shift types' min_agents add up to {total} on day {day}, above "
                    f"max_agents_per_day={opts.max_agents_per_day}",
                    day=day,
                    min_agents=total,
                )
    if opts.under_penalty is not None:
        return
    reach: dict[int, float] = {}
    for t, _, indices in problem.instances:
        cap = problem.shift_types[t].max_agents
        best: dict[int, int] = {}
        for c in indices:
            for i, u in problem.columns[c].presence:
                best[i] = max(best.get(i, 0), u)
        for i, u in best.items():
            reach[i] = reach.get(i, 0.0) + (math.inf if cap is None else float(cap * u))
    short = [i for i, target in enumerate(problem.targets) if target > reach.get(i, 0.0)]
    if short:
        shown = ", ".join(
            f"{_interval_label(problem, i)} needs {problem.targets[i] / units:g}, at most "
            f"{reach.get(i, 0.0) / units:g} possible"
            for i in short[:5]
        )
        more = f" and {len(short) - 5} more" if len(short) > 5 else ""
        raise ScheduleInfeasible(
            f"coverage is hard but {len(short)} interval(s) cannot be covered by the shift "
            f"types and their max_agents: {shown}{more}. Add shift types, raise max_agents, "
            "or allow under-staffing with an under-staffing penalty",
            intervals=short,
        )
    if opts.max_concurrent_agents is not None:
        over = [i for i, t in enumerate(problem.targets) if t > opts.max_concurrent_agents * units]
        if over:
            raise ScheduleInfeasible(
                f"coverage is hard but {len(over)} interval(s) need more than "
                f"max_concurrent_agents={opts.max_concurrent_agents}, first at "
                f"{_interval_label(problem, over[0])}",
                intervals=over,
            )
