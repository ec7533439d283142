"""Conversations that move between routing domains with their contact (a chat handed over
from one region to another), as data and as records of the channel log.

The leaving domain copies the conversation (:func:`carry_out`) into a
:class:`CarriedConversation`: its messages as they were (the customer's marked
:data:`CUSTOMER`, its agents' named ``<agent>@<domain>``, since neither id means anything
in the other domain), its notes, its reply route, the customer's name and identifiers
(the chat's token first). Only a chat moves: an e-mail's or a message's next part comes
through this domain's mailboxes and numbers, and attachments stay in this domain's
storage (:class:`~kefu.service.errors.ConversationStays`).

Records (stream ``conversation``, subject the conversation):

- ``adopted`` (the receiving domain): the conversation opened with the messages carried,
  its route and notes, and where it came from (:class:`Adopted`);
- ``carried``: messages the former domain got after its first copy, appended;
- ``moved`` (the leaving domain): where the conversation went (:class:`Moved`); it is
  closed in the same command.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from kefu.domain.customers import (
    Conversation,
    ConversationBook,
    CustomerDirectory,
    Direction,
    Identifier,
    IdentifierKind,
    Message,
)
from kefu.domain.model import Channel
from kefu.domain.routing import Router
from kefu.service.channels.codec import message_from_dict, message_to_dict
from kefu.service.channels.ports import ChannelRecord, Route
from kefu.service.channels.types import Note
from kefu.service.errors import AttachmentsStay, ConversationStays

__all__ = [
    "CUSTOMER",
    "MOVE_KINDS",
    "Adopted",
    "CarriedConversation",
    "MoveBook",
    "Moved",
    "MovingState",
    "adopt",
    "carried_from_dict",
    "carried_to_dict",
    "carry_more",
    "carry_out",
    "mark_moved",
    "moved_away",
]

log = logging.getLogger(__name__)

CUSTOMER = "customer"
"""The author of the customer's messages while they travel (each domain has its own id)."""
MOVE_KINDS = frozenset({"adopted", "carried", "moved"})


