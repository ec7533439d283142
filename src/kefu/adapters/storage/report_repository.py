"""The report projection's rows in SQL, written by the store writer with the events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from kefu.adapters.storage.tables import AgentSlotRow, ContactVisitRow, ProjectionMarkRow
from kefu.analytics.projection import AgentSlot
from kefu.analytics.visits import Visit
from kefu.service.ports import ReportMark

__all__ = ["MARK", "MARKS", "SLOTS", "VISITS", "SqlReports"]

MARK = "report_visits"
"""The name of the report projection's mark in ``projection_marks``."""
VISITS = cast(Table, ContactVisitRow.__table__)
SLOTS = cast(Table, AgentSlotRow.__table__)
MARKS = cast(Table, ProjectionMarkRow.__table__)


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
            connection.execute(insert(VISITS), [asdict(v) for v in visits])
        if slots:
            connection.execute(insert(SLOTS), [asdict(s) for s in slots])
        values = {"seq": mark.seq, "at": mark.at, "complete_until": mark.complete_until}
        done = connection.execute(MARKS.update().where(MARKS.c.name == MARK).values(**values))
        if done.rowcount == 0:
            connection.execute(insert(MARKS).values(name=MARK, **values))

    def drop_provisional(self, slots_from: float) -> None:
        connection = self.session.connection()
        connection.execute(delete(VISITS).where(VISITS.c.ended_at.is_(None)))
        connection.execute(delete(SLOTS).where(SLOTS.c.slot_at >= slots_from))
