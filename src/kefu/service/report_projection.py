"""The report projection kept by the store writer: visits and agent slots written in the
transaction of the events they come from.

On a load (start, or after a failed write) the projection is rebuilt in memory from the
stored events: what the stored mark says was written is skipped, the rows a rebuild left
for what was then still open are replaced, and what the log holds beyond the mark is
written (a database upgraded from before the projection gets every row on its first
start). Then each batch's events are folded in by the writer thread, and its ended visits
and final agent slots are stored with the events; visits still open and the current slot
are not stored, so the mark says the projection is complete only up to the oldest of them.

The mark is moved only in a batch that stores rows or moves where the projection is
complete (``complete_until``): a batch with neither (a contact created or accepted) would
otherwise pay one more statement, and on PostgreSQL one more round trip, for a mark that
a load could do without: the events past it end no visit and finish no slot, so folding
them again on a load writes nothing twice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from kefu.analytics.projection import SLOT_S, AgentSlot, VisitProjector
from kefu.analytics.visits import Visit
from kefu.domain import events as ev
from kefu.service.ports import ReportMark, StoredEvent, UnitOfWork

__all__ = ["ReportProjection"]


class ReportProjection:
    """Folds stored events into the report rows (see :mod:`kefu.analytics.projection`)."""

    def __init__(self) -> None:
        self._projector = VisitProjector()
        self._catch_up: tuple[float, ReportMark | None, list[Visit], list[AgentSlot]] | None = None
        self._stored_complete: float | None = None
        """The ``complete_until`` of the last mark staged (read again on each load)."""

    def load(self, stored: Sequence[StoredEvent], mark: ReportMark | None) -> None:
        """Rebuild from the whole log ``stored`` and the stored ``mark``; the rows the
        mark does not cover are written by the next :meth:`write_catch_up`."""
        projector = VisitProjector()
        done = 0 if mark is None else mark.seq
        split = next((i for i, s in enumerate(stored) if s.seq > done), len(stored))
        projector.consume(s.event for s in stored[:split])
        projector.take_visits()  # stored already
        slots_from = -math.inf
        if mark is not None:
            slots_from = math.floor(mark.at / SLOT_S) * SLOT_S
            projector.take_slots(slots_from)  # the final ones are stored already
        projector.consume(s.event for s in stored[split:])
        visits = projector.take_visits()
        slots = projector.take_slots(projector.last_at)
        self._projector = projector
        last = stored[-1].seq if stored else done
        caught_up = self._mark(last)
        self._catch_up = (slots_from, caught_up, visits, slots)
        stored_mark = caught_up or mark
        self._stored_complete = None if stored_mark is None else stored_mark.complete_until

    def write_catch_up(self, uow: UnitOfWork) -> None:
        """Store what :meth:`load` found missing (in the caller's transaction)."""
        if self._catch_up is None:
            return
        slots_from, mark, visits, slots = self._catch_up
        self._catch_up = None
        if mark is None:
            return
        if math.isfinite(slots_from):
            uow.reports.drop_provisional(slots_from)
        uow.reports.add(visits, slots, mark)

    def project(self, uow: UnitOfWork, events: Sequence[ev.Event], seqs: Sequence[int]) -> None:
        """Fold a batch in and stage its rows (in the writer's transaction)."""
        if not seqs:
            return
        projector = self._projector
        projector.consume(events)
        visits = projector.take_visits()
        slots = projector.take_slots(projector.last_at)
        mark = self._mark(seqs[-1])
        if mark is None:
            return
        if visits or slots or mark.complete_until != self._stored_complete:
            uow.reports.add(visits, slots, mark)
            self._stored_complete = mark.complete_until

    def _mark(self, seq: int) -> ReportMark | None:
        if seq <= 0:
            return None
        projector = self._projector
        complete = math.floor(projector.last_at / SLOT_S) * SLOT_S
        oldest = projector.log.open_since()
        if oldest is not None:
            complete = min(complete, oldest)
        return ReportMark(seq, projector.last_at, complete)
