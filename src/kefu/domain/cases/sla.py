"""SLA clocks of cases in business time, and the escalation policy.

Two clocks per case, each against its own target (seconds of *business* time of the site's
calendar, per case type and customer value tier):

- **first response** runs from opening until an agent first answers the customer
  (:class:`~kefu.domain.cases.events.CaseResponded`; internal notes do not count) or the case is
  first resolved;
- **resolution** runs from opening and stops while the case is resolved or closed; a reopened
  case resumes with the time it had already used.

Both pause while the case waits on the customer and never while it waits on a department
(:data:`~kefu.domain.cases.states.CLOCK_PAUSED`). Each clock has its own deadline: one target
never overrides the other, and a met clock never escalates again.

:func:`evaluate` is the whole policy, pure: ``(case, calendar, policy, now)`` → the escalation
steps due now (not yet taken) and the next instant anything becomes due. Steps are placed at a
fraction of the target in business time, so warnings fall in working hours.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from kefu.domain.calendar import BusinessCalendar
from kefu.domain.cases.book import Case
from kefu.domain.cases.states import CLOCK_PAUSED, CaseState
from kefu.domain.errors import ValidationError

__all__ = [
    "DEFAULT_STEPS",
    "ClockStatus",
    "EscalationAction",
    "EscalationStep",
    "SlaAction",
    "SlaClock",
    "SlaDecision",
    "SlaPolicy",
    "SlaTargets",
    "clock_status",
    "evaluate",
]

INF = math.inf


class SlaClock(StrEnum):
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


class EscalationAction(StrEnum):
    NOTIFY = "notify"
    RAISE_PRIORITY = "raise_priority"
    REASSIGN = "reassign"


@dataclass(frozen=True, slots=True)
class SlaTargets:
    """Business seconds allowed until the first response and until resolution."""

    first_response_s: float
    resolution_s: float

    def __post_init__(self) -> None:
        if not (self.first_response_s > 0 and self.resolution_s > 0):
            raise ValidationError("SLA targets must be positive seconds")

    def of(self, clock: SlaClock) -> float:
        return self.first_response_s if clock is SlaClock.FIRST_RESPONSE else self.resolution_s


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """Take ``action`` once ``fraction`` of the clock's target has elapsed (1.0 = at the
    deadline). ``to`` is whom to notify (``"owner"``, ``"supervisor"``) or the team to
    reassign to."""

    clock: SlaClock
    fraction: float
    action: EscalationAction
    to: str | None = None

    def __post_init__(self) -> None:
        if not self.fraction > 0:
            raise ValidationError("an escalation step needs a fraction of the target above 0")
        if self.action is EscalationAction.REASSIGN and not self.to:
            raise ValidationError("a reassignment step needs the team to reassign to")


DEFAULT_STEPS: tuple[EscalationStep, ...] = (
    EscalationStep(SlaClock.FIRST_RESPONSE, 0.75, EscalationAction.NOTIFY, "owner"),
    EscalationStep(SlaClock.FIRST_RESPONSE, 1.0, EscalationAction.NOTIFY, "supervisor"),
    EscalationStep(SlaClock.RESOLUTION, 0.75, EscalationAction.NOTIFY, "owner"),
    EscalationStep(SlaClock.RESOLUTION, 1.0, EscalationAction.RAISE_PRIORITY),
    EscalationStep(SlaClock.RESOLUTION, 1.0, EscalationAction.NOTIFY, "supervisor"),
)
"""Warn the owner at 75 % of a target; at the deadline tell the supervisor and, for
resolution, raise the priority."""


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """Targets by case type then value tier; a case uses the entry of the highest tier not
    above its own (no entry: no SLA). ``steps`` are numbered by their position;
    ``type_steps`` replace them for the case types they name (an admin's own steps)."""

    targets: Mapping[str, Mapping[int, SlaTargets]]
    steps: tuple[EscalationStep, ...] = DEFAULT_STEPS
    type_steps: Mapping[str, tuple[EscalationStep, ...]] = field(default_factory=dict)

    def steps_for(self, case_type: str) -> tuple[EscalationStep, ...]:
        """The escalation steps of ``case_type``, numbered by their position."""
        return self.type_steps.get(case_type, self.steps)

    def targets_for(self, case_type: str, value_tier: int) -> SlaTargets | None:
        tiers = self.targets.get(case_type, {})
        eligible = [tier for tier in tiers if tier <= value_tier]
        return tiers[max(eligible)] if eligible else None


@dataclass(frozen=True, slots=True)
class ClockStatus:
    """One clock at ``now``. ``elapsed_s`` and ``remaining_s`` are business seconds
    (``remaining_s`` < 0 once overdue); ``due_at`` is the deadline instant (``None`` while
    paused short of it: it moves when the clock resumes); ``stopped_at`` when the clock was
    met (first response) or the case is resolved/closed."""

    clock: SlaClock
    target_s: float
    elapsed_s: float
    remaining_s: float
    running: bool
    due_at: float | None
    stopped_at: float | None
    breached: bool


@dataclass(frozen=True, slots=True)
class SlaAction:
    """An escalation step due now: record it with ``CaseBook.escalate``."""

    case_id: str
    clock: SlaClock
    step: int
    action: EscalationAction
    to: str | None
    due_at: float


@dataclass(frozen=True, slots=True)
class SlaDecision:
    """What to do now, and when to look again (``None``: nothing can become due until the
    case changes)."""

    actions: tuple[SlaAction, ...]
    next_due: float | None
    clocks: tuple[ClockStatus, ...]


def _runs(
    case: Case, clock: SlaClock, now: float
) -> tuple[list[tuple[float, float]], float | None]:
    """Intervals ``[start, end)`` in which the clock ran or runs (the last may be endless),
    from the case's state history up to ``now``, and the instant it stopped (``None`` while
    it can still run: a paused clock is not stopped)."""
    history = [(at, state) for at, state in case.history if at <= now]
    if not history:
        return [], None
    done = (CaseState.RESOLVED, CaseState.CLOSED)
    stop: float | None = None
    if clock is SlaClock.FIRST_RESPONSE:
        # Met by the first answer to the customer, or by the first resolution or closure.
        ends = [at for at, state in history if state in done][:1]
        if case.first_response_at is not None and case.first_response_at <= now:
            ends.append(case.first_response_at)
        stop = min(ends) if ends else None
    elif history[-1][1] in done:
        stop = history[-1][0]
    runs: list[tuple[float, float]] = []
    for i, (start, state) in enumerate(history):
        end = history[i + 1][0] if i + 1 < len(history) else INF
        if stop is not None:
            end = min(end, stop)
        if state not in CLOCK_PAUSED and end > start:
            runs.append((start, end))
    return runs, stop


def _instant(cal: BusinessCalendar, runs: list[tuple[float, float]], amount: float) -> float | None:
    """The instant at which ``amount`` business seconds have run, or ``None`` if the runs end
    short of it."""
    used = 0.0
    for start, end in runs:
        part = INF if end == INF else cal.business_seconds(start, end)
        if used + part >= amount:
            return cal.add_business_seconds(start, amount - used)
        used += part
    return None


def clock_status(
    case: Case, calendar: BusinessCalendar, clock: SlaClock, target_s: float, now: float
) -> ClockStatus:
    """The state of one clock of ``case`` at ``now`` against ``target_s`` business seconds."""
    runs, stopped_at = _runs(case, clock, now)
    elapsed = sum(calendar.business_seconds(s, min(e, now)) for s, e in runs if s < now)
    running = bool(runs) and runs[-1][1] == INF and stopped_at is None
    due = _instant(calendar, runs, target_s)
    end = stopped_at if stopped_at is not None else now
    return ClockStatus(
        clock=clock,
        target_s=target_s,
        elapsed_s=elapsed,
        remaining_s=target_s - elapsed,
        running=running,
        due_at=due,
        stopped_at=stopped_at,
        breached=due is not None and due < end,
    )


def evaluate(case: Case, calendar: BusinessCalendar, policy: SlaPolicy, now: float) -> SlaDecision:
    """Escalation steps due at ``now`` that the case has not taken yet, and the next instant
    one falls due. A stopped clock takes no further steps; a step is due from its instant on
    (for a step at 1.0, the deadline itself)."""
    targets = policy.targets_for(case.case_type, case.value_tier)
    if targets is None:
        return SlaDecision((), None, ())
    actions: list[SlaAction] = []
    upcoming: list[float] = []
    clocks: list[ClockStatus] = []
    for clock in SlaClock:
        target = targets.of(clock)
        status = clock_status(case, calendar, clock, target, now)
        clocks.append(status)
        runs, stopped_at = _runs(case, clock, now)
        for index, step in enumerate(policy.steps_for(case.case_type)):
            if step.clock is not clock or (clock.value, index) in case.escalations:
                continue
            when = _instant(calendar, runs, step.fraction * target)
            if when is None or (stopped_at is not None and when > stopped_at):
                continue
            if when <= now and stopped_at is None:
                actions.append(SlaAction(case.case_id, clock, index, step.action, step.to, when))
            elif when > now:
                upcoming.append(when)
    return SlaDecision(tuple(actions), min(upcoming) if upcoming else None, tuple(clocks))
