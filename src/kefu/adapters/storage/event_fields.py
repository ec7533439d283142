"""The contact-path fields of an event, kept in columns of the log beside its payload.

The contact map and FCR read about 700,000 contact-path events out of a million; taking the
few fields they need out of each JSON payload at read time cost most of the read (SQLite's
``json_extract`` per field, PostgreSQL re-parsing the ``json`` text once per ``->>``). They
are taken out once, when the event is appended (and by migration 0007 for the events stored
before), into plain columns that :func:`kefu.adapters.storage.event_reader.read_contact_rows`
selects as they are. Nothing filters on them, so they carry no index (an index would only
slow the hottest write).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from kefu.analytics.journeys import Row, pack_ivr
from kefu.domain.events import Event, event_to_dict

__all__ = ["CONTACT_PATH_TYPES", "PATH_COLUMNS", "contact_rows_of", "path_fields"]

CONTACT_PATH_TYPES: tuple[str, ...] = (
    "ContactQueued",
    "ContactOverflowed",
    "OfferAccepted",
    "ContactTransferred",
    "ContactCompleted",
    "ContactAbandoned",
    "CallbackRequested",
    "ContactTransferredOut",
)
"""The events :mod:`kefu.analytics.journeys` folds."""

PATH_COLUMNS = ("target", "channel", "customer_id", "topic", "case_id", "ivr")
"""``target``: the queue of a queued or overflowed contact, the queue a transfer goes to,
the disposition of a completed contact, ``<domain>/<queue>`` of one handed over to another
routing domain; the others are those of a queued contact:
``topic`` and ``case_id`` its attributes, ``ivr`` its packed IVR route
(:func:`kefu.analytics.journeys.pack_ivr`). ``NULL`` elsewhere."""

_TARGET = {
    "ContactQueued": "queue_id",
    "ContactOverflowed": "queue_id",
    "ContactTransferred": "to_queue_id",
    "ContactCompleted": "disposition",
}
_NONE: dict[str, str | None] = dict.fromkeys(PATH_COLUMNS)


def path_fields(payload: Mapping[str, Any]) -> dict[str, str | None]:
    """The :data:`PATH_COLUMNS` of an event in ``event_to_dict`` form."""
    kind = payload["type"]
    if kind == "ContactTransferredOut":
        return {**_NONE, "target": f"{payload.get('to_domain')}/{payload.get('to_queue_id')}"}
    key = _TARGET.get(kind)
    if key is None:
        return _NONE
    out = dict(_NONE)
    out["target"] = payload.get(key)
    if kind == "ContactQueued":
        attrs = payload.get("attributes") or {}
        out["channel"] = payload.get("channel")
        out["customer_id"] = payload.get("customer_id")
        out["topic"] = attrs.get("topic")
        out["case_id"] = attrs.get("case_id")
        out["ivr"] = pack_ivr(attrs)
    return out


def contact_rows_of(events: Iterable[Event], until: float) -> Iterator[Row]:
    """The rows the SQL reader selects, made from events (the in-memory store's log):
    each contact-path event before ``until`` (s), in the order given."""
    for event in events:
        kind = type(event).__name__
        if kind not in CONTACT_PATH_TYPES or event.at >= until:
            continue
        payload = event_to_dict(event)
        fields = path_fields(payload)
        yield (
            kind,
            event.at,
            payload.get("contact_id"),
            payload.get("agent_id"),
            *(fields[name] for name in PATH_COLUMNS),
        )  # type: ignore[misc]