@dataclass(frozen=True, slots=True)
class CarriedConversation:
    """A conversation leaving routing domain ``from_domain``, where it is
    ``conversation_id`` (see the module doc); ``note``: the hand-off note; ``opened_at``
    seconds since the epoch."""

    from_domain: str
    conversation_id: str
    channel: Channel
    topic: str | None
    opened_at: float
    customer_name: str
    identifiers: tuple[Identifier, ...]
    route: Route
    messages: tuple[Message, ...]
    notes: tuple[Note, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class Adopted:
    """A conversation that came from ``from_domain`` (there ``from_conversation``), with
    the number of messages that domain ``carried``."""

    from_domain: str
    from_conversation: str
    carried: int


@dataclass(frozen=True, slots=True)
class Moved:
    """A conversation that left for routing domain ``domain``: there it is
    ``conversation_id`` of contact ``contact_id`` in queue ``queue_id``; ``at`` seconds."""

    domain: str
    queue_id: str
    conversation_id: str
    contact_id: str
    at: float


class MovingState(Protocol):
    """What of :class:`kefu.service.channels.state.ChannelState` a move reads and changes
    (that module logs the move's records and applies them here)."""

    book: ConversationBook
    directory: CustomerDirectory
    routes: dict[str, Route]
    notes: dict[str, list[Note]]
    moves: MoveBook

    def conversation(self, conv_id: str) -> Conversation: ...

    def change(self, at: float, kind: str, conv_id: str, data: dict[str, Any]) -> None: ...


def _note_to(note: Note) -> dict[str, Any]:
    return {
        "author": note.author,
        "text": note.text,
        "at": note.at,
        "kind": note.kind,
        "target": note.target,
    }


def _note_from(data: Mapping[str, Any]) -> Note:
    at = float(data["at"])
    return Note(str(data["author"]), str(data["text"]), at, str(data["kind"]), str(data["target"]))


def carried_to_dict(carried: CarriedConversation) -> dict[str, Any]:
    """The JSON-ready form of ``carried`` (between routers, and in the ``adopted`` record)."""
    return {
        "from_domain": carried.from_domain,
        "conversation_id": carried.conversation_id,
        "channel": carried.channel.value,
        "topic": carried.topic,
        "opened_at": carried.opened_at,
        "customer_name": carried.customer_name,
        "identifiers": [[i.kind.value, i.value] for i in carried.identifiers],
        "route": carried.route.to_dict(),
        "messages": [message_to_dict(m) for m in carried.messages],
        "notes": [_note_to(n) for n in carried.notes],
        "note": carried.note,
    }


def carried_from_dict(data: Mapping[str, Any]) -> CarriedConversation:
    """The conversation of :func:`carried_to_dict`'s form; a ``KeyError``, ``TypeError``
    or ``ValueError`` for anything else."""
    topic = data["topic"]
    return CarriedConversation(
        str(data["from_domain"]),
        str(data["conversation_id"]),
        Channel(data["channel"]),
        None if topic is None else str(topic),
        float(data["opened_at"]),
        str(data["customer_name"]),
        tuple(Identifier(IdentifierKind(k), str(v)) for k, v in data["identifiers"]),
        Route.from_dict(data["route"]),
        tuple(message_from_dict(m) for m in data["messages"]),
        tuple(_note_from(n) for n in data["notes"]),
        str(data["note"]),
    )


class MoveBook:
    """Where moved conversations went (:attr:`moved`) and whence adopted ones came
    (:attr:`adopted`), by conversation id, as the records say."""

    def __init__(self) -> None:
        self.moved: dict[str, Moved] = {}
        self.adopted: dict[str, Adopted] = {}

    def apply(self, state: MovingState, record: ChannelRecord) -> None:
        """Apply one record of :data:`MOVE_KINDS` to ``state`` (its book, routes, notes)."""
        d, conv_id = record.data, record.subject_id
        if record.kind == "adopted":
            carried = carried_from_dict(d["conversation"])
            placed = state.book.adopt(
                d["customer_id"],
                carried.channel,
                carried.messages,
                topic=d["topic"],
                opened_at=carried.opened_at,
            )
            if placed != conv_id:
                log.error(
                    "channel log replay adopted a conversation as %s, not %s", placed, conv_id
                )
            state.routes[conv_id] = carried.route
            state.notes[conv_id] = list(carried.notes)
            self.adopted[conv_id] = Adopted(
                carried.from_domain, carried.conversation_id, len(carried.messages)
            )
        elif record.kind == "carried":
            messages = [message_from_dict(m) for m in d["messages"]]
            state.book.carry(conv_id, messages)
            self.adopted[conv_id] = replace(
                self.adopted[conv_id], carried=self.adopted[conv_id].carried + len(messages)
            )
        else:
            self.moved[conv_id] = Moved(
                d["domain"], d["queue_id"], d["conversation_id"], d["contact_id"], record.at
            )


def _outside(author: str, agents: Mapping[str, Any], domain: str) -> str:
    """How an author of this domain is named in another: an agent as ``<id>@<domain>``."""
    return f"{author}@{domain}" if author in agents else author


def carry_out(
    state: MovingState, router: Router, conv_id: str, contact_id: str, domain: str, note: str
) -> CarriedConversation:
    """The copy of ``conv_id`` (the conversation of ``contact_id``) leaving ``domain``
    (see the module doc); :class:`ConversationStays` for what cannot leave."""
    conv = state.conversation(conv_id)
    if conv.channel is not Channel.CHAT:
        raise ConversationStays(
            f"the {conv.channel.value} conversation of contact {contact_id} stays in this "
            "routing domain (only a chat moves to another one): transfer it inside the domain",
            contact_id=contact_id,
            conversation_id=conv_id,
            channel=conv.channel.value,
        )
    if any(m.attachments for m in conv.messages):
        raise AttachmentsStay(
            f"the conversation of contact {contact_id} has attachments, which stay in this "
            "routing domain's storage: transfer it inside the domain",
            contact_id=contact_id,
            conversation_id=conv_id,
        )
    agents = router.agents
    messages = tuple(
        replace(m, author=CUSTOMER)
        if m.direction is Direction.INBOUND
        else replace(m, author=_outside(m.author, agents, domain))
        for m in conv.messages
    )
    notes = tuple(
        replace(n, author=_outside(n.author, agents, domain)) for n in state.notes.get(conv_id, ())
    )
    route = state.routes[conv_id]
    customer = state.directory.get(state.directory.resolve(conv.customer_id))
    token = Identifier(IdentifierKind.CHAT_COOKIE, route.address)
    others = tuple(sorted(i for i in customer.identifiers if i != token))
    return CarriedConversation(
        domain,
        conv_id,
        conv.channel,
        conv.topic,
        conv.opened_at,
        customer.name,
        (token, *others),
        route,
        messages,
        notes,
        note,
    )


def _as_here(messages: tuple[Message, ...], customer_id: str) -> list[dict[str, Any]]:
    """The carried messages as this domain records them (the customer's by its id here)."""
    return [
        message_to_dict(replace(m, author=customer_id) if m.author == CUSTOMER else m)
        for m in messages
    ]


def adopt(
    state: MovingState, carried: CarriedConversation, customer_id: str, topic: str, at: float
) -> str:
    """Open the carried conversation here for ``customer_id`` (its queue here as its
    ``topic``, so the customer's next message joins it); returns its id here."""
    conv_id = state.book.next_id()
    conversation = carried_to_dict(carried)
    conversation["messages"] = _as_here(carried.messages, customer_id)
    data = {"customer_id": customer_id, "topic": topic, "conversation": conversation}
    state.change(at, "adopted", conv_id, data)
    return conv_id


def carry_more(state: MovingState, conv_id: str, carried: CarriedConversation, at: float) -> int:
    """Append the messages ``carried`` holds beyond those adopted so far (the former
    domain's copy taken again); returns how many."""
    known = state.moves.adopted[conv_id].carried
    more = carried.messages[known:]
    if more:
        customer_id = state.conversation(conv_id).customer_id
        state.change(at, "carried", conv_id, {"messages": _as_here(more, customer_id)})
    return len(more)


def mark_moved(state: MovingState, conv_id: str, moved: Moved) -> None:
    """Record where ``conv_id`` went (close it in the same command)."""
    data = {
        "domain": moved.domain,
        "queue_id": moved.queue_id,
        "conversation_id": moved.conversation_id,
        "contact_id": moved.contact_id,
    }
    state.change(moved.at, "moved", conv_id, data)


def moved_away(state: MovingState, customer_id: str, channel: Channel, at: float) -> Moved | None:
    """Where the customer's latest conversation on ``channel`` went, if it moved to another
    routing domain less than the channel's join window before ``at`` (seconds): their next
    message there belongs to it, not to a new conversation here."""
    latest = next((c for c in state.book.for_customer(customer_id) if c.channel is channel), None)
    moved = None if latest is None else state.moves.moved.get(latest.conversation_id)
    if moved is None or at - moved.at > state.book.window(channel):
        return None
    return moved
