"""Reading what the contact map shows beside the routing log: the IVR sessions and the case
waits on departments (:mod:`kefu.analytics.contactmap_more`).

The IVR wing and the case wing store their events in the ``conversation_events`` table, typed
``ivr:<kind>`` and ``case:<EventType>``
(:data:`~kefu.adapters.storage.channel_tables.OTHER_STREAM`). A case's resolution deadline
is the ``sla_due`` attribute of its latest work item (a ``workitem`` contact of the routing
log, linked to the case by ``CaseLinked``), read by contact id.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, or_, select

from kefu.adapters.storage.channel_tables import OTHER_STREAM, ConversationEventRow
from kefu.adapters.storage.tables import EventRow
from kefu.analytics.contactmap_more import (
    MapExtras,
    Record,
    case_deadlines,
    extras_from_records,
)

__all__ = ["map_extras_on", "read_map_extras"]

_ROWS = cast(Table, ConversationEventRow.__table__)
_EVENTS = cast(Table, EventRow.__table__)
_CASE_TYPES = [
    f"case{OTHER_STREAM}{kind}" for kind in ("CaseOpened", "CaseStateChanged", "CaseLinked")
]
_CHUNK = 500


def read_map_extras(engine: Engine, *, until: float | None = None) -> MapExtras:
    """The IVR stays and department waits stored before ``until`` (s; ``None``: all)."""
    with engine.connect() as conn:
        return map_extras_on(conn, until=until)


def map_extras_on(conn: Connection, *, until: float | None = None) -> MapExtras:
    """:func:`read_map_extras` on an open connection (a unit of work's)."""
    c = _ROWS.c
    stmt = (
        select(c.at, c.type, c.conversation_id, c.payload)
        .where(or_(c.type.startswith("ivr" + OTHER_STREAM), c.type.in_(_CASE_TYPES)))
        .order_by(c.seq)
    )
    if until is not None:
        stmt = stmt.where(c.at < until)
    records: list[Record] = []
    work_items: list[str] = []
    for at, kind, subject_id, payload in conn.execute(stmt):
        stream, _, name = str(kind).partition(OTHER_STREAM)
        data: dict[str, Any] = payload
        if name == "CaseLinked":
            if data.get("kind") == "work_item":
                work_items.append(str(data["target_id"]))
            continue
        records.append((at, stream, name, subject_id, data))
    queued: list[tuple[float, dict[str, str]]] = []
    e = _EVENTS.c
    for i in range(0, len(work_items), _CHUNK):
        query = select(e.at, e.payload).where(
            e.type == "ContactQueued", e.contact_id.in_(work_items[i : i + _CHUNK])
        )
        if until is not None:
            query = query.where(e.at < until)
        found = conn.execute(query)
        queued.extend((at, dict(p.get("attributes") or {})) for at, p in found)
    return extras_from_records(records, until=until, due=case_deadlines(queued))
