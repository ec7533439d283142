"""Events of cases: the log a :class:`~kefu.domain.cases.book.CaseBook` is rebuilt from.

Every event carries ``at``, the instant in seconds it happened, and ``case_id``; ``by`` is the
agent (or ``"system"``) that caused it. States, owners and clocks appear as their string
values. :func:`case_event_to_dict` and :func:`case_event_from_dict` give a stable, JSON-ready
form; the routing and customer event families are untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from kefu.domain.cases.types import FieldValue
from kefu.domain.codec import EventCodec
from kefu.domain.events import Event

__all__ = [
    "CaseAssigned",
    "CaseClassified",
    "CaseDepartmentInvolved",
    "CaseEscalated",
    "CaseEvent",
    "CaseFieldsChanged",
    "CaseLinked",
    "CaseNoteAdded",
    "CaseOpened",
    "CasePriorityChanged",
    "CaseResponded",
    "CaseStateChanged",
    "case_event_from_dict",
    "case_event_to_dict",
]


@dataclass(frozen=True, slots=True)
class CaseEvent(Event):
    """Base of the case events."""

    case_id: str


@dataclass(frozen=True, slots=True)
class CaseOpened(CaseEvent):
    """A new case. ``owner_kind`` is ``"agent"``, ``"team"`` or ``None`` (unassigned);
    ``value_tier`` is the customer's at opening (0 = standard)."""

    case_type: str
    customer_id: str | None
    site_id: str
    title: str
    value_tier: int
    priority: int
    fields: Mapping[str, FieldValue]
    owner_kind: str | None
    owner_id: str | None
    by: str


@dataclass(frozen=True, slots=True)
class CaseStateChanged(CaseEvent):
    """A move in the transition table. ``department`` names who we wait on (waiting on
    department); ``root_cause`` and ``resolution`` are given when resolving."""

    from_state: str
    to_state: str
    reason: str
    by: str
    department: str | None
    root_cause: str | None
    resolution: str | None


@dataclass(frozen=True, slots=True)
class CaseAssigned(CaseEvent):
    owner_kind: str
    owner_id: str
    by: str
    reason: str


@dataclass(frozen=True, slots=True)
class CaseDepartmentInvolved(CaseEvent):
    department: str
    by: str


@dataclass(frozen=True, slots=True)
class CaseLinked(CaseEvent):
    """``kind`` is ``conversation``, ``contact``, ``work_item`` or ``case``; ``channel`` the
    contact's channel when known."""

    kind: str
    target_id: str
    channel: str | None
    by: str


@dataclass(frozen=True, slots=True)
class CaseNoteAdded(CaseEvent):
    """A note; ``internal`` notes are never shown to the customer and answer nobody."""

    note_id: str
    author: str
    text: str
    internal: bool


@dataclass(frozen=True, slots=True)
class CaseFieldsChanged(CaseEvent):
    """New values of some admin-defined fields (the others keep theirs)."""

    fields: Mapping[str, FieldValue]
    by: str


@dataclass(frozen=True, slots=True)
class CaseClassified(CaseEvent):
    """The case type or the customer's value tier changed; SLA targets follow."""

    case_type: str
    value_tier: int
    by: str


@dataclass(frozen=True, slots=True)
class CaseResponded(CaseEvent):
    """An agent answered the customer (not an internal note): stops the first-response clock."""

    by: str
    channel: str


@dataclass(frozen=True, slots=True)
class CasePriorityChanged(CaseEvent):
    priority: int
    by: str
    reason: str


@dataclass(frozen=True, slots=True)
class CaseEscalated(CaseEvent):
    """Escalation step ``step`` of the SLA policy was taken for ``clock``; never repeated."""

    clock: str
    step: int
    action: str
    to: str | None


_TYPES: dict[str, type[CaseEvent]] = {
    cls.__name__: cls
    for cls in (
        CaseOpened,
        CaseStateChanged,
        CaseAssigned,
        CaseDepartmentInvolved,
        CaseLinked,
        CaseNoteAdded,
        CaseFieldsChanged,
        CaseClassified,
        CaseResponded,
        CasePriorityChanged,
        CaseEscalated,
    )
}


def _decode(_cls: type[CaseEvent], raw: dict[str, Any]) -> None:
    if isinstance(raw.get("fields"), Mapping):
        raw["fields"] = MappingProxyType(dict(raw["fields"]))


CODEC: EventCodec[CaseEvent] = EventCodec(_TYPES.values(), family="case ", decode=_decode)
"""The JSON form of these events (:class:`~kefu.domain.codec.EventCodec`)."""
case_event_to_dict = CODEC.to_dict
case_event_from_dict = CODEC.from_dict
