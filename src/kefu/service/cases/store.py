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
from kefu.domain.cases import (
    Case,
    CaseBook,
    CaseState,
    CaseType,
    SlaClock,
    SlaDecision,
    SlaPolicy,
    clock_status,
    evaluate,
)
from kefu.domain.cases import events as cev
from kefu.domain.routing import Router
from kefu.service.cases.commands import CaseSlaDue
from kefu.service.cases.list_index import INF, CaseListIndex
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
        self.rank: dict[str, int] = {}
        """Case id → its opening order (0, 1, ...)."""
        self.index = CaseListIndex()
        """Postings and columns by rank (site, customer, owner, state, type, title), and
        the resolution clocks."""

    # -- changes ------------------------------------------------------------------------
    def set_types(self, types: Iterable[CaseType], policy: SlaPolicy, now: float | None) -> None:
        """New case types and SLA policy (an admin changed them); with ``now`` (s), the
        cases' SLA timers are armed again on the new targets."""
        self.types = tuple(types)
        self.policy = policy
        self.book.types = {t.type_id: t for t in self.types}
        self.index.forget_clocks()
        if now is not None:
            self.rearm_all(now)

    def rearm_all(self, now: float, site_id: str | None = None) -> None:
        """Re-arm the SLA timers of every case not done (of ``site_id`` if given) at ``now``
        (s): their targets or calendar changed."""
        self.index.forget_clocks()
        done = (CaseState.RESOLVED, CaseState.CLOSED)
        for case in list(self.book.cases.values()):
            if case.state not in done and site_id in (None, case.site_id):
                self._due.pop(case.case_id, None)
                self.rearm(case.case_id, now)

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

    def resolution_due(self, case: Case) -> tuple[float | None, float | None]:
        """The resolution clock's deadline and the instant it stopped (``None`` while it
        runs), kept by the list index until the case changes: neither depends on the hour
        it is read (a case's clocks are costly to compute, and lists show many)."""
        rank = self.rank.get(case.case_id)
        if rank is None:
            return self.compute_due(case.case_id)
        due, stopped = self.index.clock(rank, self.compute_due)
        return (None if due == INF else due), (None if stopped == INF else stopped)

    def compute_due(self, case_id: str) -> tuple[float | None, float | None]:
        """The resolution clock's deadline and stop instant of the case, computed now
        (uncached: see :meth:`resolution_due`)."""
        case = self.book.case(case_id)
        targets = self.policy.targets_for(case.case_type, case.value_tier)
        if targets is None:
            return None, None
        status = clock_status(
            case,
            self.calendar_of(case.site_id),
            SlaClock.RESOLUTION,
            targets.resolution_s,
            case.updated_at,
        )
        return status.due_at, status.stopped_at

    def rearm(self, case_id: str, now: float) -> None:
        case = self.book.cases.get(case_id)
        due: float | None = None
        # Resolved and closed cases have stopped clocks: no step can fall due (and the
        # clocks of the many done cases are not computed at every restart).
        if case is not None and case.state not in (CaseState.RESOLVED, CaseState.CLOSED):
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

    def cases_of(self, customer_ids: Iterable[str]) -> list[str]:
        """The ids of the cases recorded with any of ``customer_ids``, oldest first."""
        index = self.index
        _, postings = index.customer.wanted(customer_ids)
        return [index.ids[rank] for rank in sorted(r for p in postings for r in p)]

    def entry(self, rank: int) -> str:
        """The searchable text of the case of ``rank``: its case-folded title and
        customer id, apart (see :class:`~kefu.service.cases.list_index.TextWindow`)."""
        case = self.book.cases[self.index.ids[rank]]
        return f"{case.title.casefold()}\0{(case.customer_id or '').casefold()}"

    def floor(self, case_id: str) -> float:
        """An instant the case's resolution deadline cannot precede (s; ``inf``: it has
        none): its opening plus the target, as business time runs no faster than time."""
        case = self.book.cases[case_id]
        targets = self.policy.targets_for(case.case_type, case.value_tier)
        if targets is None:
            return INF
        floor = case.opened_at + targets.resolution_s
        # A clock that stopped is read against its stop, which is no later than the last
        # change: the bound tells nothing if that change is past it.
        return floor if floor >= case.updated_at else -INF

    def _index(self, event: cev.CaseEvent) -> None:
        index = self.index
        if isinstance(event, cev.CaseOpened):
            self.rank[event.case_id] = index.opened(
                event.case_id, event.site_id, event.customer_id,
                state=CaseState.NEW.value, case_type=event.case_type, owner_id=event.owner_id,
            )  # fmt: skip
            return
        rank = self.rank.get(event.case_id)
        if rank is None:
            return
        index.changed(rank)
        if isinstance(event, cev.CaseAssigned):
            index.owner.move(rank, event.owner_id)
        elif isinstance(event, cev.CaseStateChanged):
            index.state.move(rank, event.to_state)
        elif isinstance(event, cev.CaseClassified):
            index.kind.move(rank, event.case_type)
        elif isinstance(event, cev.CaseLinked) and event.kind == "work_item":
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
        self.work_items, self.rank = {}, {}
        self.index = CaseListIndex()
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
