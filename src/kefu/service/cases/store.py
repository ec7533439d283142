"""The cases of the center as a part of the engine's transaction, with their SLA timers.

Every case event (:mod:`kefu.domain.cases.events`) is stored as a record of the ``case``
stream of the channel log (:meth:`~kefu.service.channels.state.ChannelState.log`, one
``seq`` with conversations and customers), in the transaction of the command that made it.
Loading replays them into a :class:`~kefu.domain.cases.CaseBook`, so a restart restores
every case, its notes, links, escalations and clocks.

The SLA clocks run on the engine's scheduler: for each case not closed the part keeps the
instant its next escalation step falls due (:func:`kefu.domain.cases.evaluate` on the site's
business calendar), and :meth:`due` returns a :class:`~kefu.service.cases.commands.CaseSlaDue`
for it. Times are seconds.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Callable, Iterable
from typing import Any

from kefu.domain.calendar import BusinessCalendar
from kefu.domain.cases import CaseBook, CaseState, CaseType, SlaDecision, SlaPolicy, evaluate
from kefu.domain.cases import events as cev
from kefu.domain.routing import Router
from kefu.service.cases.commands import CaseSlaDue
from kefu.service.channels.ports import ChannelRecord
from kefu.service.ports import UnitOfWork

__all__ = ["STREAM", "CaseStore"]

log = logging.getLogger(__name__)
STREAM = "case"
Log = Callable[[float, str, str, str, dict[str, Any]], None]
CalendarOf = Callable[[str], BusinessCalendar]


class CaseStore:
    """The case book, logged through ``log`` (the channel state's); ``calendar_of`` gives a
    site's business calendar, ``policy`` the SLA targets and escalation steps."""

    def __init__(
        self,
        log_record: Log,
        types: Iterable[CaseType],
        policy: SlaPolicy,
        calendar_of: CalendarOf,
    ) -> None:
        self._log = log_record
        self.types = tuple(types)
        self.policy = policy
        self.calendar_of = calendar_of
        self.book = CaseBook(self.types)
        self._logged = 0
        self._due: dict[str, float] = {}
        # (due, case id) of every timer armed; an entry whose case has another due since
        # (or none) is stale and skipped.
        self._timers: list[tuple[float, str]] = []
        self.work_items: dict[str, str] = {}
        """Work-item contact id → its case id."""

    # -- changes ------------------------------------------------------------------------
    def sync(self, now: float) -> None:
        """Log the book's events made since the last call and re-arm the touched cases'
        SLA timers at ``now`` (s). Called by every handler, also when it failed half-way,
        so memory and log never disagree."""
        new = self.book.log[self._logged :]
        self._logged = len(self.book.log)
        touched: dict[str, None] = {}
        for event in new:
            data = cev.case_event_to_dict(event)
            self._log(event.at, STREAM, data["type"], event.case_id, data)
            self._index(event)
            touched[event.case_id] = None
        for case_id in touched:
            self.rearm(case_id, now)

    def decision(self, case_id: str, now: float) -> SlaDecision:
        """The SLA decision of the case at ``now`` on its site's calendar."""
        case = self.book.case(case_id)
        return evaluate(case, self.calendar_of(case.site_id), self.policy, now)

    def rearm(self, case_id: str, now: float) -> None:
        case = self.book.cases.get(case_id)
        due: float | None = None
        if case is not None and case.state is not CaseState.CLOSED:
            decision = self.decision(case_id, now)
            due = now if decision.actions else decision.next_due
        if due is None:
            self._due.pop(case_id, None)
            return
        if self._due.get(case_id) != due:
            self._due[case_id] = due
            heapq.heappush(self._timers, (due, case_id))

    def disarm(self, case_id: str) -> None:
        """No SLA timer for the case until it changes again."""
        self._due.pop(case_id, None)

    def _index(self, event: cev.CaseEvent) -> None:
        if isinstance(event, cev.CaseLinked) and event.kind == "work_item":
            self.work_items[event.target_id] = event.case_id

    # -- the state part -----------------------------------------------------------------
    def fetch(self, uow: UnitOfWork) -> list[ChannelRecord]:
        return [r for r in uow.channels.read() if r.stream == STREAM]

    def load(self, records: Iterable[ChannelRecord]) -> None:
        """Rebuild the book from its records (timers are armed by :meth:`reconcile`)."""
        events = [cev.case_event_from_dict(r.data) for r in records]
        self.book = CaseBook.replay(self.types, events)
        self.book.log = list(events)
        self._logged = len(events)
        self.work_items = {}
        for event in events:
            self._index(event)
        self._due, self._timers = {}, []

    def reconcile(self, router: Router, now: float) -> None:
        del router
        for case_id in self.book.cases:
            self.rearm(case_id, now)

    def take_writes(self) -> list[Callable[[UnitOfWork], None]]:
        return []  # the records go with the channel log's (one seq orders both)

    # -- timers -------------------------------------------------------------------------
    def next_due(self) -> float | None:
        timers = self._timers
        while timers and self._due.get(timers[0][1]) != timers[0][0]:
            heapq.heappop(timers)
        return timers[0][0] if timers else None

    def due(self, now: float) -> list[Any]:
        out: list[Any] = []
        timers = self._timers
        while timers and timers[0][0] <= now:
            due, case_id = heapq.heappop(timers)
            if self._due.get(case_id) == due:
                del self._due[case_id]
                out.append(CaseSlaDue(case_id))
        return out
