"""The per-visit projection of the event log that fast historical reports read.

:class:`VisitProjector` folds events (in log order) into what the report tables hold: one
:class:`~kefu.analytics.visits.Visit` per queue visit, and agent seconds (handling, ready
idle, logged in) per agent and fixed slot of :data:`SLOT_S` seconds from the epoch. Both
are the very figures :class:`~kefu.analytics.history.HistoryBuilder` computes from the
events, so a report summed from the projection equals one decoded from the log, as long
as its bucket edges fall on slot edges (every 15/30/60-minute, day, week and month edge
does in zones whose offset is a whole number of quarter hours; 5-minute reports read the
events instead).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from kefu.analytics.visits import Visit, VisitLog
from kefu.domain import events as ev

__all__ = ["SLOT_S", "AgentSlot", "VisitProjector", "on_slot_edges"]

SLOT_S = 900.0
"""Seconds of one agent-time slot; slot ``n`` is [n·SLOT_S, (n + 1)·SLOT_S)."""


def on_slot_edges(edges: Iterable[float]) -> bool:
    """True when every instant of ``edges`` (seconds) is a slot edge."""
    return all(math.isfinite(e) and e % SLOT_S == 0.0 for e in edges)


@dataclass(frozen=True, slots=True)
class AgentSlot:
    """An agent's seconds within slot [``slot_at``, ``slot_at`` + SLOT_S) while it
    belonged to ``site_id``."""

    agent_id: str
    site_id: str | None
    slot_at: float
    handling_s: float
    idle_s: float
    staffed_s: float


class _Slots:
    """Fixed slots of SLOT_S seconds from the epoch, in the shape :class:`VisitLog`
    accrues agent time into."""

    edges = (0.0,)

    def accrue(self, bins: dict[int, float], t0: float, t1: float) -> None:
        if t1 <= t0:
            return
        k = int(t0 // SLOT_S)
        while True:
            edge = (k + 1) * SLOT_S
            if t1 <= edge:
                bins[k] = bins.get(k, 0.0) + (t1 - t0)
                return
            bins[k] = bins.get(k, 0.0) + (edge - t0)
            t0 = edge
            k += 1


def _no_site(site_id: str | None) -> str:
    return "" if site_id is None else site_id


def _agent_key(agent_id: str, site_id: str | None) -> tuple[str, ...]:
    # a module function, not a lambda: a projector is pickled into router snapshots
    return (agent_id, _no_site(site_id))


class VisitProjector:
    """Folds events into visits (as each ends) and agent slots (as each is over)."""

    def __init__(self) -> None:
        self._visits: list[Visit] = []
        self._cut = -math.inf  # the slots before this index were taken
        self.log = VisitLog(self._visits.append, _Slots(), _agent_key)

    def consume(self, events: Iterable[ev.Event]) -> None:
        """Take events in log order."""
        self.log.consume_all(events)

    @property
    def last_at(self) -> float:
        """The instant (seconds) of the latest event taken."""
        return self.log.last

    def take_visits(self) -> list[Visit]:
        """The visits ended since the last call."""
        out = self._visits
        self._visits = []
        self.log.sink = self._visits.append
        return out

    def take_slots(self, before: float) -> list[AgentSlot]:
        """The agent slots ending at or before ``before`` (seconds), now final: every
        agent's time is counted up to there first. They are given once."""
        if math.isfinite(before):
            cut = math.floor(before / SLOT_S)
            if cut <= self._cut:
                # nothing new: every agent was counted up to the last cut, and time since
                # goes to slots from there on (the writer asks after every batch)
                return []
            self._cut = cut
            self.log.touch_all(cut * SLOT_S)
        else:
            cut = None
        out: list[AgentSlot] = []
        for (agent_id, site), (handling, idle, staffed) in self.log.agent_seconds().items():
            done = list(staffed) if cut is None else [k for k in staffed if k < cut]
            for k in sorted(done):
                out.append(
                    AgentSlot(
                        agent_id,
                        site or None,
                        k * SLOT_S,
                        handling.pop(k, 0.0),
                        idle.pop(k, 0.0),
                        staffed.pop(k),
                    )
                )
        return out

    def finish(self, at: float | None = None) -> tuple[list[Visit], list[AgentSlot]]:
        """Close at ``at`` (default: the latest event): the visits still open as they
        stand (waiting, or answered and not yet released) with the ended ones not yet
        taken, and every agent slot counted up to ``at`` (the last one partial)."""
        self.log.finish(at)
        visits = self.take_visits()
        slots = self.take_slots(math.inf)
        return visits, slots
