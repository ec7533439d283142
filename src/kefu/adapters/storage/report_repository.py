"""The report projection's rows in SQL, written by the store writer with the events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from operator import attrgetter
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from kefu.adapters.storage.archived_contacts import read_archived
from kefu.adapters.storage.tables import AgentSlotRow, ContactVisitRow, ProjectionMarkRow
from kefu.analytics.archive import ArchivedContact
from kefu.analytics.projection import AgentSlot
from kefu.analytics.visits import Visit
from kefu.service.ports import ReportMark

__all__ = ["MARK", "MARKS", "SLOTS", "VISITS", "SqlReports"]

MARK = "report_visits"
"""The name of the report projection's mark in ``projection_marks``."""
VISITS = cast(Table, ContactVisitRow.__table__)
SLOTS = cast(Table, AgentSlotRow.__table__)
MARKS = cast(Table, ProjectionMarkRow.__table__)

# Built once: the writer stores rows with every batch, and building a Core statement costs
# more than compiling it (the compiled form is cached).
_INSERT_VISITS = insert(VISITS)
_INSERT_SLOTS = insert(SLOTS)
_UPDATE_MARK = MARKS.update().where(MARKS.c.name == MARK)
_VISIT_NAMES = tuple(f.name for f in fields(Visit))
_SLOT_NAMES = tuple(f.name for f in fields(AgentSlot))
_visit_values = attrgetter(*_VISIT_NAMES)
_slot_values = attrgetter(*_SLOT_NAMES)


def visit_rows(visits: Sequence[Visit]) -> list[dict[str, Any]]:
    """The ``contact_visits`` rows of ``visits`` (flat records: no deep copy needed)."""
    return [dict(zip(_VISIT_NAMES, _visit_values(v), strict=True)) for v in visits]


def slot_rows(slots: Sequence[AgentSlot]) -> list[dict[str, Any]]:
    """The ``agent_slots`` rows of ``slots``."""
    return [dict(zip(_SLOT_NAMES, _slot_values(s), strict=True)) for s in slots]


class SqlReports:
    def __init__(self, session: Session) -> None:
        self.session = session

    def mark(self) -> ReportMark | None:
        row = self.session.execute(
            select(MARKS.c.seq, MARKS.c.at, MARKS.c.complete_until).where(MARKS.c.name == MARK)
        ).first()
        return None if row is None else ReportMark(int(row[0]), float(row[1]), row[2])

    def add(self, visits: Sequence[Visit], slots: Sequence[AgentSlot], mark: ReportMark) -> None:
        # Core statements: one multi-row INSERT each, in the transaction of the events.
        connection = self.session.connection()
        if visits:
            connection.execute(_INSERT_VISITS, visit_rows(visits))
        if slots:
            connection.execute(_INSERT_SLOTS, slot_rows(slots))
        values = {"seq": mark.seq, "at": mark.at, "complete_until": mark.complete_until}
        done = connection.execute(_UPDATE_MARK, values)
        if done.rowcount == 0:
            connection.execute(insert(MARKS).values(name=MARK, **values))

    def drop_provisional(self, slots_from: float) -> None:
        connection = self.session.connection()
        connection.execute(delete(VISITS).where(VISITS.c.ended_at.is_(None)))
        connection.execute(delete(SLOTS).where(SLOTS.c.slot_at >= slots_from))

    def archived_contacts(self, contact_ids: Sequence[str]) -> dict[str, ArchivedContact]:
        return read_archived(self.session, contact_ids)
