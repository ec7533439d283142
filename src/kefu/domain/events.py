"""Events: immutable records of every state change, the log everything derives from.

The router appends events to its log and rebuilds itself from them (replay). Every event
carries ``at``, the instant in seconds it happened. :func:`event_to_dict` and
:func:`event_from_dict` give a stable, JSON-ready form (same log → same bytes).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from kefu.domain.errors import ValidationError
from kefu.domain.model import AgentSpec, QueueSpec

__all__ = [
    "AgentDefined",
    "AgentStateChanged",
    "AgentStatePending",
    "CallbackRequested",
    "ContactAbandoned",
    "ContactCompleted",
    "ContactHeld",
    "ContactOverflowed",
    "ContactQueued",
    "ContactResumed",
    "ContactTransferred",
    "Event",
    "OfferAccepted",
    "OfferCreated",
    "OfferRejected",
    "OfferTimedOut",
    "OfferWithdrawn",
    "QueueDefined",
    "WrapupEnded",
    "event_from_dict",
    "event_to_dict",
    "events_to_jsonl",
]


@dataclass(frozen=True, slots=True)
class Event:
    """Base of all events; ``at`` is the instant in seconds."""

    at: float


@dataclass(frozen=True, slots=True)
class QueueDefined(Event):
    spec: QueueSpec


@dataclass(frozen=True, slots=True)
class AgentDefined(Event):
    spec: AgentSpec


@dataclass(frozen=True, slots=True)
class AgentStateChanged(Event):
    """The agent's chosen presence changed (offline, ready, not_ready with a reason)."""

    agent_id: str
    presence: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class AgentStatePending(Event):
    """The agent asked for a presence that takes effect when its last contact ends."""

    agent_id: str
    presence: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class ContactQueued(Event):
    """A contact entered a queue. ``estimated_wait_s`` is what the router predicted
    (``None`` when no agent is staffed); ``position`` counts it and those ahead."""

    contact_id: str
    queue_id: str
    channel: str
    value_tier: int
    priority: int
    customer_id: str | None
    attributes: Mapping[str, str]
    estimated_wait_s: float | None
    position: int


@dataclass(frozen=True, slots=True)
class ContactOverflowed(Event):
    """The contact reached overflow step ``step`` (1-based) of its queue's plan;
    ``queue_id`` is the queue it is in afterwards."""

    contact_id: str
    step: int
    queue_id: str


@dataclass(frozen=True, slots=True)
class OfferCreated(Event):
    """A contact is reserved for an agent until ``expires_at``."""

    offer_id: str
    contact_id: str
    agent_id: str
    expires_at: float
    callback: bool


@dataclass(frozen=True, slots=True)
class OfferAccepted(Event):
    offer_id: str
    contact_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class OfferRejected(Event):
    offer_id: str
    contact_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class OfferTimedOut(Event):
    offer_id: str
    contact_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class OfferWithdrawn(Event):
    """The offer ended because the contact went away (the customer hung up)."""

    offer_id: str
    contact_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class ContactAbandoned(Event):
    """The customer left before being answered, after ``waited_s`` seconds in the queue."""

    contact_id: str
    queue_id: str
    waited_s: float


@dataclass(frozen=True, slots=True)
class CallbackRequested(Event):
    """The customer hung up but keeps its place; an agent calls back when it is its turn."""

    contact_id: str
    number: str | None


@dataclass(frozen=True, slots=True)
class ContactHeld(Event):
    contact_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class ContactResumed(Event):
    contact_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class ContactTransferred(Event):
    """The contact left ``from_agent_id`` for a queue or a named agent, with all its
    attributes; ``note`` is the hand-off note the next agent reads."""

    contact_id: str
    from_agent_id: str
    to_queue_id: str | None
    to_agent_id: str | None
    note: str


@dataclass(frozen=True, slots=True)
class ContactCompleted(Event):
    """The conversation ended; wrap-up of ``wrapup_s`` seconds starts (0: none)."""

    contact_id: str
    agent_id: str
    disposition: str | None
    wrapup_s: float


@dataclass(frozen=True, slots=True)
class WrapupEnded(Event):
    """Wrap-up finished: the contact is completed and the agent's capacity is free."""

    contact_id: str
    agent_id: str


_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        QueueDefined,
        AgentDefined,
        AgentStateChanged,
        AgentStatePending,
        ContactQueued,
        ContactOverflowed,
        OfferCreated,
        OfferAccepted,
        OfferRejected,
        OfferTimedOut,
        OfferWithdrawn,
        ContactAbandoned,
        CallbackRequested,
        ContactHeld,
        ContactResumed,
        ContactTransferred,
        ContactCompleted,
        WrapupEnded,
    )
}
_FIELDS: dict[type[Event], tuple[str, ...]] = {
    cls: tuple(f.name for f in fields(cls)) for cls in _TYPES.values()
}


def event_to_dict(event: Event) -> dict[str, Any]:
    """A JSON-ready dict: ``{"type": <class name>, <field>: <value>, ...}``."""
    out: dict[str, Any] = {"type": type(event).__name__}
    for name in _FIELDS[type(event)]:
        value = getattr(event, name)
        if isinstance(value, QueueSpec | AgentSpec):
            value = value.to_dict()
        elif isinstance(value, Mapping):
            value = dict(value)
        out[name] = value
    return out


def event_from_dict(data: Mapping[str, Any]) -> Event:
    """Rebuild an event from :func:`event_to_dict`'s form; unknown types are refused."""
    raw = dict(data)
    name = raw.pop("type", None)
    cls = _TYPES.get(str(name))
    if cls is None:
        raise ValidationError(f"unknown event type {name!r}", type=name)
    if cls is QueueDefined:
        raw["spec"] = QueueSpec.from_dict(raw["spec"])
    elif cls is AgentDefined:
        raw["spec"] = AgentSpec.from_dict(raw["spec"])
    try:
        return cls(**raw)
    except TypeError as exc:
        raise ValidationError(f"malformed {name} event: {exc}", type=name) from exc


def events_to_jsonl(events: Iterable[Event]) -> str:
    """One compact JSON object a line, keys sorted: the byte-stable form of a log."""
    return "".join(
        json.dumps(event_to_dict(e), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        + "\n"
        for e in events
    )
