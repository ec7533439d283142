"""Events: immutable records of every state change, the log everything derives from.

The router appends events to its log and rebuilds itself from them (replay). Every event
carries ``at``, the instant in seconds it happened. :func:`event_to_dict` and
:func:`event_from_dict` give a stable, JSON-ready form (same log → same bytes). The event
classes are defined in :mod:`kefu.domain.routing_events` (and, by subject, in the
``*_events`` modules beside it) and imported from here; this module
holds their type table and JSON form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kefu.domain.call_control_events import (
    CallMuted,
    CallUnmuted,
    DigitsSentToCaller,
    SoftphoneEndpointChosen,
)
from kefu.domain.codec import EventCodec
from kefu.domain.consult_events import (
    ConferenceEnded,
    ConferenceStarted,
    ConsultCancelled,
    ConsultCompleted,
    ConsultStarted,
)
from kefu.domain.model import AgentSpec, QueueSpec
from kefu.domain.recording_events import (
    CallRecorded,
    RecordingDeleted,
    RecordingPaused,
    RecordingPlayed,
    RecordingResumed,
)
from kefu.domain.routing_events import (
    AgentDefined,
    AgentStateChanged,
    AgentStatePending,
    CallbackRequested,
    ContactAbandoned,
    ContactCompleted,
    ContactHeld,
    ContactOverflowed,
    ContactOverflowedOut,
    ContactQueued,
    ContactReprioritized,
    ContactResumed,
    ContactTransferred,
    ContactTransferredOut,
    Event,
    OfferAccepted,
    OfferCreated,
    OfferRejected,
    OfferTimedOut,
    OfferWithdrawn,
    QueueDefined,
    WrapupEnded,
)
from kefu.domain.supervision_events import CallBarged, CallListened, CallWhispered

__all__ = [
    "AgentDefined",
    "AgentStateChanged",
    "AgentStatePending",
    "CallBarged",
    "CallListened",
    "CallMuted",
    "CallRecorded",
    "CallUnmuted",
    "CallWhispered",
    "CallbackRequested",
    "ConferenceEnded",
    "ConferenceStarted",
    "ConsultCancelled",
    "ConsultCompleted",
    "ConsultStarted",
    "ContactAbandoned",
    "ContactCompleted",
    "ContactHeld",
    "ContactOverflowed",
    "ContactOverflowedOut",
    "ContactQueued",
    "ContactReprioritized",
    "ContactResumed",
    "ContactTransferred",
    "ContactTransferredOut",
    "DigitsSentToCaller",
    "Event",
    "OfferAccepted",
    "OfferCreated",
    "OfferRejected",
    "OfferTimedOut",
    "OfferWithdrawn",
    "QueueDefined",
    "RecordingDeleted",
    "RecordingPaused",
    "RecordingPlayed",
    "RecordingResumed",
    "SoftphoneEndpointChosen",
    "WrapupEnded",
    "event_from_dict",
    "event_to_dict",
    "events_to_jsonl",
]


_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        QueueDefined,
        AgentDefined,
        AgentStateChanged,
        AgentStatePending,
        ContactQueued,
        ContactReprioritized,
        ContactOverflowed,
        ContactOverflowedOut,
        OfferCreated,
        OfferAccepted,
        OfferRejected,
        OfferTimedOut,
        OfferWithdrawn,
        ContactAbandoned,
        CallbackRequested,
        CallRecorded,
        CallListened,
        CallWhispered,
        CallBarged,
        RecordingPaused,
        RecordingResumed,
        RecordingPlayed,
        RecordingDeleted,
        ContactHeld,
        ContactResumed,
        CallMuted,
        CallUnmuted,
        DigitsSentToCaller,
        SoftphoneEndpointChosen,
        ConsultStarted,
        ConsultCancelled,
        ConsultCompleted,
        ConferenceStarted,
        ConferenceEnded,
        ContactTransferred,
        ContactTransferredOut,
        ContactCompleted,
        WrapupEnded,
    )
}


def _encode(value: Any) -> Any:
    if isinstance(value, QueueSpec | AgentSpec):
        return value.to_dict()
    return dict(value) if isinstance(value, Mapping) else value


def _decode(cls: type[Event], raw: dict[str, Any]) -> None:
    if cls is QueueDefined:
        raw["spec"] = QueueSpec.from_dict(raw["spec"])
    elif cls is AgentDefined:
        raw["spec"] = AgentSpec.from_dict(raw["spec"])


CODEC: EventCodec[Event] = EventCodec(_TYPES.values(), encode=_encode, decode=_decode)
"""The routing events' JSON form (:class:`~kefu.domain.codec.EventCodec`)."""
event_to_dict = CODEC.to_dict
event_from_dict = CODEC.from_dict
events_to_jsonl = CODEC.to_jsonl
