"""The report projection kept by the store writer: visits and agent slots folded with each
batch of events, and stored a moment after them, out of the commit their commands wait on.

On a load (start, or after a failed write) the projection is rebuilt in memory from the
stored events: what the stored mark says was written is skipped, the rows a rebuild left
for what was then still open are replaced, and what the log holds beyond the mark is
written (a database upgraded from before the projection gets every row on its first
start). Then each batch's events are folded in by the writer thread before the batch
commits (:meth:`ReportProjection.project`); its ended visits and final agent slots, with
the mark of the last event folded, are kept until the writer settles
(:meth:`ReportProjection.settle`, see :mod:`kefu.service.writer`): all of them in one
transaction, by then after the events'. Visits still open and the current slot are not
stored, so the mark says the projection is complete only up to the oldest of them.

What holds, so that no row is lost or stored twice:

- The stored mark covers exactly the rows stored: a settle stores every row folded so far
  with the mark of the last event folded, in one transaction. A crash between the
  events' commit and the settle loses rows and mark together; the next load folds the log
  past the stored mark again and writes what it gives (:meth:`write_catch_up`).
- The mark is stored only with rows or a new ``complete_until``: a batch with neither (a
  contact created or accepted) would otherwise cost a settle, and on PostgreSQL a round
  trip, for a mark a load can do without: the events past it end no visit and finish no
  slot, so folding them again on a load writes nothing twice. Past the stored mark there
  are thus, besides such events, only those whose rows are unsettled. The mark is found
  when settling, not with each batch: the oldest open visit is the minimum of all of them.
- What is unsettled belongs to the open visits and slots of the stored mark's time: the
  visits it ends entered a queue at or after its ``complete_until`` and the slots it
  finishes start at or after its slot, so every report the stored mark says is complete is
  complete without them (reports of the last moments read the events meanwhile).
- A router snapshot holds the projection's state (:meth:`dump_settled`, run in the
  writer's transaction of the snapshot's batch): it settles first and stores the mark of
  the dump's position in that transaction, so a start from the snapshot folds only the
  log's tail (:meth:`restore`) and finds every row of the events up to the dump stored
  (the stored mark is at or past the dump), never a visit the dump no longer holds and no
  row has.
"""

from __future__ import annotations

import logging
import math
import pickle
from collections.abc import Sequence

from kefu.analytics.projection import SLOT_S, AgentSlot, VisitProjector
from kefu.analytics.visits import Visit
from kefu.domain import events as ev
from kefu.service.ports import ReportMark, StoredEvent, UnitOfWork
from kefu.service.snapshots import dumps

__all__ = ["ReportProjection"]

log = logging.getLogger("kefu.service.engine")


