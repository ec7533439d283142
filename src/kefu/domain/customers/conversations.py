"""Conversations: the messages of one customer on one topic, across their contacts.

Every inbound message either *joins* an open conversation (the agent holding it sees the new
message; no new routing) or opens a *new* conversation, which is a new contact for the router.
:meth:`ConversationBook.receive` decides, in this order:

1. **Thread**: the message names earlier messages (e-mail ``In-Reply-To``/``References``, a
   social reply's parent post, a chat session id). The first reference known to the book whose
   conversation belongs to the same customer (through merges) decides: open → join; closed →
   a new conversation that ``follows`` it. References into another customer's conversation are
   ignored (a forwarded mail must not reveal someone else's thread).
2. **Open conversation on the same channel**: the customer's open conversation on that channel
   with the latest activity, if that activity is at most the channel's join window ago and the
   topics agree (a missing topic agrees with any). Windows: chat 2 h, SMS and social 24 h;
   e-mail, voice, callback, branch and work items 0, i.e. they join by thread only (a new e-mail
   without references is a new contact).
3. Otherwise a **new** conversation.

Closing is explicit (:meth:`ConversationBook.close`, e.g. at the contact's wrap-up) or by
inactivity (:meth:`ConversationBook.close_idle`). Times are seconds; ``at`` is passed in.

A conversation handed over from another routing domain is *adopted* with its messages as
they were (:meth:`ConversationBook.adopt`); the customer's next message joins it by the
rule above.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType

from kefu.domain.customers.errors import ConversationClosed, UnknownConversation
from kefu.domain.errors import ValidationError
from kefu.domain.model import Channel

__all__ = [
    "DEFAULT_JOIN_WINDOW_S",
    "AttachmentMeta",
    "Conversation",
    "ConversationBook",
    "Direction",
    "JoinPolicy",
    "Message",
    "Placement",
]

HOUR = 3600.0

DEFAULT_JOIN_WINDOW_S: Mapping[Channel, float] = MappingProxyType(
    {Channel.CHAT: 2 * HOUR, Channel.SMS: 24 * HOUR, Channel.SOCIAL: 24 * HOUR}
)
"""Seconds after a conversation's last activity during which a new message on the same channel
joins it; channels not listed join by thread only."""


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


@dataclass(frozen=True, slots=True)
class AttachmentMeta:
    """A stored attachment: original file name, MIME type, size in bytes and storage key."""

    filename: str
    content_type: str
    size: int
    storage_key: str


@dataclass(frozen=True, slots=True)
class Message:
    """One message. ``external_id`` is the channel's id for it (an e-mail Message-ID, a
    provider message id); ``author`` a customer id or an agent id."""

    direction: Direction
    channel: Channel
    author: str
    text: str
    at: float
    subject: str = ""
    external_id: str | None = None
    attachments: tuple[AttachmentMeta, ...] = ()


@dataclass(frozen=True, slots=True)
class Conversation:
    """A snapshot of a conversation; ``closed_at`` is ``None`` while it is open."""

    conversation_id: str
    customer_id: str
    channel: Channel
    topic: str | None
    opened_at: float
    last_activity_at: float
    messages: tuple[Message, ...]
    closed_at: float | None = None
    outcome: str | None = None
    follows: str | None = None

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    def thread_references(self) -> tuple[str, ...]:
        """External ids of its messages, oldest first (an e-mail ``References`` chain)."""
        return tuple(m.external_id for m in self.messages if m.external_id)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where an inbound message went. ``joined`` False means a new conversation, i.e. a new
    contact to route. ``reason``: ``thread``, ``open_conversation``, ``thread_closed`` or
    ``new``."""

    conversation_id: str
    joined: bool
    reason: str


