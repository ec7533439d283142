"""Named agents on a schedule's shifts: who works which shift, by their work rules.

:func:`solve_schedule` decides how many agents work each shift on each day;
:func:`assign_agents` then puts named agents on those places with CP-SAT, respecting each
agent's :class:`WorkRules` (contracted hours per week, weekdays off, most working days per
week, a rest between shifts) and preferring the shift starts they like. Places no agent
can take stay open and are reported as ``unfilled``. Times are seconds from midnight of the
horizon's day 0 (weekday ``first_weekday``, 0 = Monday), as in :class:`ShiftAssignment`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kefu.workforce.schedule_types import DAY_S, ScheduleError, ShiftAssignment

__all__ = [
    "NamedShift",
    "Roster",
    "RosterAgent",
    "UnfilledShift",
    "WorkRules",
    "assign_agents",
]

# Objective weights: a filled place outweighs every preference of one agent-week.
_FILL = 1000
_OFF_PREFERENCE = 10


@dataclass(frozen=True)
class WorkRules:
    """How an agent may be scheduled.

    ``contracted_hours``: most paid hours per week (7 days from day 0); ``days_off``:
    weekdays never worked (0 = Monday … 6 = Sunday); ``max_days``: most shifts per week;
    ``min_rest_hours``: least time between the end of one shift and the start of the next;
    ``preferred_start``: (earliest, latest) shift start in seconds after midnight that the
    agent prefers (soft), ``None``: no preference.
    """

    contracted_hours: float = 40.0
    days_off: frozenset[int] = frozenset()
    max_days: int = 5
    min_rest_hours: float = 11.0
    preferred_start: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if not 0 < self.contracted_hours <= 168:
            raise ScheduleError(
                f"contracted hours must be in (0, 168], got {self.contracted_hours}",
                text_key="error.work_hours",
            )
        if not self.days_off <= frozenset(range(7)):
            raise ScheduleError(
                "days off are weekdays 0 (Monday) to 6 (Sunday)", text_key="error.work_days_off"
            )
        if not 0 <= self.max_days <= 7:
            raise ScheduleError(
                f"working days per week must be in 0..7, got {self.max_days}",
                text_key="error.work_max_days",
            )
        if not 0 <= self.min_rest_hours <= 48:
            raise ScheduleError(
                f"rest between shifts must be in 0..48 h, got {self.min_rest_hours}",
                text_key="error.work_rest",
            )
        start = self.preferred_start
        if start is not None and not 0 <= start[0] <= start[1] < DAY_S:
            raise ScheduleError(
                "a preferred start is a time window within the day",
                text_key="error.work_preferred_start",
            )


@dataclass(frozen=True)
class RosterAgent:
    """An agent who may be put on shifts, with its rules."""

    agent_id: str
    rules: WorkRules = field(default_factory=WorkRules)


@dataclass(frozen=True)
class NamedShift:
    """One agent on one shift: start and breaks ``(start_s, length_s)`` from day 0."""

    agent_id: str
    shift: str
    day: int
    start_s: int
    length_s: int
    breaks: tuple[tuple[int, int], ...]
    paid_hours: float


@dataclass(frozen=True)
class UnfilledShift:
    """Places of a shift no agent could take (``missing`` of them)."""

    shift: str
    day: int
    start_s: int
    missing: int


@dataclass(frozen=True)
class Roster:
    """Named shifts by day and start, the places left open, and the solver's status."""

    status: str
    shifts: tuple[NamedShift, ...]
    unfilled: tuple[UnfilledShift, ...]

    def hours(self) -> dict[str, float]:
        """Paid hours per agent over the horizon."""
        out: dict[str, float] = {}
        for s in self.shifts:
            out[s.agent_id] = out.get(s.agent_id, 0.0) + s.paid_hours
        return out


def _conflict(a: ShiftAssignment, b: ShiftAssignment, rest_s: float) -> bool:
    """Whether one agent cannot work both (the same day, or too little rest between)."""
    if a.day == b.day:
        return True
    first, second = (a, b) if a.start_s <= b.start_s else (b, a)
    return second.start_s < first.start_s + first.length_s + rest_s


def _preferred(rules: WorkRules, start_s: int) -> bool:
    window = rules.preferred_start
    return window is None or window[0] <= start_s % DAY_S <= window[1]


