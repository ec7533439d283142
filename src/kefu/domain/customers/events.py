"""Events of the customer directory: the log a :class:`~kefu.domain.customers.CustomerDirectory`
is rebuilt from.

Every event carries ``at``, the instant in seconds it happened. Identifiers appear as their
normalized ``kind`` and ``value`` strings. :func:`customer_event_to_dict` and
:func:`customer_event_from_dict` give a stable, JSON-ready form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kefu.domain.codec import EventCodec
from kefu.domain.events import Event

__all__ = [
    "ConsentChanged",
    "ContactRecorded",
    "CustomerCreated",
    "CustomerDetailsChanged",
    "CustomerEvent",
    "CustomerFieldDefined",
    "CustomerProfileChanged",
    "CustomersMerged",
    "IdentifierAdded",
    "IdentifierVerified",
    "MergeUndone",
    "ProductEventRecorded",
    "ProductRecorded",
    "customer_event_from_dict",
    "customer_event_to_dict",
]


@dataclass(frozen=True, slots=True)
class CustomerEvent(Event):
    """Base of the directory's events."""


@dataclass(frozen=True, slots=True)
class CustomerCreated(CustomerEvent):
    customer_id: str
    name: str


@dataclass(frozen=True, slots=True)
class IdentifierAdded(CustomerEvent):
    """A normalized identifier now belongs to the customer."""

    customer_id: str
    kind: str
    value: str
    verified: bool


@dataclass(frozen=True, slots=True)
class IdentifierVerified(CustomerEvent):
    """The customer proved they own the identifier (a code sent to it, a checked ID ...)."""

    customer_id: str
    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class CustomerProfileChanged(CustomerEvent):
    """The profile's new values: display name, value tier (0 = standard) and segment."""

    customer_id: str
    name: str
    value_tier: int
    segment: str | None


@dataclass(frozen=True, slots=True)
class ContactRecorded(CustomerEvent):
    """A contact of the customer for the timeline (recorded again when its outcome is known).
    ``contact_at`` is when the contact happened, ``at`` when it was recorded."""

    customer_id: str
    contact_id: str
    channel: str
    contact_at: float
    summary: str
    outcome: str | None
    conversation_id: str | None


@dataclass(frozen=True, slots=True)
class CustomersMerged(CustomerEvent):
    """``merged_id`` was folded into ``survivor_id``. ``agent_id`` is ``None`` for an automatic
    merge; ``forced`` when an agent overrode a verified-identifier conflict."""

    merge_id: str
    survivor_id: str
    merged_id: str
    agent_id: str | None
    reason: str
    forced: bool


@dataclass(frozen=True, slots=True)
class MergeUndone(CustomerEvent):
    merge_id: str
    agent_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class CustomerFieldDefined(CustomerEvent):
    """An admin (``by``) defined or redefined the custom field ``name`` (see
    :class:`~kefu.domain.customers.profile.FieldDef`)."""

    name: str
    label_en: str
    label_zh: str
    kind: str
    choices: tuple[str, ...]
    editable_by: tuple[str, ...]
    by: str


@dataclass(frozen=True, slots=True)
class CustomerDetailsChanged(CustomerEvent):
    """The customer's preferred language, notes and custom field values (all of them, as
    stored) after an edit by ``by``."""

    customer_id: str
    language: str
    notes: str
    fields: Mapping[str, str]
    by: str


@dataclass(frozen=True, slots=True)
class ConsentChanged(CustomerEvent):
    """May the center contact the customer on ``channel`` (``sms``, ``email``)."""

    customer_id: str
    channel: str
    allowed: bool
    by: str
    reason: str


@dataclass(frozen=True, slots=True)
class ProductRecorded(CustomerEvent):
    """A product of the customer, new or changed (known by its normalized ``number``);
    ``balance`` in yuan or ``None``."""

    customer_id: str
    number: str
    kind: str
    opened: str
    status: str
    balance: float | None


@dataclass(frozen=True, slots=True)
class ProductEventRecorded(CustomerEvent):
    """Something happened to a product (a failed payment, a blocked card, a bill)."""

    customer_id: str
    number: str
    kind: str
    detail: str


_TYPES: dict[str, type[CustomerEvent]] = {
    cls.__name__: cls
    for cls in (
        CustomerCreated,
        IdentifierAdded,
        IdentifierVerified,
        CustomerProfileChanged,
        ContactRecorded,
        CustomersMerged,
        MergeUndone,
        CustomerFieldDefined,
        CustomerDetailsChanged,
        ConsentChanged,
        ProductRecorded,
        ProductEventRecorded,
    )
}


def _decode(_cls: type[CustomerEvent], raw: dict[str, Any]) -> None:
    """Lists of the JSON form back to the tuples of the events."""
    for key, value in raw.items():
        if isinstance(value, list):
            raw[key] = tuple(value)


CODEC: EventCodec[CustomerEvent] = EventCodec(_TYPES.values(), family="customer ", decode=_decode)
"""The JSON form of these events (:class:`~kefu.domain.codec.EventCodec`)."""
customer_event_to_dict = CODEC.to_dict
customer_event_from_dict = CODEC.from_dict
