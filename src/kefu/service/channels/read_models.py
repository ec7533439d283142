"""The channels' read models: a conversation with its messages, notes and suggestions, and
the customer panel with its timeline and merges, as frozen dataclasses.

They are built under the engine's lock (:mod:`kefu.service.channels.views`); their
``to_json`` is what the API and the pages send (the keys and their order are the pages'
contract, tested byte for byte) and may be called after the lock is released. Instants
are seconds since the epoch, sizes bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kefu.domain.customers import Customer, MergeRecord
from kefu.service.channels.ports import Route
from kefu.service.channels.profile_views import ProfileView

__all__ = [
    "AttachmentView",
    "ConversationView",
    "CustomerFound",
    "CustomerPanel",
    "CustomerSummary",
    "IdentifierView",
    "MergeView",
    "MessageView",
    "NoteView",
    "SuggestionView",
    "TimelineEntry",
    "WaitInfo",
]


@dataclass(frozen=True, slots=True)
class WaitInfo:
    """A waiting contact's place in line (``position`` 1 = next, ``ahead`` = those before
    it) and its predicted wait in seconds (None when nobody staffs the queue)."""

    position: int
    ahead: int
    estimated_wait_s: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "ahead": self.ahead,
            "estimated_wait_s": self.estimated_wait_s,
        }


@dataclass(frozen=True, slots=True)
class AttachmentView:
    """An attachment's metadata (its bytes are served apart); ``size`` in bytes."""

    filename: str
    content_type: str
    size: int

    def to_json(self) -> dict[str, Any]:
        return {"filename": self.filename, "content_type": self.content_type, "size": self.size}


@dataclass(frozen=True, slots=True)
class MessageView:
    """Message number ``seq`` (1 = the first) of a conversation, with its author's display
    name and, for a reply, its delivery state and the provider's reason of a failure."""

    seq: int
    direction: str
    author: str
    author_name: str
    text: str
    at: float
    subject: str
    external_id: str | None
    delivery: str | None
    delivery_reason: str | None
    attachments: tuple[AttachmentView, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "direction": self.direction,
            "author": self.author,
            "author_name": self.author_name,
            "text": self.text,
            "at": self.at,
            "subject": self.subject,
            "external_id": self.external_id,
            "delivery": self.delivery,
            "delivery_reason": self.delivery_reason,
            "attachments": [a.to_json() for a in self.attachments],
        }


@dataclass(frozen=True, slots=True)
class NoteView:
    """An internal note (or a transfer's hand-off note, ``kind``) on a conversation."""

    author: str
    author_name: str
    text: str
    at: float
    kind: str
    target: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "author": self.author,
            "author_name": self.author_name,
            "text": self.text,
            "at": self.at,
            "kind": self.kind,
            "target": self.target,
        }


@dataclass(frozen=True, slots=True)
class SuggestionView:
    """Another customer holding an identifier this conversation's customer gave;
    ``cross_site`` (merging needs an admin) only where a viewer was checked."""

    kind: str
    value: str
    customer_id: str
    cross_site: bool | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "value": self.value}
        out["customer_id"] = self.customer_id
        if self.cross_site is not None:
            out["cross_site"] = self.cross_site
        return out


@dataclass(frozen=True, slots=True)
class ConversationView:
    """A conversation: its messages, notes, reply route, contact and the contact's state."""

    conversation_id: str
    customer_id: str
    channel: str
    topic: str | None
    opened_at: float
    closed_at: float | None
    outcome: str | None
    follows: str | None
    contact_id: str | None
    contact_state: str | None
    agent_id: str | None
    route: Route | None
    messages: tuple[MessageView, ...]
    notes: tuple[NoteView, ...]
    suggestions: tuple[SuggestionView, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "customer_id": self.customer_id,
            "channel": self.channel,
            "topic": self.topic,
            "opened_at": self.opened_at,
            "closed_at": self.closed_at,
            "outcome": self.outcome,
            "follows": self.follows,
            "contact_id": self.contact_id,
            "contact_state": self.contact_state,
            "agent_id": self.agent_id,
            "route": None if self.route is None else self.route.to_dict(),
            "messages": [m.to_json() for m in self.messages],
            "notes": [n.to_json() for n in self.notes],
            "suggestions": [s.to_json() for s in self.suggestions],
        }


