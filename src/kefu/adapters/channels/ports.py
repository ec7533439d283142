"""The ports between channel adapters and the rest of kefu.

Adapters turn traffic into an :class:`InboundMessage` and hand it to an :class:`InboundSink`
(the server implements it; tests use a hand-written one). :class:`SeenMessages` remembers
provider message ids so a replayed delivery is ignored. Instants are seconds since the Unix
epoch.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from kefu.domain.conversations import AttachmentMeta, Direction, Message
from kefu.domain.customers import Identifier
from kefu.domain.model import Channel

__all__ = ["InMemorySeenMessages", "InboundMessage", "InboundSink", "SeenMessages"]


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A message from a customer on any channel.

    ``sender`` lists the identifiers naming the customer (an e-mail address, a phone number,
    a social handle); ``external_id`` is the channel's id for the message (an e-mail
    Message-ID, a social post id, a provider message id); ``thread_refs`` the ids of earlier
    messages it answers, most recent first; ``recipients`` the mailbox or number it was sent
    to (which can select the queue); ``received_at``/``sent_at`` are seconds.
    """

    channel: Channel
    sender: tuple[Identifier, ...]
    text: str
    received_at: float
    external_id: str
    sender_name: str = ""
    subject: str = ""
    thread_refs: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    attachments: tuple[AttachmentMeta, ...] = ()
    sent_at: float | None = None
    public: bool = False
    metadata: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    def to_message(self, author: str) -> Message:
        """The conversation message for ``author`` (the customer id it was linked to)."""
        return Message(
            Direction.INBOUND,
            self.channel,
            author,
            self.text,
            self.received_at,
            subject=self.subject,
            external_id=self.external_id,
            attachments=self.attachments,
        )


class InboundSink(Protocol):
    """Receives inbound messages. It must not block for long (it runs on the event loop of
    the SMTP listener); raising refuses the message, which the adapter answers with a
    temporary failure so the sender retries, and stores nothing."""

    def on_message(self, message: InboundMessage) -> None: ...


class SeenMessages(Protocol):
    """Provider message ids already accepted, for idempotent webhooks."""

    def claim(self, key: str, now: float) -> bool:
        """Record ``key``; ``True`` the first time, ``False`` if it was seen (a replay)."""
        ...

    def release(self, key: str) -> None:
        """Forget ``key`` (its delivery failed after the claim, so a retry must pass)."""
        ...


class InMemorySeenMessages:
    """:class:`SeenMessages` in a dictionary; keys older than ``retention_s`` seconds are
    forgotten (default 7 days, far beyond any provider's retry schedule). Thread-safe."""

    def __init__(self, retention_s: float = 7 * 86400.0) -> None:
        if retention_s <= 0:
            raise ValueError(f"retention_s must be > 0 seconds, got {retention_s}")
        self._retention = retention_s
        self._seen: dict[str, float] = {}
        self._order: deque[tuple[float, str]] = deque()
        self._lock = threading.Lock()

    def claim(self, key: str, now: float) -> bool:
        with self._lock:
            while self._order and self._order[0][0] < now - self._retention:
                at, old = self._order.popleft()
                if self._seen.get(old) == at:
                    del self._seen[old]
            if key in self._seen:
                return False
            self._seen[key] = now
            self._order.append((now, key))
            return True

    def release(self, key: str) -> None:
        with self._lock:
            self._seen.pop(key, None)

    def __contains__(self, key: object) -> bool:
        return key in self._seen

    def __len__(self) -> int:
        return len(self._seen)
