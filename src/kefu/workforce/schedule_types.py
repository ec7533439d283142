"""Records of shift scheduling: shift types, options, results and errors.

Times are integers in seconds. A shift type's ``start_s`` is a time of day (seconds after
midnight); break windows are offsets from the shift's start. A schedule's horizon starts at
midnight of its day 0 and is cut into intervals of ``interval_s`` seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from kefu.domain.errors import KefuError, ValidationError

__all__ = [
    "DAY_S",
    "BreakRule",
    "IntervalCoverage",
    "ScheduleError",
    "ScheduleInfeasible",
    "ScheduleNoSolution",
    "ScheduleOptions",
    "ScheduleResult",
    "ShiftAssignment",
    "ShiftType",
]

DAY_S = 86_400
"""Seconds in a day."""


class ScheduleError(ValidationError, ValueError):
    """Bad scheduling input (a negative length, an unknown field ...); names the bad field."""

    error_id = "schedule_invalid"


class ScheduleInfeasible(ScheduleError):
    """No schedule meets the hard constraints; ``details`` says which ones bind."""

    error_id = "schedule_infeasible"


class ScheduleNoSolution(KefuError, RuntimeError):
    """The solver found no schedule within its time limit (feasibility unknown)."""

    error_id = "schedule_no_solution"


@dataclass(frozen=True)
class BreakRule:
    """A break of ``length_s`` seconds starting between two offsets after the shift's start.

    The solver chooses the start among ``earliest_s, earliest_s + step, ... <= latest_s``
    (``step`` is :attr:`ScheduleOptions.break_step_s`, or the interval length); equal
    offsets give a fixed break. ``paid`` breaks count towards paid hours.
    """

    length_s: int
    earliest_s: int
    latest_s: int
    paid: bool = False

    def __post_init__(self) -> None:
        if self.length_s <= 0:
            raise ScheduleError(f"break length must be positive, got {self.length_s} s")
        if self.earliest_s < 0:
            raise ScheduleError(f"break earliest start must be >= 0, got {self.earliest_s} s")
        if self.latest_s < self.earliest_s:
            raise ScheduleError(
                f"break latest start ({self.latest_s} s) is before its earliest "
                f"start ({self.earliest_s} s)"
            )


@dataclass(frozen=True)
class ShiftType:
    """A shift that may start at ``start_s`` (seconds after midnight) on allowed weekdays.

    ``cost`` is per agent per shift; ``None`` means paid hours × ``cost_per_hour``.
    ``min_agents``/``max_agents`` bound the agents on one day's instance of the shift.
    ``weekdays`` (0 = Monday … 6 = Sunday) limits the days it runs; ``None`` is every day.
    """

    name: str
    start_s: int
    length_s: int
    breaks: tuple[BreakRule, ...] = ()
    cost: float | None = None
    cost_per_hour: float = 1.0
    min_agents: int = 0
    max_agents: int | None = None
    weekdays: frozenset[int] | None = None

    def __post_init__(self) -> None:
        where = f"shift type {self.name!r}"
        if not self.name.strip():
            raise ScheduleError("a shift type needs a non-empty name")
        if not 0 <= self.start_s < DAY_S:
            raise ScheduleError(f"{where}: start must be within the day, got {self.start_s} s")
        if not 0 < self.length_s <= DAY_S:
            raise ScheduleError(f"{where}: length must be in (0, 24 h], got {self.length_s} s")
        if self.cost is not None and self.cost < 0:
            raise ScheduleError(f"{where}: cost must be >= 0, got {self.cost}")
        if self.cost_per_hour < 0:
            raise ScheduleError(f"{where}: cost_per_hour must be >= 0, got {self.cost_per_hour}")
        if self.min_agents < 0:
            raise ScheduleError(f"{where}: min_agents must be >= 0, got {self.min_agents}")
        if self.max_agents is not None and self.max_agents < self.min_agents:
            raise ScheduleError(
                f"{where}: max_agents ({self.max_agents}) is below min_agents ({self.min_agents})"
            )
        if self.weekdays is not None and (
            not self.weekdays or not self.weekdays <= frozenset(range(7))
        ):
            raise ScheduleError(f"{where}: weekdays must be a non-empty subset of 0..6")
        for rule in self.breaks:
            if rule.latest_s + rule.length_s > self.length_s:
                raise ScheduleError(
                    f"{where}: a {rule.length_s} s break starting as late as "
                    f"{rule.latest_s} s ends after the shift ({self.length_s} s)"
                )

    @property
    def paid_s(self) -> int:
        """Paid seconds per agent: the length less unpaid breaks."""
        return self.length_s - sum(b.length_s for b in self.breaks if not b.paid)

    @property
    def shift_cost(self) -> float:
        """Cost per agent per shift."""
        if self.cost is not None:
            return self.cost
        return self.paid_s / 3600.0 * self.cost_per_hour


@dataclass(frozen=True)
class ScheduleOptions:
    """How to trade cost against coverage and how long to search.

    Objective: cost + ``under_penalty`` · under + ``over_weight`` · over, where under and
    over are in agent-intervals. ``under_penalty=None`` makes coverage hard (no
    under-staffing allowed). ``max_concurrent_agents`` caps agents present in any interval
    (seats); ``max_agents_per_day`` caps agents starting a shift on one day. ``cyclic``
    wraps shifts that run past the horizon's end to its start (a repeating week).
    """

    under_penalty: float | None = None
    over_weight: float = 0.0
    max_concurrent_agents: int | None = None
    max_agents_per_day: int | None = None
    cyclic: bool = False
    time_limit_s: float = 60.0
    relative_gap: float = 0.0
    num_workers: int = 2
    break_step_s: int | None = None
    max_break_options: int = 64
    random_seed: int = 0

    def __post_init__(self) -> None:
        if self.under_penalty is not None and self.under_penalty <= 0:
            raise ScheduleError(f"under_penalty must be > 0, got {self.under_penalty}")
        if self.over_weight < 0:
            raise ScheduleError(f"over_weight must be >= 0, got {self.over_weight}")
        for name in ("max_concurrent_agents", "max_agents_per_day"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ScheduleError(f"{name} must be >= 0, got {value}")
        if not self.time_limit_s > 0:
            raise ScheduleError(f"time_limit_s must be > 0, got {self.time_limit_s}")
        if not 0 <= self.relative_gap < 1:
            raise ScheduleError(f"relative_gap must be in [0, 1), got {self.relative_gap}")
        if self.num_workers < 1:
            raise ScheduleError(f"num_workers must be >= 1, got {self.num_workers}")
        if self.break_step_s is not None and self.break_step_s <= 0:
            raise ScheduleError(f"break_step_s must be > 0, got {self.break_step_s}")
        if self.max_break_options < 1:
            raise ScheduleError(f"max_break_options must be >= 1, got {self.max_break_options}")


@dataclass(frozen=True)
class IntervalCoverage:
    """One interval: required and scheduled agents (mean present over the interval)."""

    start_s: int
    required: float
    scheduled: float

    @property
    def over(self) -> float:
        """Agents scheduled beyond the requirement."""
        return max(0.0, self.scheduled - self.required)

    @property
    def under(self) -> float:
        """Agents missing to meet the requirement."""
        return max(0.0, self.required - self.scheduled)


@dataclass(frozen=True)
class ShiftAssignment:
    """Agents on one day's instance of a shift type with one break placement.

    ``start_s`` and break starts are seconds from the horizon's start; ``breaks`` holds
    ``(start_s, length_s)`` pairs. ``paid_hours`` and ``cost`` are totals over ``agents``.
    """

    shift: str
    day: int
    start_s: int
    length_s: int
    breaks: tuple[tuple[int, int], ...]
    agents: int
    paid_hours: float
    cost: float


@dataclass(frozen=True)
class ScheduleResult:
    """A solved schedule.

    ``status`` is ``OPTIMAL`` or ``FEASIBLE``; ``objective`` and ``best_bound`` are in cost
    units; ``gap`` = (objective − bound) / max(1, |objective|). ``paid_hours`` and ``cost``
    total over all agents; ``under_agent_hours``/``over_agent_hours`` integrate the
    per-interval shortfall and excess. ``num_parts`` counts the independent sub-models
    solved (usually one per day).
    """

    status: str
    objective: float
    best_bound: float
    wall_time_s: float
    interval_s: int
    cost: float
    paid_hours: float
    intervals: tuple[IntervalCoverage, ...]
    assignments: tuple[ShiftAssignment, ...]
    num_shift_types: int = 0
    num_variables: int = 0
    num_parts: int = 1

    @property
    def gap(self) -> float:
        """Relative optimality gap of the objective against the solver's bound."""
        return max(0.0, self.objective - self.best_bound) / max(1.0, abs(self.objective))

    @property
    def agents(self) -> int:
        """Shifts worked in total (agent-days)."""
        return sum(a.agents for a in self.assignments)

    @property
    def under_agent_hours(self) -> float:
        """Shortfall integrated over the horizon, in agent-hours."""
        return sum(c.under for c in self.intervals) * self.interval_s / 3600.0

    @property
    def over_agent_hours(self) -> float:
        """Excess integrated over the horizon, in agent-hours."""
        return sum(c.over for c in self.intervals) * self.interval_s / 3600.0

    @property
    def understaffed_intervals(self) -> int:
        """Intervals with any shortfall."""
        return sum(1 for c in self.intervals if c.under > 1e-9)
