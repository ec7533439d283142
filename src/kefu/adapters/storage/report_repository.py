"""The report projection's rows in SQL, written by the store writer a moment after the
events (:mod:`kefu.service.report_projection`).

On PostgreSQL the rows and their mark go in one statement: the rows as JSON, put in by
data-modifying CTEs of the mark's UPDATE. Every statement of the writer is a round trip to
the server, during which the next batch (and every command waiting for it) may wait; the
statement's text is the same every time, so it is compiled once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import fields
from operator import attrgetter
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select, text
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


def _rows_from_json(table: str, names: Sequence[str], param: str) -> str:
    columns = ", ".join(names)
    return (
        f"INSERT INTO {table} ({columns}) SELECT {columns} "
        f"FROM json_populate_recordset(NULL::{table}, CAST(:{param} AS json))"
    )


# ``{table}`` resolves through the connection's search_path, as every other statement.
_ADD_WITH_MARK = text(
    f"WITH new_visits AS ({_rows_from_json('contact_visits', _VISIT_NAMES, 'visits')}), "
    f"new_slots AS ({_rows_from_json('agent_slots', _SLOT_NAMES, 'slots')}) "
    "UPDATE projection_marks SET seq = :seq, at = :at, complete_until = :complete_until "
    "WHERE name = :name"
)


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
        connection = self.session.connection()
        values = {"seq": mark.seq, "at": mark.at, "complete_until": mark.complete_until}
        together = _as_json(visits, slots) if connection.dialect.name == "postgresql" else None
        if together is not None:
            done = connection.execute(_ADD_WITH_MARK, {**together, **values, "name": MARK})
        else:
            # Core statements: one multi-row INSERT each, in the writer's transaction.
            if visits:
                connection.execute(_INSERT_VISITS, visit_rows(visits))
            if slots:
                connection.execute(_INSERT_SLOTS, slot_rows(slots))
            done = connection.execute(_UPDATE_MARK, values)
        if done.rowcount == 0:
            connection.execute(insert(MARKS).values(name=MARK, **values))

    def drop_provisional(self, slots_from: float) -> None:
        connection = self.session.connection()
        connection.execute(delete(VISITS).where(VISITS.c.ended_at.is_(None)))
        connection.execute(delete(SLOTS).where(SLOTS.c.slot_at >= slots_from))

    def archived_contacts(self, contact_ids: Sequence[str]) -> dict[str, ArchivedContact]:
        return read_archived(self.session, contact_ids)


def _as_json(visits: Sequence[Visit], slots: Sequence[AgentSlot]) -> dict[str, str] | None:
    """The rows as JSON arrays for :data:`_ADD_WITH_MARK`; ``None`` when a figure is not
    finite (JSON has no infinity: those rows take the plain INSERTs)."""
    try:
        return {
            "visits": json.dumps(visit_rows(visits), allow_nan=False),
            "slots": json.dumps(slot_rows(slots), allow_nan=False),
        }
    except ValueError:
        return None
