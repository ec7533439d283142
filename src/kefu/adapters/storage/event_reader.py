"""Reading the routing log for analytics: only the event types asked for, in one stream.

``SqlEventLog.read`` rebuilds every event for replay, a page at a time through the ORM. The
contact map and FCR need only the contact-path events (about 60 % of a busy log) and read
the log once, so this reader filters by type and time in SQL (``type`` and ``at`` are
indexed) and streams the payloads through SQLAlchemy Core.

:func:`read_contact_rows` goes further for the contact map and FCR: it builds no event. Each
row is the event's type, instant, contact and agent (columns of the table) and, only for the
types whose payload the journeys need (queued, transferred, overflowed, completed), the
payload; :func:`kefu.analytics.journeys.journeys_from_rows` folds them. On a million events
this reads in about a third of the CPU time of :func:`read_events` (``bench/cases.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, cast

from sqlalchemy import Engine, Table, case, null, select

from kefu.adapters.storage.tables import EventRow
from kefu.domain.events import Event, event_from_dict

__all__ = ["CONTACT_PATH_TYPES", "PAYLOAD_TYPES", "read_contact_rows", "read_events"]

CONTACT_PATH_TYPES: tuple[str, ...] = (
    "ContactQueued",
    "ContactOverflowed",
    "OfferAccepted",
    "ContactTransferred",
    "ContactCompleted",
    "ContactAbandoned",
    "CallbackRequested",
)
"""The events :mod:`kefu.analytics.journeys` folds."""
PAYLOAD_TYPES: tuple[str, ...] = (
    "ContactQueued",
    "ContactOverflowed",
    "ContactTransferred",
    "ContactCompleted",
)
"""The contact-path events whose payload the journeys read (the others: type, instant,
contact and agent only)."""
ContactRow = tuple[str, float, str | None, str | None, dict[str, Any] | None]

EVENTS = cast(Table, EventRow.__table__)


def read_events(
    engine: Engine,
    *,
    types: Iterable[str] | None = CONTACT_PATH_TYPES,
    since: float | None = None,
    until: float | None = None,
    chunk: int = 10_000,
) -> Iterator[Event]:
    """Events in log order whose type is in ``types`` (``None``: all) and whose instant is in
    ``[since, until)`` seconds (either bound may be ``None``)."""
    stmt = select(EVENTS.c.payload).order_by(EVENTS.c.seq)
    if types is not None:
        stmt = stmt.where(EVENTS.c.type.in_(list(types)))
    if since is not None:
        stmt = stmt.where(EVENTS.c.at >= since)
    if until is not None:
        stmt = stmt.where(EVENTS.c.at < until)
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=chunk).execute(stmt)
        for payload in result.scalars():
            yield event_from_dict(payload)


def read_contact_rows(
    engine: Engine,
    *,
    since: float | None = None,
    until: float | None = None,
    chunk: int = 20_000,
) -> Iterator[ContactRow]:
    """``(type, at, contact_id, agent_id, payload or None)`` of the contact-path events in
    log order whose instant is in ``[since, until)`` seconds; the payload only for
    :data:`PAYLOAD_TYPES`."""
    c = EVENTS.c
    payload = case((c.type.in_(list(PAYLOAD_TYPES)), c.payload), else_=null()).label("payload")
    stmt = (
        select(c.type, c.at, c.contact_id, c.agent_id, payload)
        .where(c.type.in_(list(CONTACT_PATH_TYPES)))
        .order_by(c.seq)
    )
    if since is not None:
        stmt = stmt.where(c.at >= since)
    if until is not None:
        stmt = stmt.where(c.at < until)
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=chunk).execute(stmt)
        # A Row is a tuple: the fold unpacks it as it is.
        yield from cast("Iterator[ContactRow]", iter(result))
