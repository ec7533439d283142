"""IVR events: every step of a contact through a flow, the log analytics and replay read.

Each event carries ``at`` (the instant, seconds) and ``contact_id``. The state of a contact in
a flow is a fold of its events (:func:`kefu.domain.ivr.state.replay`). :func:`ivr_event_to_dict`
and :func:`ivr_event_from_dict` give the JSON-ready form (same events → same bytes with
:func:`ivr_events_to_jsonl`), in the style of :mod:`kefu.domain.events`.
Secrets (PINs) never appear in an event: the verify node's input is masked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kefu.domain.codec import EventCodec
from kefu.domain.events import Event
from kefu.domain.ivr.fastinit import fast_init

__all__ = [
    "Abandoned",
    "CalendarChecked",
    "Ended",
    "FlowChained",
    "FlowStarted",
    "HandedOff",
    "IdentityVerified",
    "InputReceived",
    "IvrEvent",
    "LanguageChosen",
    "NodeEntered",
    "OptionMatched",
    "RetryCounted",
    "SelfServiceCompleted",
    "ValueCollected",
    "VerificationRequested",
    "WaitAnnounced",
    "ivr_event_from_dict",
    "ivr_event_to_dict",
    "ivr_events_to_jsonl",
]


@dataclass(frozen=True, slots=True)
class IvrEvent(Event):
    """Base of the IVR events: the contact going through the flow."""

    contact_id: str


@fast_init
@dataclass(frozen=True, slots=True)
class FlowStarted(IvrEvent):
    """The contact entered ``flow_id`` at ``version`` (kept to the end), speaking
    ``language``; ``slots`` and the verification are carried from an earlier flow."""

    flow_id: str
    version: int
    language: str
    slots: Mapping[str, str]
    verified_method: str | None
    verified_identifier: str | None
    verified_customer_id: str | None
    verified_at: float | None


@fast_init
@dataclass(frozen=True, slots=True)
class NodeEntered(IvrEvent):
    """The contact reached ``node_id``; ``waiting`` is what the flow waits for there
    (``input``, ``secret``, ``action``, ``estimate`` or ``None``) until ``deadline`` (s)."""

    node_id: str
    kind: str
    waiting: str | None
    deadline: float | None


@fast_init
@dataclass(frozen=True, slots=True)
class InputReceived(IvrEvent):
    """The customer answered (``text``; masked for secrets) or stayed silent (``timeout``)."""

    node_id: str
    text: str
    timeout: bool


@fast_init
@dataclass(frozen=True, slots=True)
class OptionMatched(IvrEvent):
    """The answer chose option ``digit`` (``0``: an agent) ``by`` digit, keyword or agent."""

    node_id: str
    digit: str
    next: str
    by: str


@fast_init
@dataclass(frozen=True, slots=True)
class LanguageChosen(IvrEvent):
    language: str


@fast_init
@dataclass(frozen=True, slots=True)
class RetryCounted(IvrEvent):
    """Answer ``retry`` (1-based) was refused (``no_match``, ``invalid``, ``timeout``); the
    node asks again and waits until ``deadline`` (s)."""

    node_id: str
    retry: int
    reason: str
    deadline: float | None


@fast_init
@dataclass(frozen=True, slots=True)
class ValueCollected(IvrEvent):
    node_id: str
    slot: str
    value: str


@fast_init
@dataclass(frozen=True, slots=True)
class VerificationRequested(IvrEvent):
    """The driver is asked to check the secret of ``identifier``; answer due by ``deadline``."""

    node_id: str
    method: str
    identifier: str
    deadline: float | None


@fast_init
@dataclass(frozen=True, slots=True)
class IdentityVerified(IvrEvent):
    """The verification's result; ``failures`` counts the failed ones at this node so far."""

    node_id: str
    method: str
    identifier: str
    ok: bool
    customer_id: str | None
    failures: int


@fast_init
@dataclass(frozen=True, slots=True)
class SelfServiceCompleted(IvrEvent):
    """Self-service ``action`` finished with ``outcome`` (``timeout`` when the driver did not
    answer in time) and ``data`` (stored as slots ``<action>.<key>``)."""

    node_id: str
    action: str
    outcome: str
    data: Mapping[str, str]


@fast_init
@dataclass(frozen=True, slots=True)
class WaitAnnounced(IvrEvent):
    """The predicted wait of ``queue`` (s, ``None``: unknown) was told; ``offered`` when a
    callback was offered, answered by ``deadline`` (s)."""

    node_id: str
    queue_id: str
    estimated_wait_s: float | None
    offered: bool
    deadline: float | None


@fast_init
@dataclass(frozen=True, slots=True)
class CalendarChecked(IvrEvent):
    node_id: str
    calendar: str
    open: bool


@fast_init
@dataclass(frozen=True, slots=True)
class HandedOff(IvrEvent):
    """The contact leaves the IVR for ``queue_id`` (``callback``: called back later) with
    ``attributes`` (what the IVR learned); ``reason`` says why (``menu``, ``agent_requested``,
    ``retries_exhausted``, ``verification_failed``, ``max_visits``)."""

    node_id: str
    queue_id: str
    callback: bool
    reason: str
    attributes: Mapping[str, str]


@fast_init
@dataclass(frozen=True, slots=True)
class FlowChained(IvrEvent):
    node_id: str
    flow_id: str


@fast_init
@dataclass(frozen=True, slots=True)
class Abandoned(IvrEvent):
    """The customer left (hung up, closed the chat) at ``node_id``."""

    node_id: str


@fast_init
@dataclass(frozen=True, slots=True)
class Ended(IvrEvent):
    """The flow ended the contact at ``node_id`` (self-service finished)."""

    node_id: str


_TYPES: dict[str, type[IvrEvent]] = {
    cls.__name__: cls
    for cls in (
        FlowStarted,
        NodeEntered,
        InputReceived,
        OptionMatched,
        LanguageChosen,
        RetryCounted,
        ValueCollected,
        VerificationRequested,
        IdentityVerified,
        SelfServiceCompleted,
        WaitAnnounced,
        CalendarChecked,
        HandedOff,
        FlowChained,
        Abandoned,
        Ended,
    )
}


CODEC: EventCodec[IvrEvent] = EventCodec(_TYPES.values(), family="IVR ")
"""The JSON form of these events (:class:`~kefu.domain.codec.EventCodec`)."""
ivr_event_to_dict = CODEC.to_dict
ivr_event_from_dict = CODEC.from_dict
ivr_events_to_jsonl = CODEC.to_jsonl
