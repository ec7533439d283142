"""KPIs computed from the routing event log, the same way live and in simulation.

:class:`KpiAccumulator` reads events only (``consume`` them one by one or in batches, in log
order) and never looks at a router. Contact figures are attributed to the interval in
which the queue visit started, so SL(T) of an interval has a consistent numerator and
denominator; queue lengths and agent occupancy are time-weighted over each interval.
Definitions: :mod:`kefu.analytics.records`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import pairwise
from typing import Any

from kefu.analytics.records import DEFAULT_WAIT_BINS_S, IntervalKpi, KpiReport
from kefu.analytics.report_build import build_intervals, build_report
from kefu.analytics.tallies import QueueTallies, Tally, event_handlers
from kefu.analytics.timeline import AgentTime, Level, Window
from kefu.domain import events as ev
from kefu.domain.routing.log import LogEntry, event_of, field_index

__all__ = ["KpiAccumulator"]

INF = math.inf
# Fields of a visit list: [queue, tally or None, entered_at, predicted wait, answered_at,
# hold started at (None when not on hold), hold seconds so far, completed at].
_Q, _TALLY, _ENTERED, _PREDICTED, _ANSWERED = 0, 1, 2, 3, 4
_HOLD_SINCE, _HOLD_SUM, _COMPLETED = 5, 6, 7
# Where :meth:`KpiAccumulator.consume_records` finds the fields it reads in the router's
# compact records (kefu.domain.routing.log), by the events' field order.
_QUEUED, _OFFERED, _ACCEPTED = ev.ContactQueued, ev.OfferCreated, ev.OfferAccepted
_COMPLETED_EV, _WRAPPED = ev.ContactCompleted, ev.WrapupEnded
_Q_CONTACT = field_index(_QUEUED, "contact_id")
_Q_QUEUE = field_index(_QUEUED, "queue_id")
_Q_PREDICTED = field_index(_QUEUED, "estimated_wait_s")
_O_AGENT = field_index(_OFFERED, "agent_id")
_A_CONTACT = field_index(_ACCEPTED, "contact_id")
_A_AGENT = field_index(_ACCEPTED, "agent_id")
_C_CONTACT = field_index(_COMPLETED_EV, "contact_id")
_W_CONTACT = field_index(_WRAPPED, "contact_id")
_W_AGENT = field_index(_WRAPPED, "agent_id")


class KpiAccumulator:
    """Consumes routing events and reports KPIs over the window [start, end) seconds.

    ``interval_s``: length of the reporting intervals (seconds, counted from instant 0).
    Contacts that started a queue visit outside the window are followed (they still make
    up queue lengths) but not counted. ``agent_groups`` maps an agent id to its group for
    occupancy (default: the agent's ``site_id``, else ``"all"``). ``wait_bins_s``: left
    edges of the wait histogram bins.
    """

    def __init__(
        self,
        interval_s: float = 900.0,
        *,
        start: float = 0.0,
        end: float | None = None,
        agent_groups: Mapping[str, str] | Callable[[str], str] | None = None,
        wait_bins_s: Sequence[float] = DEFAULT_WAIT_BINS_S,
    ) -> None:
        if not interval_s > 0 or math.isinf(interval_s):
            raise ValueError(f"interval_s must be a positive number of seconds, not {interval_s}")
        if end is not None and not end > start:
            raise ValueError(f"the window end ({end} s) must be after its start ({start} s)")
        bins = tuple(float(b) for b in wait_bins_s)
        if not bins or bins[0] != 0.0 or any(b >= c for b, c in pairwise(bins)):
            raise ValueError("wait_bins_s must start at 0 and increase strictly")
        self.interval_s = float(interval_s)
        self.start = float(start)
        self.end = INF if end is None else float(end)
        self.wait_bins_s = bins
        self._group_of = agent_groups
        self._window = Window(self.start, self.end, self.interval_s)
        self._queues: dict[str, QueueTallies] = {}
        self._total = Level(self._window)
        self._agents: dict[str, AgentTime] = {}
        self._handling: dict[str, dict[int, float]] = {}
        self._idle: dict[str, dict[int, float]] = {}
        self._visits: dict[str, list[Any]] = {}
        self._pending: list[Tally] = []  # tallies of the contacts waiting at the last settle
        self._last = -INF
        self._handlers = event_handlers(self)

    # -- input -------------------------------------------------------------------------
    @property
    def queues(self) -> Mapping[str, QueueTallies]:
        """Each queue's tallies (read by the report builder)."""
        return self._queues

    @property
    def total(self) -> Level:
        """The total queue length over time."""
        return self._total

    @property
    def handling(self) -> Mapping[str, dict[int, float]]:
        """Seconds each group spent handling contacts, per interval index."""
        return self._handling

    @property
    def idle(self) -> Mapping[str, dict[int, float]]:
        """Seconds each group spent ready and idle, per interval index."""
        return self._idle

    def consume(self, event: ev.Event) -> None:
        """Take one event (events must come in log order)."""
        handler = self._handlers.get(type(event))
        if event.at > self._last:
            self._last = event.at
        if handler is not None:
            handler(event)

    def consume_all(self, events: Iterable[ev.Event]) -> None:
        """Take a batch of events in log order."""
        get = self._handlers.get
        event = None
        for event in events:
            handler = get(type(event))
            if handler is not None:
                handler(event)
        if event is not None and event.at > self._last:
            self._last = event.at

    def consume_records(self, entries: Iterable[LogEntry]) -> None:
        """:meth:`consume_all` of a router's log entries (``Router.drain_records``): the
        hot events' compact records are read without building the events."""
        # Handlers are called on self, not kept as bound methods in locals: compiled, that
        # is a direct C call instead of one through Python's calling convention.
        get = self._handlers.get
        agents = self._agents
        at = self._last
        for entry in entries:
            if isinstance(entry, tuple):
                kind = entry[0]
                at = entry[1]
                if kind is _OFFERED:  # _offer_created, inline: one a contact
                    agent = agents[entry[_O_AGENT]]
                    agent.offered += 1
                    agent.touch(at)
                elif kind is _QUEUED:
                    self._queued_f(at, entry[_Q_CONTACT], entry[_Q_QUEUE], entry[_Q_PREDICTED])
                elif kind is _ACCEPTED:
                    self._accepted_f(at, entry[_A_CONTACT], entry[_A_AGENT])
                elif kind is _COMPLETED_EV:
                    self._completed_f(at, entry[_C_CONTACT])
                elif kind is _WRAPPED:
                    self._wrapup_ended_f(at, entry[_W_CONTACT], entry[_W_AGENT])
                else:
                    event = event_of(entry)
                    handler = get(type(event))
                    if handler is not None:
                        handler(event)
            else:
                at = entry.at
                handler = get(type(entry))
                if handler is not None:
                    handler(entry)
        if at > self._last:
            self._last = at

    def _tally(self, queue: QueueTallies, at: float) -> Tally | None:
        if not self.start <= at < self.end:
            return None
        k = int(at // self.interval_s)
        tally = queue.tallies.get(k)
        if tally is None:
            tally = queue.tallies[k] = Tally(len(self.wait_bins_s))
        return tally

    # -- handlers ----------------------------------------------------------------------
    def _queue_defined(self, e: ev.QueueDefined) -> None:
        spec = e.spec
        queue = self._queues.get(spec.queue_id)
        if queue is None:
            self._queues[spec.queue_id] = QueueTallies(
                spec.queue_id, spec.sl_threshold_s, spec.short_abandon_s, self._window
            )
        else:
            queue.sl_s, queue.short_s = spec.sl_threshold_s, spec.short_abandon_s

    def _agent_defined(self, e: ev.AgentDefined) -> None:
        agent_id = e.spec.agent_id
        if agent_id in self._agents:
            return
        groups = self._group_of
        if groups is None:
            group = e.spec.site_id or "all"
        elif callable(groups):
            group = groups(agent_id)
        else:
            group = groups.get(agent_id, e.spec.site_id or "all")
        self._agents[agent_id] = AgentTime(
            self._window,
            e.at,
            self._handling.setdefault(group, {}),
            self._idle.setdefault(group, {}),
        )

    def _agent_state(self, e: ev.AgentStateChanged) -> None:
        agent = self._agents[e.agent_id]
        agent.ready = e.presence == "ready"
        agent.touch(e.at)

    def _queued(self, e: ev.ContactQueued) -> None:
        self._queued_f(e.at, e.contact_id, e.queue_id, e.estimated_wait_s)

    def _queued_f(self, at: float, contact_id: str, queue_id: str, predicted: float | None) -> None:
        queue = self._queues[queue_id]
        tally = None
        if self.start <= at < self.end:  # self._tally(queue, at), inline: hot
            k = int(at // self.interval_s)
            tally = queue.tallies.get(k)
            if tally is None:
                tally = queue.tallies[k] = Tally(len(self.wait_bins_s))
            tally.offered += 1
        self._visits[contact_id] = [queue, tally, at, predicted, None, None, 0.0, None]
        queue.level.change(at, 1)
        self._total.change(at, 1)

    def _overflowed(self, e: ev.ContactOverflowed) -> None:
        visit = self._visits.get(e.contact_id)
        if visit is not None and visit[_TALLY] is not None and e.queue_id != visit[_Q].name:
            visit[_TALLY].overflowed += 1

    def _offer_created(self, e: ev.OfferCreated) -> None:
        agent = self._agents[e.agent_id]
        agent.offered += 1
        agent.touch(e.at)

    def _offer_returned(self, e: ev.OfferRejected | ev.OfferTimedOut | ev.OfferWithdrawn) -> None:
        agent = self._agents[e.agent_id]
        agent.offered -= 1
        agent.touch(e.at)

    def _accepted(self, e: ev.OfferAccepted) -> None:
        self._accepted_f(e.at, e.contact_id, e.agent_id)

    def _accepted_f(self, at: float, contact_id: str, agent_id: str) -> None:
        agent = self._agents[agent_id]
        agent.offered -= 1
        agent.active += 1
        agent.touch(at)
        visit = self._visits[contact_id]
        queue = visit[_Q]
        visit[_ANSWERED] = at
        wait = at - visit[_ENTERED]
        tally = visit[_TALLY]
        if tally is not None:
            tally.answer(wait, queue.sl_s, self.wait_bins_s, visit[_PREDICTED])
        queue.level.change(at, -1)
        self._total.change(at, -1)

    def _abandoned(self, e: ev.ContactAbandoned) -> None:
        visit = self._visits.pop(e.contact_id)
        queue = visit[_Q]
        at = e.at
        wait = at - visit[_ENTERED]
        tally = visit[_TALLY]
        if tally is not None:
            tally.abandon(wait, queue.short_s, self.wait_bins_s)
        queue.level.change(at, -1)
        self._total.change(at, -1)

    def _callback(self, e: ev.CallbackRequested) -> None:
        visit = self._visits.get(e.contact_id)
        if visit is not None and visit[_TALLY] is not None:
            visit[_TALLY].callbacks += 1

    def _held(self, e: ev.ContactHeld) -> None:
        visit = self._visits.get(e.contact_id)
        if visit is not None and visit[_HOLD_SINCE] is None:
            visit[_HOLD_SINCE] = e.at

    def _resumed(self, e: ev.ContactResumed) -> None:
        visit = self._visits.get(e.contact_id)
        if visit is not None and visit[_HOLD_SINCE] is not None:
            visit[_HOLD_SUM] += e.at - visit[_HOLD_SINCE]
            visit[_HOLD_SINCE] = None

    def _completed(self, e: ev.ContactCompleted) -> None:
        self._completed_f(e.at, e.contact_id)

    def _completed_f(self, at: float, contact_id: str) -> None:
        visit = self._visits.get(contact_id)
        if visit is not None:
            if visit[_HOLD_SINCE] is not None:  # completed while on hold
                visit[_HOLD_SUM] += at - visit[_HOLD_SINCE]
                visit[_HOLD_SINCE] = None
            visit[_COMPLETED] = at

    def _end_handling(self, visit: list[Any], agent_id: str, at: float) -> None:
        agent = self._agents[agent_id]
        agent.active -= 1
        agent.touch(at)
        tally = visit[_TALLY]
        answered = visit[_ANSWERED]
        if tally is not None and answered is not None:
            if visit[_HOLD_SINCE] is not None:  # transferred while on hold
                visit[_HOLD_SUM] += at - visit[_HOLD_SINCE]
                visit[_HOLD_SINCE] = None
            completed = at if visit[_COMPLETED] is None else visit[_COMPLETED]
            hold = visit[_HOLD_SUM]
            tally.handle(completed - answered - hold, hold, at - completed)

    def _transferred(self, e: ev.ContactTransferred) -> None:
        at = e.at
        visit = self._visits[e.contact_id]
        self._end_handling(visit, e.from_agent_id, at)
        if visit[_TALLY] is not None:
            visit[_TALLY].transferred_out += 1
        queue = self._queues[e.to_queue_id] if e.to_queue_id is not None else visit[_Q]
        tally = self._tally(queue, at)
        if tally is not None:
            tally.offered += 1
        self._visits[e.contact_id] = [queue, tally, at, None, None, None, 0.0, None]
        queue.level.change(at, 1)
        self._total.change(at, 1)

    def _transferred_out(self, e: ev.ContactTransferredOut) -> None:
        """Handed to another routing domain: counted as a transfer out of its queue, and
        no longer waiting here (or no longer served)."""
        visit = self._visits.pop(e.contact_id, None)
        if visit is None:
            return
        if e.from_agent_id is not None:
            self._end_handling(visit, e.from_agent_id, e.at)
        if visit[_TALLY] is not None:
            visit[_TALLY].transferred_out += 1
        if visit[_ANSWERED] is None:
            visit[_Q].level.change(e.at, -1)
            self._total.change(e.at, -1)

    def _wrapup_ended(self, e: ev.WrapupEnded) -> None:
        self._wrapup_ended_f(e.at, e.contact_id, e.agent_id)

    def _wrapup_ended_f(self, at: float, contact_id: str, agent_id: str) -> None:
        visit = self._visits.pop(contact_id, None)
        if visit is not None:
            self._end_handling(visit, agent_id, at)

    # -- output ------------------------------------------------------------------------
    def result(self, at: float | None = None) -> KpiReport:
        """The KPIs so far; open agent and queue-length time is counted up to ``at``
        (default: the last event's instant). Contacts still waiting count in
        ``waiting_at_end``, their wait so far in ``longest_wait_s``, and those waiting no
        longer than the queue's SL threshold in ``waiting_within_sl`` (not yet in SL's base)."""
        now, waiting = self._settle(at)
        return build_report(self, now, waiting)

    def recent_intervals(self, since: float, at: float | None = None) -> tuple[IntervalKpi, ...]:
        """The records of the intervals that end after ``since`` (seconds), as
        :meth:`result` gives them for the same ``at``, without building the others (a
        chart of the last hour need not pay for the whole day)."""
        now, _ = self._settle(at)
        stop = min(self.end, now)
        lo = max(since, self.start)
        if stop <= lo:
            return ()
        size = self.interval_s
        ks = range(int(lo // size), math.ceil(stop / size))
        return tuple(i for i in build_intervals(self, ks, stop) if i.end_s > since)

    def _settle(self, at: float | None) -> tuple[float, int]:
        """Count open time up to ``at`` (default: the last event); (that instant, contacts
        waiting)."""
        now = self._last if at is None else float(at)
        if now == -INF:
            now = self.start
        for agent in self._agents.values():
            agent.flush(now)
        for queue in self._queues.values():
            queue.level.flush(now)
        self._total.flush(now)
        # Contacts waiting or ringing no longer than T have no SL outcome yet: recounted
        # for each ``now``, so the counts of the previous call are cleared first.
        for tally in self._pending:
            tally.waiting_within_sl = 0
        pending: list[Tally] = []
        waiting = 0
        for visit in self._visits.values():
            if visit[_ANSWERED] is None:
                waiting += 1
                # A name of its own: the loop above typed ``tally`` as a Tally, and the
                # compiled build checks that type on assignment (a visit's may be None).
                counted: Tally | None = visit[_TALLY]
                if counted is not None:
                    counted.still_waiting(now - visit[_ENTERED], visit[_Q].sl_s)
                    pending.append(counted)
        self._pending = pending
        return now, waiting