@dataclass(frozen=True, slots=True)
class IdentifierView:
    """One of a customer's identifiers and whether it was verified."""

    kind: str
    value: str
    verified: bool

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value, "verified": self.verified}

    @staticmethod
    def all_of(customer: Customer) -> tuple[IdentifierView, ...]:
        return tuple(
            IdentifierView(i.kind.value, i.value, i in customer.verified)
            for i in customer.identifiers
        )


@dataclass(frozen=True, slots=True)
class CustomerSummary:
    """A customer as the directory knows it."""

    customer_id: str
    name: str
    value_tier: int
    segment: str | None
    created_at: float
    merged_into: str | None
    identifiers: tuple[IdentifierView, ...]

    @classmethod
    def of(cls, customer: Customer) -> CustomerSummary:
        return cls(
            customer.customer_id,
            customer.name,
            customer.value_tier,
            customer.segment,
            customer.created_at,
            customer.merged_into,
            IdentifierView.all_of(customer),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "name": self.name,
            "value_tier": self.value_tier,
            "segment": self.segment,
            "created_at": self.created_at,
            "merged_into": self.merged_into,
            "identifiers": [i.to_json() for i in self.identifiers],
        }


@dataclass(frozen=True, slots=True)
class CustomerFound:
    """A customer a search found: what the directory knows of it, its sites (those of its
    contacts' queues) and the time of its latest contact (None without one)."""

    customer: CustomerSummary
    sites: tuple[str, ...]
    last_contact_at: float | None

    @property
    def customer_id(self) -> str:
        return self.customer.customer_id

    @property
    def name(self) -> str:
        return self.customer.name

    @property
    def identifiers(self) -> tuple[IdentifierView, ...]:
        return self.customer.identifiers

    def to_json(self) -> dict[str, Any]:
        out = self.customer.to_json()
        out["sites"] = list(self.sites)
        out["last_contact_at"] = self.last_contact_at
        return out


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One contact on the customer's timeline; ``outcome`` is the live state until one is
    recorded; ``recording``: ``kept`` when its call recording can be played, why it was
    deleted (``retention``), or None (no recording)."""

    contact_id: str
    channel: str
    at: float
    summary: str
    outcome: str | None
    conversation_id: str | None
    agent_id: str | None
    queue_id: str | None
    recording: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "contact_id": self.contact_id,
            "channel": self.channel,
            "at": self.at,
            "summary": self.summary,
            "outcome": self.outcome,
            "conversation_id": self.conversation_id,
            "agent_id": self.agent_id,
            "queue_id": self.queue_id,
            "recording": self.recording,
        }


@dataclass(frozen=True, slots=True)
class MergeView:
    """A merge of two customers (``undone_at`` once undone)."""

    merge_id: str
    survivor_id: str
    merged_id: str
    agent_id: str | None
    reason: str
    forced: bool
    at: float
    undone_at: float | None

    @classmethod
    def of(cls, m: MergeRecord) -> MergeView:
        return cls(
            m.merge_id, m.survivor_id, m.merged_id, m.agent_id, m.reason, m.forced, m.at,
            m.undone_at,
        )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return {
            "merge_id": self.merge_id,
            "survivor_id": self.survivor_id,
            "merged_id": self.merged_id,
            "agent_id": self.agent_id,
            "reason": self.reason,
            "forced": self.forced,
            "at": self.at,
            "undone_at": self.undone_at,
        }


@dataclass(frozen=True, slots=True)
class CustomerPanel:
    """The customer (following merges) with one timeline of every channel's contacts,
    newest first, the channels it used and its merges."""

    customer: CustomerSummary
    timeline: tuple[TimelineEntry, ...]
    merges: tuple[MergeView, ...]
    profile: ProfileView | None = None

    @property
    def customer_id(self) -> str:
        return self.customer.customer_id

    @property
    def name(self) -> str:
        return self.customer.name

    @property
    def channels(self) -> list[str]:
        return sorted({t.channel for t in self.timeline})

    def to_json(self) -> dict[str, Any]:
        out = self.customer.to_json()
        out["timeline"] = [t.to_json() for t in self.timeline]
        out["channels"] = self.channels
        out["merges"] = [m.to_json() for m in self.merges]
        if self.profile is not None:
            out["profile"] = self.profile.to_json()
        return out
