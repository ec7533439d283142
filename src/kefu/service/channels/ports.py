"""Ports of the channel service: inbound traffic, the stored channel log, reply gateways.

The channel service (:mod:`kefu.service.channels`) keeps customers and conversations in
memory and stores every change as a :class:`ChannelRecord` in the transaction that stores
the routing events of the same command. Adapters implement :class:`ChannelRepository`
(SQL tables, or memory for tests) and the :class:`ReplyGateway` of each channel (SMTP relay,
SMS/social provider, the web-chat socket hub). Instants are seconds since the Unix epoch.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

from kefu.analytics.contactmap_more import MapExtras
from kefu.domain.customers import AttachmentMeta, Identifier
from kefu.domain.model import Channel

__all__ = [
    "ChannelRecord",
    "ChannelRepository",
    "ConversationRow",
    "Inbound",
    "OutboundReply",
    "ReplyGateway",
    "Route",
]


@dataclass(frozen=True, slots=True)
class Inbound:
    """A customer's message on any channel, as the service takes it.

    ``sender``: the identifiers naming the customer (linked by exact match); ``claimed``:
    identifiers the customer typed but nobody proved (a pre-chat form's e-mail), added to
    the customer only when no one else holds them; ``external_id``: the channel's id of the
    message (e-mail Message-ID, provider id, ``chat:<token>:<n>``), which makes a redelivery
    a no-op; ``thread_refs``: ids of earlier messages it answers; ``topic``: a queue id the
    customer chose (pre-chat form, kiosk service); ``recipients``: the mailbox or number it
    was sent to; ``at``: when it was received, ``sent_at`` when the sender says it sent it
    (seconds, if it says).

    Channel adapters build it from their traffic and hand it to an inbound sink; the
    service takes the same value.
    """

    channel: Channel
    sender: tuple[Identifier, ...]
    text: str
    at: float
    external_id: str
    sender_name: str = ""
    subject: str = ""
    thread_refs: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    attachments: tuple[AttachmentMeta, ...] = ()
    topic: str | None = None
    claimed: tuple[Identifier, ...] = ()
    public: bool = False
    sent_at: float | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))


@dataclass(frozen=True, slots=True)
class Route:
    """Where replies of a conversation go: the channel, the customer's ``address`` (e-mail
    address, E.164 phone, ``platform:handle``, chat token), the display ``name``, the
    first ``subject``, the center's address it came in on (``via``), the post it answers
    (``post_id``, social) and whether the exchange is ``public``."""

    channel: Channel
    address: str
    name: str = ""
    subject: str = ""
    via: str = ""
    post_id: str = ""
    public: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel.value,
            "address": self.address,
            "name": self.name,
            "subject": self.subject,
            "via": self.via,
            "post_id": self.post_id,
            "public": self.public,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Route:
        return cls(
            Channel(data["channel"]),
            str(data["address"]),
            str(data.get("name", "")),
            str(data.get("subject", "")),
            str(data.get("via", "")),
            str(data.get("post_id", "")),
            bool(data.get("public", False)),
        )


@dataclass(frozen=True, slots=True)
class ChannelRecord:
    """One entry of the channel log. ``seq`` orders customers' and conversations' entries
    together (1, 2, ...); ``stream`` is ``customer`` (a customer-directory event) or
    ``conversation``; ``subject_id`` the customer or conversation it concerns; ``data``
    its JSON-ready content."""

    seq: int
    at: float
    stream: str
    kind: str
    subject_id: str
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ConversationRow:
    """The stored projection of a conversation (for queries outside kefu)."""

    conversation_id: str
    customer_id: str
    channel: str
    topic: str | None
    opened_at: float
    last_activity_at: float
    closed_at: float | None
    outcome: str | None
    contact_id: str | None
    messages: int


class ChannelRepository(Protocol):
    def append(self, records: Sequence[ChannelRecord]) -> None:
        """Store records (their ``seq`` is new and larger than any stored)."""
        ...

    def read(self, after_seq: int = 0) -> Iterator[ChannelRecord]:
        """Every record with ``seq > after_seq``, in ``seq`` order."""
        ...

    def upsert_conversations(self, rows: Sequence[ConversationRow]) -> None: ...
    def conversation(self, conversation_id: str) -> ConversationRow | None: ...

    def claim_seen(self, key: str, at: float) -> bool:
        """Record a provider message key; False when it was recorded before."""
        ...

    def release_seen(self, key: str) -> None: ...
    def purge_seen(self, before: float) -> int:
        """Forget keys recorded before ``before``; returns how many."""
        ...

    def map_extras(self, until: float) -> MapExtras:
        """The IVR stays and the case waits on departments stored before ``until`` (s),
        each case's deadline that of its latest work item
        (:mod:`kefu.analytics.contactmap_more`)."""
        ...


@dataclass(frozen=True, slots=True)
class OutboundReply:
    """A reply to deliver: the conversation, its route, the text, the id the service gave
    it (``external_id``, e.g. the e-mail Message-ID the customer's answer will cite) and
    the thread's earlier message ids, oldest first."""

    conversation_id: str
    route: Route
    text: str
    external_id: str
    thread: tuple[str, ...] = ()
    author: str = ""


class ReplyGateway(Protocol):
    """Delivers replies on one channel."""

    def new_external_id(self) -> str:
        """A fresh id for the next reply (recorded before it is sent)."""
        ...

    async def send(self, reply: OutboundReply) -> None:
        """Deliver; raise to report a failure (the service records it for the agent)."""
        ...
