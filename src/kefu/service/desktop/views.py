"""The agent desktop's read models: one agent's screen, as frozen dataclasses.

:class:`DesktopScreen` is built under the engine's lock by
:func:`kefu.service.desktop.desktop_view`; its :meth:`~DesktopScreen.to_json` is what
``GET /api/v1/desktop`` answers and the ``view`` of the page's ``desktop`` frame (the keys
and their order are the page's contract, tested byte for byte), and may be called after the
lock is released. Instants are seconds since the epoch, durations seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from kefu.domain.routing.records import AgentRecord, ContactRecord
from kefu.domain.tiers import customer_tier
from kefu.service.channels.read_models import (
    ConversationView,
    CustomerPanel,
    IdentifierView,
    MessageView,
)
from kefu.service.ivr.handoff import IvrPanel

__all__ = [
    "AgentTarget",
    "ContactFigures",
    "CustomerBrief",
    "DeskAgent",
    "DesktopScreen",
    "DomainQueueTarget",
    "HeldContact",
    "OfferedContact",
    "Phrase",
    "QueueTarget",
    "Vocabulary",
]


@dataclass(frozen=True, slots=True)
class CustomerBrief:
    """A customer known to the directory (without its timeline), else what the contact
    carries (a name, no tier, no identifiers)."""

    customer_id: str | None
    name: str
    value_tier: int | None
    identifiers: tuple[IdentifierView, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "name": self.name,
            "value_tier": self.value_tier,
            "identifiers": [i.to_json() for i in self.identifiers],
        }


@dataclass(frozen=True, slots=True)
class ContactFigures:
    """A contact as the router holds it (:meth:`ContactRecord.snapshot`'s fields)."""

    contact_id: str
    queue_id: str
    channel: str
    state: str
    value_tier: int
    priority: int
    customer_id: str | None
    attributes: Mapping[str, str]
    agent_id: str | None
    offer_id: str | None
    step: int
    callback: bool
    on_hold: bool
    first_queued_at: float
    answered_at: float | None
    estimated_wait_s: float | None
    notes: tuple[str, ...]
    path: tuple[str, ...]

    @classmethod
    def of(cls, contact: ContactRecord) -> ContactFigures:
        return cls(
            contact_id=contact.contact_id,
            queue_id=contact.queue_id,
            channel=contact.channel.value,
            state=contact.state.value,
            value_tier=customer_tier(contact.value_tier, contact.attributes),
            priority=contact.priority,
            customer_id=contact.customer_id,
            attributes=dict(contact.attributes),
            agent_id=contact.agent_id,
            offer_id=contact.offer_id,
            step=contact.step,
            callback=contact.callback,
            on_hold=contact.on_hold,
            first_queued_at=contact.first_queued_at,
            answered_at=contact.answered_at,
            estimated_wait_s=contact.estimated_wait_s,
            notes=tuple(contact.notes),
            path=tuple(contact.path),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "contact_id": self.contact_id,
            "queue_id": self.queue_id,
            "channel": self.channel,
            "state": self.state,
            "value_tier": self.value_tier,
            "priority": self.priority,
            "customer_id": self.customer_id,
            "attributes": dict(self.attributes),
            "agent_id": self.agent_id,
            "offer_id": self.offer_id,
            "step": self.step,
            "callback": self.callback,
            "on_hold": self.on_hold,
            "first_queued_at": self.first_queued_at,
            "answered_at": self.answered_at,
            "estimated_wait_s": self.estimated_wait_s,
            "notes": list(self.notes),
            "path": list(self.path),
        }


def _shown(
    contact: ContactFigures, queue_name: str, ivr: IvrPanel | None, canned_hidden: tuple[str, ...]
) -> dict[str, Any]:
    out = contact.to_json()
    out["queue_name"] = queue_name
    out["ivr"] = None if ivr is None else ivr.to_json()
    out["canned_hidden"] = list(canned_hidden)
    return out


@dataclass(frozen=True, slots=True)
class OfferedContact:
    """A contact offered to the agent: its queue's name, what the IVR learned (shown
    first), canned replies not to send (what the IVR verified is never asked again), the
    offer's deadline and the seconds left, the customer and its language (``"zh"``,
    ``"en"`` or None, :func:`~kefu.service.desktop.customer_language`)."""

    contact: ContactFigures
    queue_name: str
    ivr: IvrPanel | None
    canned_hidden: tuple[str, ...]
    expires_at: float
    seconds_left: float
    customer: CustomerBrief
    language: str | None

    def to_json(self) -> dict[str, Any]:
        out = _shown(self.contact, self.queue_name, self.ivr, self.canned_hidden)
        out["expires_at"] = self.expires_at
        out["seconds_left"] = self.seconds_left
        out["customer"] = self.customer.to_json()
        out["language"] = self.language
        return out


@dataclass(frozen=True, slots=True)
class HeldContact:
    """A contact the agent took (active or in wrap-up): as an offer without the deadline,
    with its conversation (None for a call or a work item) and the customer panel (a
    brief without a conversation)."""

    contact: ContactFigures
    queue_name: str
    ivr: IvrPanel | None
    canned_hidden: tuple[str, ...]
    conversation: ConversationView | None
    customer: CustomerPanel | CustomerBrief
    language: str | None

    def with_messages(self, extra: tuple[MessageView, ...]) -> HeldContact:
        """The contact with ``extra`` messages after those of its conversation."""
        if self.conversation is None or not extra:
            return self
        conversation = replace(self.conversation, messages=self.conversation.messages + extra)
        return replace(self, conversation=conversation)

    def to_json(self) -> dict[str, Any]:
        out = _shown(self.contact, self.queue_name, self.ivr, self.canned_hidden)
        out["conversation"] = None if self.conversation is None else self.conversation.to_json()
        out["customer"] = self.customer.to_json()
        out["language"] = self.language
        return out


@dataclass(frozen=True, slots=True)
class DeskAgent:
    """The agent at the desktop: presence, not-ready reason, the presence it goes to once
    its contacts end (``pending``), activity and since when it is in its state."""

    agent_id: str
    name: str
    site_id: str | None
    presence: str
    reason: str | None
    pending: str | None
    activity: str
    state_since: float

    @classmethod
    def of(cls, record: AgentRecord) -> DeskAgent:
        return cls(
            agent_id=record.agent_id,
            name=record.spec.name or record.agent_id,
            site_id=record.spec.site_id,
            presence=record.presence.value,
            reason=record.reason,
            pending=None if record.pending is None else record.pending[0].value,
            activity=record.activity,
            state_since=record.state_since,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "name": self.name,
            "site_id": self.site_id,
            "presence": self.presence,
            "reason": self.reason,
            "pending": self.pending,
            "activity": self.activity,
            "state_since": self.state_since,
        }


@dataclass(frozen=True, slots=True)
class QueueTarget:
    """A queue the agent may transfer to (its site's or a shared one)."""

    queue_id: str
    name: str
    channel: str

    def to_json(self) -> dict[str, Any]:
        return {"queue_id": self.queue_id, "name": self.name, "channel": self.channel}


@dataclass(frozen=True, slots=True)
class DomainQueueTarget:
    """A queue of another routing domain of the cluster, a hand-over target."""

    domain: str
    queue_id: str
    name: str
    channel: str

    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "queue_id": self.queue_id,
            "name": self.name,
            "channel": self.channel,
        }


