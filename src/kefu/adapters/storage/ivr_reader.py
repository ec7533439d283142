"""Reading the IVR's events from the database for ``kefu ivr report``.

The IVR wing stores every event of a conversation in a flow as a ``conversation_events``
row of type ``ivr:<EventType>`` (:mod:`kefu.service.ivr.sessions`); the conversation is the
IVR contact. What happened after a hand-off is in the routing log under the router's
contact id, linked to the conversation by its ``contact`` row: the routing events read here
(answered, abandoned in queue) carry the conversation id instead, so the report folds them
with the IVR events of the same contact, as it does for a JSON-lines file.
"""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from sqlalchemy import Engine, Table, select

from kefu.adapters.storage.channel_tables import OTHER_STREAM, ConversationEventRow
from kefu.adapters.storage.event_reader import read_events
from kefu.domain.events import ContactAbandoned, Event, OfferAccepted
from kefu.domain.ivr.events import IvrEvent, ivr_event_from_dict

__all__ = ["ROUTING_TYPES", "read_ivr_log"]

ROUTING_TYPES = ("OfferAccepted", "ContactAbandoned")
"""The routing events the IVR report reads (answered or abandoned after the hand-off)."""

_ROWS = cast(Table, ConversationEventRow.__table__)
_PREFIX = "ivr" + OTHER_STREAM
_DRIVER_KINDS = frozenset({"opened", "asked"})  # the driver's own records, not events


def read_ivr_log(engine: Engine) -> tuple[list[IvrEvent], list[Event]]:
    """Every stored IVR event in log order, and the routing events of the contacts the
    IVR handed off, their ``contact_id`` replaced by the conversation's."""
    ivr: list[IvrEvent] = []
    contact_of: dict[str, str] = {}  # router contact id → conversation id
    stmt = select(_ROWS.c.conversation_id, _ROWS.c.type, _ROWS.c.payload).order_by(_ROWS.c.seq)
    stmt = stmt.where(_ROWS.c.type.startswith(_PREFIX) | (_ROWS.c.type == "contact"))
    with engine.connect() as conn:
        for conv_id, kind, payload in conn.execute(stmt):
            if kind == "contact":
                contact_of[str(payload["contact_id"])] = conv_id
            elif kind[len(_PREFIX) :] not in _DRIVER_KINDS:
                ivr.append(ivr_event_from_dict(payload))
    in_ivr = {e.contact_id for e in ivr}
    routing: list[Event] = []
    for event in read_events(engine, types=ROUTING_TYPES):
        if not isinstance(event, (OfferAccepted, ContactAbandoned)):
            continue
        conv_id = contact_of.get(event.contact_id)
        if conv_id is not None and conv_id in in_ivr:
            routing.append(replace(event, contact_id=conv_id))
    return ivr, routing