class ReportProjection:
    """Folds stored events into the report rows (see :mod:`kefu.analytics.projection`)."""

    def __init__(self) -> None:
        self._projector = VisitProjector()
        self._catch_up: tuple[float, ReportMark | None, list[Visit], list[AgentSlot]] | None = None
        self._stored_complete: float | None = None
        """The ``complete_until`` of the last mark staged (read again on each load)."""
        self._visits: list[Visit] = []
        self._slots: list[AgentSlot] = []
        self._slot = -math.inf
        """The slot (index) of the last event folded when the projection last changed."""
        self._unsettled = False
        """Rows, or a slot that may move ``complete_until``, folded since the last settle."""
        self.seq = 0
        """The log position of the last event folded."""

    def load(self, stored: Sequence[StoredEvent], mark: ReportMark | None) -> None:
        """Rebuild from the whole log ``stored`` and the stored ``mark``; the rows the
        mark does not cover are written by the next :meth:`write_catch_up`."""
        self._fold(VisitProjector(), 0, stored, mark)

    def dump(self) -> bytes:
        """The state folded so far, with the position of the last event folded (in the
        thread that projects, between two batches). A snapshot takes
        :meth:`dump_settled`: this one alone does not say what is stored."""
        state = dumps(self._projector)
        return self.seq.to_bytes(8, "big") + state

    def dump_settled(self, uow: UnitOfWork) -> bytes | None:
        """Stage every row not stored yet with the mark of the last event folded, then
        :meth:`dump` (in the writer's transaction: the dump is kept only if they are
        stored). ``None`` when the dump fails (the snapshot goes without it; the rows and
        the mark are stored all the same)."""
        mark = self._mark(self.seq)
        if mark is not None:
            uow.reports.add(self._visits, self._slots, mark)
            self._stored_complete = mark.complete_until
            self._unsettled = False
            self._visits, self._slots = [], []
        try:
            return self.dump()
        except Exception:
            log.exception("the report projection cannot be dumped; not in this snapshot")
            return None

    @staticmethod
    def dumped_seq(data: bytes) -> int:
        """The log position a :meth:`dump` covers."""
        if len(data) < 8:
            raise ValueError("not a dump of the report projection")
        return int.from_bytes(data[:8], "big")

    def restore(self, data: bytes, tail: Sequence[StoredEvent], mark: ReportMark | None) -> None:
        """Rebuild from a :meth:`dump` and the log's ``tail`` (at least every event after
        the dump's position; those before it are skipped) and the stored ``mark``, as
        :meth:`load` does from the whole log. Raises when ``data`` cannot be read (the
        caller loads the whole log then)."""
        seq = self.dumped_seq(data)
        projector = pickle.loads(data[8:])
        if not isinstance(projector, VisitProjector):
            raise TypeError(f"a report dump holds a {type(projector).__name__}")
        if tail and tail[0].seq > seq + 1:
            raise ValueError(f"the tail starts at {tail[0].seq}, after the dump's {seq}")
        self._fold(projector, seq, [s for s in tail if s.seq > seq], mark)

    def _fold(
        self,
        projector: VisitProjector,
        start: int,
        stored: Sequence[StoredEvent],
        mark: ReportMark | None,
    ) -> None:
        """``projector`` holds the log folded up to ``start``; fold ``stored`` (after it)
        and note what the stored ``mark`` does not cover. A dump is stored with the mark of
        its position (:meth:`dump_settled`), so the mark is at or past it; a projector
        restored past the mark (a dump from before the rows were settled apart) lost
        nothing the rows lack: the events between end no visit and finish no agent slot,
        or the writer would have moved the mark with their rows."""
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
        last = stored[-1].seq if stored else max(done, start)
        self.seq = last
        caught_up = self._mark(last)
        self._catch_up = (slots_from, caught_up, visits, slots)
        stored_mark = caught_up or mark
        self._stored_complete = None if stored_mark is None else stored_mark.complete_until
        self._visits, self._slots, self._unsettled = [], [], False
        self._slot = math.floor(projector.last_at / SLOT_S)

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

    def project(self, events: Sequence[ev.Event], seqs: Sequence[int]) -> None:
        """Fold a batch in and keep its rows for :meth:`settle` (in the writer thread,
        before the batch commits; the mark is left to the settle: finding the oldest open
        visit reads every open one)."""
        if not seqs:
            return
        self.seq = seqs[-1]
        projector = self._projector
        projector.consume(events)
        visits = projector.take_visits()
        slots = projector.take_slots(projector.last_at)
        slot = math.floor(projector.last_at / SLOT_S)
        # ``complete_until`` moves only when a visit ends (the oldest open one) or a
        # new slot begins: a batch with neither changes nothing to store.
        if visits or slots or slot != self._slot:
            self._visits += visits
            self._slots += slots
            self._slot = slot
            self._unsettled = True

    def unsettled(self) -> bool:
        """Whether rows, or a slot that may move ``complete_until``, are folded and not
        stored yet."""
        return self._unsettled

    def settle(self, uow: UnitOfWork) -> None:
        """Stage every row folded and not stored yet, with the mark of the last event
        folded (in the writer's transaction; a failed one makes the engine load the
        projection again). Without rows the mark is staged only when ``complete_until``
        moved."""
        if not self._unsettled:
            return
        self._unsettled = False
        mark = self._mark(self.seq)
        visits, slots = self._visits, self._slots
        if mark is None or not (visits or slots or mark.complete_until != self._stored_complete):
            return
        uow.reports.add(visits, slots, mark)
        self._visits, self._slots = [], []
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
