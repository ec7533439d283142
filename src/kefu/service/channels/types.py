"""Values of the channel service: its options, where an inbound message went, the
updates its listeners hear, an agent's note and a suggested merge."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from kefu.domain.model import Channel

__all__ = ["ChannelOptions", "ChannelUpdate", "Listener", "Note", "Receipt", "Suggestion"]


@dataclass(frozen=True, slots=True)
class ChannelOptions:
    """``queues``: a recipient address (mailbox, number) or a channel name → the queue
    its new contacts go to (otherwise the first queue of the channel, by id);
    ``max_text_chars``: the longest message taken; ``wait_notice``: channels whose new
    waiting contacts are told their position and predicted wait by a message (chat shows
    it live instead); ``language``: the catalog language of the texts sent to a customer
    whose language is neither recorded nor told by their messages (the site's default)."""

    queues: Mapping[str, str] = field(default_factory=dict)
    max_text_chars: int = 20_000
    wait_notice: frozenset[Channel] = frozenset({Channel.SMS})
    language: str = "zh_Hans"


@dataclass(frozen=True, slots=True)
class Receipt:
    """Where an inbound message went: the customer, the conversation, its contact; whether
    it ``joined`` an open conversation or was a ``duplicate`` (already taken: ignored)."""

    customer_id: str
    conversation_id: str
    contact_id: str | None
    joined: bool
    duplicate: bool = False
    new_customer: bool = False


@dataclass(frozen=True, slots=True)
class ChannelUpdate:
    """A stored change for listeners: ``kind`` is ``message``, ``note``, ``closed``,
    ``delivery``, ``contact``, ``customer`` (merged or split), ``survey`` (a follow-up
    survey of a closed chat: its status changes) or (not stored) ``typing``;
    ``who`` says who types or writes; ``seq`` is a message's number in its conversation
    (1, 2, ...); ``agent_id`` the agent holding the contact once the change was made
    (read under the engine's lock, so listeners need not read the router)."""

    kind: str
    conversation_id: str
    contact_id: str | None = None
    who: str = ""
    seq: int = 0
    agent_id: str | None = None


Listener = Callable[[ChannelUpdate], None]


@dataclass(frozen=True, slots=True)
class Note:
    """An agent's note on a conversation (``kind`` ``note``), or the hand-off note of a
    transfer (``transfer``, naming the ``target`` queue or agent)."""

    author: str
    text: str
    at: float
    kind: str = "note"
    target: str = ""


@dataclass(frozen=True, slots=True)
class Suggestion:
    """An identifier the customer typed that another customer holds: the agent may check
    it and merge the two (never done automatically)."""

    kind: str
    value: str
    customer_id: str