def assign_agents(
    places: Sequence[ShiftAssignment],
    agents: Sequence[RosterAgent],
    *,
    first_weekday: int = 0,
    time_limit_s: float = 10.0,
) -> Roster:
    """Put ``agents`` on the ``places`` of a solved schedule (see module doc).

    Maximises the places filled, then the shifts within the agents' preferred starts.
    Starts from a greedy roster, which stands (status ``GREEDY``) when the solver finds
    nothing better in time. Raises :class:`ScheduleError` when an agent id repeats or the
    time limit is not positive.
    """
    from ortools.sat.python import cp_model

    if not time_limit_s > 0:
        raise ScheduleError(f"time limit must be > 0, got {time_limit_s}")
    ids = [a.agent_id for a in agents]
    if len(set(ids)) != len(ids):
        raise ScheduleError("an agent appears twice in the roster")
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    for i, agent in enumerate(agents):
        for k, place in enumerate(places):
            if place.agents <= 0 or (first_weekday + place.day) % 7 in agent.rules.days_off:
                continue
            x[i, k] = model.new_bool_var(f"x{i}_{k}")
    terms: list[cp_model.LinearExprT] = []
    for k, place in enumerate(places):
        taking = [x[i, k] for i in range(len(agents)) if (i, k) in x]
        if taking:
            model.add(sum(taking) <= place.agents)
            terms.extend(_FILL * v for v in taking)
    for i, agent in enumerate(agents):
        rules = agent.rules
        mine = [k for k in range(len(places)) if (i, k) in x]
        rest_s = rules.min_rest_hours * 3600.0
        by_day: dict[int, list[int]] = {}
        for k in mine:
            by_day.setdefault(places[k].day, []).append(k)
        for ks in by_day.values():
            model.add_at_most_one(x[i, k] for k in ks)
        # Across days only a rest too short conflicts (shifts and rests span < 4 days).
        for day, ks in by_day.items():
            for later in range(day + 1, day + 4):
                for j in ks:
                    for k in by_day.get(later, ()):
                        if _conflict(places[j], places[k], rest_s):
                            model.add(x[i, j] + x[i, k] <= 1)
        for week in {places[k].day // 7 for k in mine}:
            weekly = [k for k in mine if places[k].day // 7 == week]
            model.add(sum(x[i, k] for k in weekly) <= rules.max_days)
            # Paid hours in hundredths keep the constraint exact in integers.
            model.add(
                sum(round(100 * _paid(places[k])) * x[i, k] for k in weekly)
                <= round(100 * rules.contracted_hours)
            )
        terms.extend(
            -_OFF_PREFERENCE * x[i, k] for k in mine if not _preferred(rules, places[k].start_s)
        )
    model.maximize(sum(terms))
    # A greedy roster is a solution from the start: the solver only improves on it, and
    # it stands when the time limit ends first.
    greedy = _greedy(places, agents, set(x))
    for key, var in x.items():
        model.add_hint(var, key in greedy)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = 0
    status = solver.solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = {key for key, var in x.items() if solver.value(var)}
        name = "OPTIMAL" if status == cp_model.OPTIMAL else "FEASIBLE"
    else:
        chosen, name = greedy, "GREEDY"
    return _roster(places, agents, chosen, name)


def _greedy(
    places: Sequence[ShiftAssignment], agents: Sequence[RosterAgent], allowed: set[tuple[int, int]]
) -> set[tuple[int, int]]:
    """Places filled in start order, each by the agents with the fewest hours so far (those
    preferring its start first) whose rules still allow it."""
    chosen: set[tuple[int, int]] = set()
    taken: dict[int, list[int]] = {i: [] for i in range(len(agents))}
    hours = [0.0] * len(agents)
    for k in sorted(range(len(places)), key=lambda k: places[k].start_s):
        place = places[k]
        week = place.day // 7
        candidates = []
        for i, agent in enumerate(agents):
            rules = agent.rules
            mine = [j for j in taken[i] if places[j].day // 7 == week]
            if (i, k) not in allowed or len(mine) >= rules.max_days:
                continue
            if sum(_paid(places[j]) for j in mine) + _paid(place) > rules.contracted_hours + 1e-9:
                continue
            rest_s = rules.min_rest_hours * 3600.0
            if any(_conflict(places[j], place, rest_s) for j in taken[i]):
                continue
            candidates.append((not _preferred(rules, place.start_s), hours[i], i))
        for _, _, i in sorted(candidates)[: place.agents]:
            chosen.add((i, k))
            taken[i].append(k)
            hours[i] += _paid(place)
    return chosen


def _roster(
    places: Sequence[ShiftAssignment],
    agents: Sequence[RosterAgent],
    chosen: set[tuple[int, int]],
    status: str,
) -> Roster:
    shifts: list[NamedShift] = []
    unfilled: list[UnfilledShift] = []
    for k, place in enumerate(places):
        taken = [i for i in range(len(agents)) if (i, k) in chosen]
        shifts.extend(
            NamedShift(
                agents[i].agent_id,
                place.shift,
                place.day,
                place.start_s,
                place.length_s,
                place.breaks,
                _paid(place),
            )
            for i in taken
        )
        if len(taken) < place.agents:
            unfilled.append(
                UnfilledShift(place.shift, place.day, place.start_s, place.agents - len(taken))
            )
    shifts.sort(key=lambda s: (s.start_s, s.agent_id))
    return Roster(status, tuple(shifts), tuple(unfilled))


def _paid(place: ShiftAssignment) -> float:
    """Paid hours of one agent on ``place``."""
    return place.paid_hours / place.agents if place.agents else 0.0
