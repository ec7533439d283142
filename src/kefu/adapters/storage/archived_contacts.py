"""The store's record of finished contacts the router has forgotten, read by contact id:
their ``contact_visits`` rows (the primary key ``(contact_id, leg)`` is the index that
finds them) and their recording events in ``events`` (indexed by ``contact_id``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from kefu.adapters.storage.tables import ContactVisitRow, EventRow
from kefu.analytics.archive import ArchivedContact, RecordingMark, archive_contacts
from kefu.analytics.visits import Visit

__all__ = ["RECORDING_EVENTS", "read_archived", "recording_mark"]

RECORDING_EVENTS = ("CallRecorded", "RecordingDeleted")
"""The log's events that say what became of a contact's call recording."""
_VISITS = cast(Table, ContactVisitRow.__table__)
_EVENTS = cast(Table, EventRow.__table__)
_VISIT_NAMES = tuple(f.name for f in fields(Visit))
_CHUNK = 500
"""Contact ids per query: well under the bound parameters every database accepts."""


def recording_mark(kind: str, contact_id: str, payload: dict[str, object]) -> RecordingMark:
    """The recording event ``kind`` of the contact, from its stored payload."""
    deleted = str(payload["reason"]) if kind == "RecordingDeleted" else None
    return RecordingMark(contact_id, str(payload["recording"]), deleted)


def read_archived(session: Session, contact_ids: Sequence[str]) -> dict[str, ArchivedContact]:
    """The contacts among ``contact_ids`` with an ended visit in the report projection."""
    visits: list[Visit] = []
    marks: list[RecordingMark] = []
    unique = list(dict.fromkeys(contact_ids))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        rows = session.execute(
            select(*(_VISITS.c[name] for name in _VISIT_NAMES)).where(
                _VISITS.c.contact_id.in_(chunk), _VISITS.c.ended_at.is_not(None)
            )
        )
        visits.extend(Visit(**row._asdict()) for row in rows)
        events = session.execute(
            select(_EVENTS.c.type, _EVENTS.c.contact_id, _EVENTS.c.payload)
            .where(_EVENTS.c.contact_id.in_(chunk), _EVENTS.c.type.in_(RECORDING_EVENTS))
            .order_by(_EVENTS.c.seq)
        )
        marks.extend(recording_mark(kind, cid, payload) for kind, cid, payload in events)
    return archive_contacts(visits, marks)