@dataclass(frozen=True, slots=True)
class AgentTarget:
    """Another agent of the site, a transfer target."""

    agent_id: str
    name: str
    presence: str
    activity: str

    def to_json(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "name": self.name,
            "presence": self.presence,
            "activity": self.activity,
        }


@dataclass(frozen=True, slots=True)
class DesktopScreen:
    """Everything one agent's screen shows, read at ``at``: the agent, its offers, the
    contacts it holds, the queues and agents it may transfer to, and (in a cluster) the
    other routing domains' queues it may hand a contact over to."""

    at: float
    agent: DeskAgent
    offers: tuple[OfferedContact, ...]
    contacts: tuple[HeldContact, ...]
    queues: tuple[QueueTarget, ...]
    agents: tuple[AgentTarget, ...]
    domains: tuple[DomainQueueTarget, ...] = ()

    @property
    def agent_id(self) -> str:
        return self.agent.agent_id

    def same_as(self, other: DesktopScreen | None) -> bool:
        """Whether ``other`` shows the same thing (the instant aside)."""
        return other is not None and replace(other, at=self.at) == self

    def to_json(self) -> dict[str, Any]:
        """The screen as JSON; ``domains`` only in a cluster (one process's frames stay
        as they were, byte for byte)."""
        out = {
            "at": self.at,
            "agent": self.agent.to_json(),
            "offers": [o.to_json() for o in self.offers],
            "contacts": [c.to_json() for c in self.contacts],
            "queues": [q.to_json() for q in self.queues],
            "agents": [a.to_json() for a in self.agents],
        }
        if self.domains:
            out["domains"] = [d.to_json() for d in self.domains]
        return out


@dataclass(frozen=True, slots=True)
class Phrase:
    """A code of one ``kind`` (``reason``, ``disposition``, ``tier``, ``canned``) with its
    text per language (``texts``: ``en``, ``zh``), the queues a canned reply is offered in
    (``queues``; empty: all) and whether it is in use. ``key`` names the shipped catalog
    text of a default code (``vocab.<kind>.<code>``), the label a page falls back to."""

    kind: str
    code: str
    texts: Mapping[str, str] = field(default_factory=dict)
    queues: tuple[str, ...] = ()
    active: bool = True

    @property
    def key(self) -> str:
        return f"vocab.{self.kind}.{self.code}"

    def to_dict(self) -> dict[str, Any]:
        """What a desktop reads: the code, its catalog key, its texts and queues."""
        return {
            "code": self.code,
            "key": self.key,
            "text": dict(self.texts),
            "queues": list(self.queues),
        }

    def to_record(self) -> dict[str, Any]:
        """The JSON form the channel log and the audit log keep."""
        return {
            "kind": self.kind,
            "code": self.code,
            "texts": dict(self.texts),
            "queues": list(self.queues),
            "active": self.active,
        }

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> Phrase:
        return cls(
            str(data["kind"]),
            str(data["code"]),
            {str(k): str(v) for k, v in dict(data.get("texts", {})).items()},
            tuple(str(q) for q in data.get("queues", ())),
            bool(data.get("active", True)),
        )


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Not-ready reasons, disposition codes, canned replies and value tiers: codes with
    the catalog keys of their labels (the pages hold every language's catalog)."""

    reasons: tuple[Phrase, ...]
    dispositions: tuple[Phrase, ...]
    canned: tuple[Phrase, ...]
    tiers: tuple[Phrase, ...]

    def to_json(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "reasons": [p.to_dict() for p in self.reasons],
            "dispositions": [p.to_dict() for p in self.dispositions],
            "canned": [p.to_dict() for p in self.canned],
            "tiers": [p.to_dict() for p in self.tiers],
        }
