"""Schedule adherence: a published schedule against the agents' actual presence.

A plain function of the shifts, the agents' presence events and the time. Inside a shift
an agent is *scheduled to work*, except in its break windows (*scheduled break*); outside
shifts nothing is asked. Working time is in adherence when the agent is ready (busy and
wrap-up are ready too: they follow from contacts held); logged out (``offline``) or not
ready there is out of adherence. A scheduled break is in adherence whatever the state.

A stretch out of adherence no longer than ``tolerance_s`` is forgiven (a log-in up to the
tolerance late, a short not-ready); a longer one counts from its start. Stretches are
measured over whole shifts, so a range that cuts a stretch does not shorten it. Times are
seconds since the epoch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from kefu.domain import events as ev

__all__ = [
    "AdherenceNow",
    "AgentAdherence",
    "ScheduledShift",
    "Stretch",
    "adherence_now",
    "adherence_over",
    "stretches",
]

WORK = "work"
BREAK = "break"
OFF = "off"
OFFLINE = "offline"
READY = "ready"


@dataclass(frozen=True, slots=True)
class ScheduledShift:
    """A published shift of ``agent_id``: [start, end) and its breaks as (start, end)."""

    agent_id: str
    start: float
    end: float
    breaks: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True, slots=True)
class Stretch:
    """A stretch of a shift with one verdict: ``reason`` says why it is out (``late``:
    not logged in since the shift's start, ``logged_out``, ``not_ready``), ``None`` in."""

    start: float
    end: float
    reason: str | None

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class AgentAdherence:
    """An agent's scheduled and adherent seconds over a range (breaks included)."""

    agent_id: str
    scheduled_s: float
    adherent_s: float

    @property
    def percent(self) -> float | None:
        """Adherence in percent, ``None`` when nothing was scheduled."""
        return None if self.scheduled_s <= 0 else 100.0 * self.adherent_s / self.scheduled_s

    def to_json(self) -> dict[str, object]:
        return {
            "agent_id": self.agent_id,
            "scheduled_s": self.scheduled_s,
            "adherent_s": self.adherent_s,
            "percent": self.percent,
        }


@dataclass(frozen=True, slots=True)
class AdherenceNow:
    """An agent at ``now``: what the schedule asks (``work``, ``break``, ``off``), its
    presence, and whether it is in adherence; ``since``: when its out-of-adherence stretch
    began (``None`` when in adherence); ``reason`` as in :class:`Stretch`."""

    agent_id: str
    scheduled: str
    actual: str
    in_adherence: bool
    since: float | None
    reason: str | None

    def to_json(self) -> dict[str, object]:
        return {
            "agent_id": self.agent_id,
            "scheduled": self.scheduled,
            "actual": self.actual,
            "in_adherence": self.in_adherence,
            "since": self.since,
            "reason": self.reason,
        }


def _presence(events: Iterable[ev.Event]) -> dict[str, list[tuple[float, str]]]:
    """Per agent, its presence changes in time order."""
    out: dict[str, list[tuple[float, str]]] = {}
    for e in events:
        if isinstance(e, ev.AgentStateChanged):
            out.setdefault(e.agent_id, []).append((e.at, e.presence))
    for changes in out.values():
        changes.sort(key=lambda c: c[0])
    return out


def _state_at(changes: Sequence[tuple[float, str]], t: float) -> str:
    state = OFFLINE
    for at, presence in changes:
        if at > t:
            break
        state = presence
    return state


def _scheduled_at(shift: ScheduledShift, t: float) -> str:
    if not shift.start <= t < shift.end:
        return OFF
    return BREAK if any(b0 <= t < b1 for b0, b1 in shift.breaks) else WORK


def _reason(scheduled: str, presence: str, logged_in: bool) -> str | None:
    if scheduled != WORK or presence == READY:
        return None
    if presence == OFFLINE:
        return "logged_out" if logged_in else "late"
    return "not_ready"


def stretches(
    shift: ScheduledShift, changes: Sequence[tuple[float, str]], until: float
) -> list[Stretch]:
    """The shift up to ``until`` cut into stretches in or out of adherence, before the
    tolerance; ``changes``: the agent's (time, presence) in time order."""
    end = min(shift.end, until)
    if end <= shift.start:
        return []
    cuts = {shift.start, end}
    cuts.update(t for b in shift.breaks for t in b if shift.start < t < end)
    cuts.update(at for at, _ in changes if shift.start < at < end)
    points = sorted(cuts)
    logged_in = False
    out: list[Stretch] = []
    for a, b in pairwise(points):
        presence = _state_at(changes, a)
        logged_in = logged_in or presence != OFFLINE
        reason = _reason(_scheduled_at(shift, a), presence, logged_in)
        if out and out[-1].reason == reason:
            out[-1] = Stretch(out[-1].start, b, reason)
        else:
            out.append(Stretch(a, b, reason))
    return out


def adherence_over(
    shifts: Iterable[ScheduledShift],
    events: Iterable[ev.Event],
    since: float,
    until: float,
    tolerance_s: float = 0.0,
    known_until: float | None = None,
) -> dict[str, AgentAdherence]:
    """Each scheduled agent's adherence over [since, until); ``events`` must include each
    agent's last presence change before its shifts (earlier events are harmless) and run
    to ``known_until`` (default ``until``): a stretch is measured to there, so one that
    goes on past the range's end is not forgiven for being cut by it."""
    known = until if known_until is None else max(until, known_until)
    presence = _presence(events)
    scheduled: dict[str, float] = {}
    adherent: dict[str, float] = {}
    for shift in shifts:
        a, b = max(shift.start, since), min(shift.end, until)
        if b <= a:
            continue
        agent = shift.agent_id
        scheduled[agent] = scheduled.get(agent, 0.0) + (b - a)
        good = adherent.get(agent, 0.0)
        for s in stretches(shift, presence.get(agent, ()), known):
            if s.reason is None or s.seconds <= tolerance_s:
                good += max(0.0, min(s.end, b) - max(s.start, a))
        adherent[agent] = good
    return {a: AgentAdherence(a, scheduled[a], adherent[a]) for a in sorted(scheduled)}


def adherence_now(
    shifts: Iterable[ScheduledShift],
    events: Iterable[ev.Event],
    now: float,
    tolerance_s: float = 0.0,
    agents: Iterable[str] = (),
) -> list[AdherenceNow]:
    """Every scheduled agent (and each of ``agents``) at ``now``, by agent id."""
    presence = _presence(events)
    current: dict[str, ScheduledShift] = {}
    names = set(agents)
    for shift in shifts:
        names.add(shift.agent_id)
        if shift.start <= now < shift.end:
            current[shift.agent_id] = shift
    out = []
    for agent in sorted(names):
        changes = presence.get(agent, [])
        actual = _state_at(changes, now)
        now_shift = current.get(agent)
        if now_shift is None:
            out.append(AdherenceNow(agent, OFF, actual, True, None, None))
            continue
        # The stretch running at ``now`` is measured to ``now``: in until it passes the
        # tolerance.
        last = stretches(now_shift, changes, now)[-1:] or [Stretch(now, now, None)]
        run = last[0]
        out_now = run.reason is not None and run.seconds > tolerance_s
        out.append(
            AdherenceNow(
                agent,
                _scheduled_at(now_shift, now),
                actual,
                not out_now,
                run.start if out_now else None,
                run.reason if out_now else None,
            )
        )
    return out
