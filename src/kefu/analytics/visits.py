"""Queue visits and agent time rebuilt from the event log, for historical reports.

:class:`VisitLog` reads routing events in log order and hands every finished queue
visit (:class:`Visit`) to a sink as soon as it ends, so a month of events is never held
in memory. It also sums, per bucket of a :class:`~kefu.analytics.buckets.Buckets` range,
the seconds agents spent handling, idle while ready, and logged in. It tolerates a log
read from the middle: events about contacts or agents it never saw defined are skipped
(a report reads from some time before its range so that these are over by then).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from kefu.analytics.agent_seconds import AgentSeconds
from kefu.analytics.oldest import OldestFirst
from kefu.analytics.tallies import event_handlers
from kefu.domain import events as ev
from kefu.domain.tiers import customer_tier

__all__ = ["Accrual", "AgentSeconds", "Visit", "VisitLog"]

ANSWERED, ABANDONED, WAITING = "answered", "abandoned", "waiting"
HANDED_OVER = "transferred_out"
"""The outcome of a visit that another routing domain took before it was answered."""
DEFAULT_SL_S, DEFAULT_SHORT_S = 20.0, 5.0  # QueueSpec's defaults, for undefined queues


@dataclass(frozen=True, slots=True)
class Visit:
    """One visit of a contact to a queue (a transfer starts another, ``leg`` + 1).

    Times are instants in seconds; durations in seconds. ``outcome``: ``answered``,
    ``abandoned`` or ``waiting`` (still waiting when the log was read). ``wait_s`` runs to
    the answer, the abandon or the end of the log. ``handled`` is true once the agent was
    released (after wrap-up, or on transferring the contact on); talk excludes hold.
    """

    contact_id: str
    leg: int
    queue_id: str
    site_id: str | None
    channel: str
    value_tier: int
    customer_id: str | None
    queued_at: float
    predicted_wait_s: float | None
    sl_threshold_s: float
    short_abandon_s: float
    outcome: str
    wait_s: float
    answered_at: float | None
    agent_id: str | None
    ended_at: float | None
    handled: bool
    talk_s: float
    hold_s: float
    wrapup_s: float
    disposition: str | None
    transferred_out: bool
    callback: bool
    overflowed: bool


class Accrual(Protocol):
    """Where agent time goes: :class:`~kefu.analytics.buckets.Buckets` (a report's
    buckets) or fixed slots (the stored projection). ``edges[0]``: where time starts."""

    @property
    def edges(self) -> tuple[float, ...]: ...

    def accrue(self, bins: dict[int, float], t0: float, t1: float) -> None:
        """Add the seconds of [t0, t1) to ``bins`` by bucket index."""
        ...


class _Open:
    """A visit in progress."""

    __slots__ = (
        "agent_id",
        "answered_at",
        "callback",
        "completed_at",
        "disposition",
        "hold_s",
        "hold_since",
        "leg",
        "overflowed",
        "predicted",
        "queue_id",
        "queued",
        "queued_at",
    )

    def __init__(self, queued: ev.ContactQueued, queue_id: str, leg: int, at: float) -> None:
        self.queued = queued  # the first leg's event: channel, tier, customer
        self.queue_id = queue_id
        self.leg = leg
        self.predicted = queued.estimated_wait_s if leg == 0 else None
        self.answered_at: float | None = None
        self.agent_id: str | None = None
        self.completed_at: float | None = None
        self.disposition: str | None = None
        self.hold_since: float | None = None
        self.hold_s = 0.0
        self.callback = self.overflowed = False
        self.queued_at = at


class _Agent:
    __slots__ = ("active", "key", "offered", "presence", "since")

    def __init__(self, key: tuple[str, ...], at: float) -> None:
        self.key = key
        self.presence = "offline"
        self.offered = 0
        self.active = 0
        self.since = at


class VisitLog:
    """Folds events into visits (given to ``sink`` as each ends) and agent seconds per
    bucket of ``buckets``, keyed by ``agent_key(agent_id, site_id)``."""

    def __init__(
        self,
        sink: Callable[[Visit], None],
        buckets: Accrual,
        agent_key: Callable[[str, str | None], tuple[str, ...]] = lambda _a, _s: (),
    ) -> None:
        self.sink = sink
        self.buckets = buckets
        self.agent_key = agent_key
        self.last = buckets.edges[0]
        self._queues: dict[str, tuple[float, float, str | None]] = {}
        self._open: dict[str, _Open] = {}
        # open_since is read after every batch the report projection folds: it must not
        # scan every waiting contact.
        self._oldest: OldestFirst[_Open] = OldestFirst()
        self._agents: dict[str, _Agent] = {}
        # agent key → seconds (handling, idle, logged in) per bucket index
        self._time: dict[tuple[str, ...], tuple[dict[int, float], ...]] = {}
        self._handlers = event_handlers(self)

    def consume_all(self, events: Iterable[ev.Event]) -> None:
        """Take events in log order."""
        get = self._handlers.get
        event = None
        for event in events:
            handler = get(type(event))
            if handler is not None:
                handler(event)
        if event is not None and event.at > self.last:
            self.last = event.at

    def agent_seconds(self) -> dict[tuple[str, ...], tuple[dict[int, float], ...]]:
        """Per agent key, (handling, idle, logged in) seconds per bucket index."""
        return self._time

    def finish(self, at: float | None = None) -> None:
        """Close the log at ``at`` (default: its last event): visits still open go to
        the sink as they stand (waiting, or answered but not yet released) and agent
        time is counted up to ``at``."""
        now = self.last if at is None else max(at, self.last)
        for agent in self._agents.values():
            self._touch(agent, now)
        for contact_id, visit in list(self._open.items()):
            self._emit(contact_id, visit, now, ended=False)
        self._open.clear()
        self._oldest = OldestFirst()

    def touch_all(self, at: float) -> None:
        """Count every agent's time up to ``at`` (seconds), so that the buckets before
        ``at`` are final."""
        for agent in self._agents.values():
            self._touch(agent, at)

    def open_since(self) -> float | None:
        """The instant (seconds) the oldest visit still open entered its queue."""
        return self._oldest.oldest(self._open)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if "_oldest" not in state:  # a snapshot from before it was kept
            self._oldest = OldestFirst.of({c: (v.queued_at, v) for c, v in self._open.items()})

    def _enter(self, contact_id: str, visit: _Open) -> None:
        """``visit`` of the contact opens (queued, or queued again by a transfer)."""
        self._open[contact_id] = visit
        self._oldest.push(visit.queued_at, contact_id, visit, self._open)

    def add_seconds(
        self, key: tuple[str, ...], k: int, handling: float, idle: float, staffed: float
    ) -> None:
        """Add agent seconds counted elsewhere (a stored projection) to bucket ``k``."""
        time = self._time.get(key)
        if time is None:
            time = self._time[key] = ({}, {}, {})
        for part, value in zip(time, (handling, idle, staffed), strict=True):
            if value:
                part[k] = part.get(k, 0.0) + value

    # -- agents ------------------------------------------------------------------------
    def _touch(self, agent: _Agent, at: float) -> None:
        since = agent.since
        if at > since and agent.presence != "offline":
            time = self._time.get(agent.key)
            if time is None:
                time = self._time[agent.key] = ({}, {}, {})
            accrue = self.buckets.accrue
            accrue(time[2], since, at)
            if agent.active > 0:
                accrue(time[0], since, at)
            elif agent.presence == "ready" and agent.offered <= 0:
                accrue(time[1], since, at)
        agent.since = max(at, since)

    def _agent(self, agent_id: str, at: float) -> _Agent | None:
        agent = self._agents.get(agent_id)
        if agent is not None:
            self._touch(agent, at)
        return agent

    def _queue_defined(self, e: ev.QueueDefined) -> None:
        s = e.spec
        self._queues[s.queue_id] = (s.sl_threshold_s, s.short_abandon_s, s.site_id)

    def _agent_defined(self, e: ev.AgentDefined) -> None:
        s = e.spec
        agent = self._agents.get(s.agent_id)
        key = self.agent_key(s.agent_id, s.site_id)
        if agent is None:
            self._agents[s.agent_id] = _Agent(key, e.at)
        else:
            self._touch(agent, e.at)
            agent.key = key

    def _agent_state(self, e: ev.AgentStateChanged) -> None:
        agent = self._agent(e.agent_id, e.at)
        if agent is not None:
            agent.presence = e.presence

    def _offer_created(self, e: ev.OfferCreated) -> None:
        agent = self._agent(e.agent_id, e.at)
        if agent is not None:
            agent.offered += 1

    def _offer_returned(self, e: ev.OfferRejected | ev.OfferTimedOut | ev.OfferWithdrawn) -> None:
        agent = self._agent(e.agent_id, e.at)
        if agent is not None:
            agent.offered = max(agent.offered - 1, 0)

    # -- contacts ----------------------------------------------------------------------
    def _queued(self, e: ev.ContactQueued) -> None:
        self._enter(e.contact_id, _Open(e, e.queue_id, 0, e.at))

    def _overflowed(self, e: ev.ContactOverflowed) -> None:
        visit = self._open.get(e.contact_id)
        if visit is not None and e.queue_id != visit.queue_id:
            visit.overflowed = True

    def _accepted(self, e: ev.OfferAccepted) -> None:
        agent = self._agent(e.agent_id, e.at)
        if agent is not None:
            agent.offered = max(agent.offered - 1, 0)
            agent.active += 1
        visit = self._open.get(e.contact_id)
        if visit is not None:
            visit.answered_at = e.at
            visit.agent_id = e.agent_id

    def _abandoned(self, e: ev.ContactAbandoned) -> None:
        visit = self._open.pop(e.contact_id, None)
        if visit is not None:
            self._emit(e.contact_id, visit, e.at, ended=True)

    def _callback(self, e: ev.CallbackRequested) -> None:
        visit = self._open.get(e.contact_id)
        if visit is not None:
            visit.callback = True

    def _held(self, e: ev.ContactHeld) -> None:
        visit = self._open.get(e.contact_id)
        if visit is not None and visit.hold_since is None:
            visit.hold_since = e.at

    def _resumed(self, e: ev.ContactResumed | ev.ContactCompleted) -> None:
        visit = self._open.get(e.contact_id)
        if visit is not None and visit.hold_since is not None:
            visit.hold_s += e.at - visit.hold_since
            visit.hold_since = None

    def _completed(self, e: ev.ContactCompleted) -> None:
        self._resumed(e)
        visit = self._open.get(e.contact_id)
        if visit is not None:
            visit.completed_at = e.at
            visit.disposition = e.disposition

    def _release(self, agent_id: str, at: float) -> None:
        agent = self._agent(agent_id, at)
        if agent is not None:
            agent.active = max(agent.active - 1, 0)

    def _transferred(self, e: ev.ContactTransferred) -> None:
        self._release(e.from_agent_id, e.at)
        visit = self._open.pop(e.contact_id, None)
        if visit is None:
            return
        if visit.hold_since is not None:  # transferred from hold
            visit.hold_s += e.at - visit.hold_since
            visit.hold_since = None
        visit.completed_at = e.at
        self._emit(e.contact_id, visit, e.at, ended=True, transferred=True)
        queue_id = e.to_queue_id if e.to_queue_id is not None else visit.queue_id
        self._enter(e.contact_id, _Open(visit.queued, queue_id, visit.leg + 1, e.at))

    def _transferred_out(self, e: ev.ContactTransferredOut) -> None:
        if e.from_agent_id is not None:
            self._release(e.from_agent_id, e.at)
        visit = self._open.pop(e.contact_id, None)
        if visit is None:
            return
        if visit.hold_since is not None:
            visit.hold_s += e.at - visit.hold_since
            visit.hold_since = None
        if visit.answered_at is not None:
            visit.completed_at = e.at
        self._emit(e.contact_id, visit, e.at, ended=True, transferred=True, left=True)

    def _wrapup_ended(self, e: ev.WrapupEnded) -> None:
        self._release(e.agent_id, e.at)
        visit = self._open.pop(e.contact_id, None)
        if visit is not None:
            self._emit(e.contact_id, visit, e.at, ended=True)

    def _emit(
        self,
        contact_id: str,
        v: _Open,
        at: float,
        *,
        ended: bool,
        transferred: bool = False,
        left: bool = False,
    ) -> None:
        sl_s, short_s, site = self._queues.get(v.queue_id, (DEFAULT_SL_S, DEFAULT_SHORT_S, None))
        q = v.queued
        answered = v.answered_at
        talk = hold = wrap = 0.0
        handled = ended and answered is not None
        if answered is not None:
            outcome, wait = ANSWERED, answered - v.queued_at
            if handled:
                completed = at if v.completed_at is None else v.completed_at
                hold = v.hold_s
                talk = completed - answered - hold
                wrap = at - completed
        elif ended:
            outcome, wait = HANDED_OVER if left else ABANDONED, at - v.queued_at
        else:
            outcome, wait = WAITING, at - v.queued_at
        self.sink(
            Visit(
                contact_id=contact_id,
                leg=v.leg,
                queue_id=v.queue_id,
                site_id=site,
                channel=q.channel,
                value_tier=customer_tier(q.value_tier, q.attributes),
                customer_id=q.customer_id,
                queued_at=v.queued_at,
                predicted_wait_s=v.predicted,
                sl_threshold_s=sl_s,
                short_abandon_s=short_s,
                outcome=outcome,
                wait_s=wait,
                answered_at=answered,
                agent_id=v.agent_id,
                ended_at=at if ended else None,
                handled=handled,
                talk_s=talk,
                hold_s=hold,
                wrapup_s=wrap,
                disposition=v.disposition,
                transferred_out=transferred,
                callback=v.callback,
                overflowed=v.overflowed,
            )
        )