@dataclass(frozen=True, slots=True)
class JoinPolicy:
    """Join windows in seconds per channel (see :data:`DEFAULT_JOIN_WINDOW_S`)."""

    windows: Mapping[Channel, float] = field(default_factory=lambda: dict(DEFAULT_JOIN_WINDOW_S))

    def __post_init__(self) -> None:
        checked: dict[Channel, float] = {}
        for channel, seconds in self.windows.items():
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
                raise ValidationError(f"join window for {channel} must be seconds ≥ 0")
            checked[Channel(channel)] = float(seconds)
        object.__setattr__(self, "windows", MappingProxyType(checked))

    def window(self, channel: Channel) -> float:
        return self.windows.get(channel, 0.0)


def _self_only(customer_id: str) -> Iterable[str]:
    return (customer_id,)


class ConversationBook:
    """Conversations and the join rule. ``identities(customer_id)`` lists the customer ids
    that are the same person (the id and those merged into it; see
    :meth:`kefu.domain.customers.CustomerDirectory.identities`)."""

    def __init__(
        self,
        policy: JoinPolicy | None = None,
        *,
        identities: Callable[[str], Iterable[str]] = _self_only,
        id_prefix: str = "conv-",
    ) -> None:
        self._policy = policy or JoinPolicy()
        self._identities = identities
        self._prefix = id_prefix
        self._convs: dict[str, Conversation] = {}
        self._thread: dict[str, str] = {}
        self._open: dict[tuple[str, Channel], set[str]] = {}
        self._by_customer: dict[str, list[str]] = {}

    def get(self, conversation_id: str) -> Conversation:
        conv = self._convs.get(conversation_id)
        if conv is None:
            raise UnknownConversation(
                f"unknown conversation {conversation_id!r}", conversation_id=conversation_id
            )
        return conv

    def by_thread(self, reference: str) -> Conversation | None:
        """The conversation that message id ``reference`` belongs to, if known."""
        conv_id = self._thread.get(reference)
        return None if conv_id is None else self._convs[conv_id]

    def for_customer(self, customer_id: str) -> tuple[Conversation, ...]:
        """The customer's conversations (through merges), latest activity first."""
        found = [
            self._convs[conv_id]
            for cid in set(self._identities(customer_id))
            for conv_id in self._by_customer.get(cid, ())
        ]
        return tuple(sorted(found, key=lambda c: -c.last_activity_at))

    def place(
        self,
        customer_id: str,
        channel: Channel,
        *,
        at: float,
        thread_refs: Iterable[str] = (),
        topic: str | None = None,
    ) -> tuple[Conversation | None, str]:
        """The conversation an inbound message would join (``None`` for a new one) and the
        reason, without changing anything."""
        ids = set(self._identities(customer_id))
        for ref in thread_refs:
            conv = self.by_thread(ref)
            if conv is not None and conv.customer_id in ids:
                return (conv, "thread_closed") if conv.is_closed else (conv, "thread")
        window = self._policy.window(channel)
        best: Conversation | None = None
        if window > 0:
            for cid in ids:
                for conv_id in self._open.get((cid, channel), ()):
                    conv = self._convs[conv_id]
                    if at - conv.last_activity_at > window:
                        continue
                    if topic is not None and conv.topic is not None and conv.topic != topic:
                        continue
                    if best is None or conv.last_activity_at > best.last_activity_at:
                        best = conv
        return (best, "open_conversation") if best is not None else (None, "new")

    def receive(
        self,
        customer_id: str,
        message: Message,
        *,
        thread_refs: Iterable[str] = (),
        topic: str | None = None,
    ) -> Placement:
        """File an inbound message by the join rule; returns where it went."""
        if message.direction is not Direction.INBOUND:
            raise ValidationError("receive() takes inbound messages; use reply() for outbound")
        conv, reason = self.place(
            customer_id, message.channel, at=message.at, thread_refs=thread_refs, topic=topic
        )
        if conv is not None and not conv.is_closed:
            self._append(conv, message, topic)
            return Placement(conv.conversation_id, True, reason)
        follows = None if conv is None else conv.conversation_id
        new_id = self._open_new(customer_id, message, topic, follows)
        return Placement(new_id, False, reason)

    def reply(self, conversation_id: str, message: Message) -> Conversation:
        """Add an outbound message (an agent's reply) to an open conversation."""
        if message.direction is not Direction.OUTBOUND:
            raise ValidationError("reply() takes outbound messages")
        conv = self.get(conversation_id)
        if conv.is_closed:
            raise ConversationClosed(
                f"conversation {conversation_id} is closed", conversation_id=conversation_id
            )
        return self._append(conv, message, None)

    def next_id(self) -> str:
        """The id the next new conversation gets."""
        return f"{self._prefix}{len(self._convs) + 1:06d}"

    def window(self, channel: Channel) -> float:
        """Seconds after its last activity during which a conversation on ``channel`` is
        joined by the customer's next message (0: by thread only)."""
        return self._policy.window(channel)

    def adopt(
        self,
        customer_id: str,
        channel: Channel,
        messages: Iterable[Message],
        *,
        topic: str | None,
        opened_at: float,
    ) -> str:
        """Open a conversation holding ``messages`` as they were (inbound and outbound, in
        order): one that another routing domain held until now (``opened_at`` seconds).
        Returns its id; its messages' ids join threads and find duplicates as any."""
        conv_id = self.next_id()
        self._convs[conv_id] = Conversation(
            conv_id, customer_id, channel, topic, opened_at, opened_at, ()
        )
        self._open.setdefault((customer_id, channel), set()).add(conv_id)
        self._by_customer.setdefault(customer_id, []).append(conv_id)
        self.carry(conv_id, messages)
        return conv_id

    def carry(self, conversation_id: str, messages: Iterable[Message]) -> Conversation:
        """Append ``messages`` as they were (either direction), open or closed: those an
        adopted conversation got in its former routing domain after it was copied."""
        conv = self.get(conversation_id)
        for message in messages:
            conv = self._append(conv, message, None)
        return conv

    def close(self, conversation_id: str, *, at: float, outcome: str | None = None) -> None:
        """Close the conversation (no change if it is closed already)."""
        conv = self.get(conversation_id)
        if not conv.is_closed:
            self._open[(conv.customer_id, conv.channel)].discard(conversation_id)
            self._convs[conversation_id] = replace(conv, closed_at=at, outcome=outcome)

    def close_idle(self, *, now: float, idle_s: float) -> tuple[str, ...]:
        """Close open conversations without activity for more than ``idle_s`` seconds."""
        if idle_s < 0:
            raise ValidationError(f"idle_s must be ≥ 0, got {idle_s}")
        stale = sorted(
            conv_id
            for ids in self._open.values()
            for conv_id in ids
            if now - self._convs[conv_id].last_activity_at > idle_s
        )
        for conv_id in stale:
            self.close(conv_id, at=now, outcome="idle")
        return tuple(stale)

    def _open_new(
        self, customer_id: str, message: Message, topic: str | None, follows: str | None
    ) -> str:
        conv_id = self.next_id()
        conv = Conversation(
            conv_id,
            customer_id,
            message.channel,
            topic,
            message.at,
            message.at,
            (),
            follows=follows,
        )
        self._convs[conv_id] = conv
        self._open.setdefault((customer_id, message.channel), set()).add(conv_id)
        self._by_customer.setdefault(customer_id, []).append(conv_id)
        self._append(conv, message, topic)
        return conv_id

    def _append(self, conv: Conversation, message: Message, topic: str | None) -> Conversation:
        updated = replace(
            conv,
            messages=(*conv.messages, message),
            last_activity_at=max(conv.last_activity_at, message.at),
            topic=conv.topic if conv.topic is not None else topic,
        )
        self._convs[conv.conversation_id] = updated
        if message.external_id and message.external_id not in self._thread:
            self._thread[message.external_id] = conv.conversation_id
        return updated
