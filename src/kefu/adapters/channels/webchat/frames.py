"""What the chat socket tells a customer, as frozen dataclasses whose ``to_json`` is the
frame the widget receives (the keys and their order are the widget's contract, tested byte
for byte): the browser's current conversation, its messages from a sequence number on, its
status (new; in a flow with the question and its buttons; waiting with position and
predicted wait; served by an agent; closed; moved to another routing domain), the topics
of the pre-chat form, and the frames around them (welcome, ack, message, status, typing,
error). Read under the engine's lock; instants are seconds since the epoch, waits whole
seconds."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from kefu.domain.customers import Identifier
from kefu.domain.model import Channel, ContactState
from kefu.service import RoutingEngine
from kefu.service.channels import ChannelState, queue_positions
from kefu.service.ivr import IVR_AUTHOR, IvrChatView
from kefu.service.routing import queue_site

__all__ = [
    "Ack",
    "ChatMessage",
    "ChatStatus",
    "ClosedStatus",
    "EndedStatus",
    "ErrorFrame",
    "MessageFrame",
    "MovedStatus",
    "NewStatus",
    "QueuedStatus",
    "ServedStatus",
    "StatusFrame",
    "Topic",
    "TypingFrame",
    "Welcome",
    "current_conversation",
    "messages",
    "pinned_topic",
    "status",
    "topics",
]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """Message number ``seq`` of the conversation; ``sender`` is ``customer``, ``agent``
    or ``ivr`` (the flow's questions), ``name`` the agent's display name (else empty)."""

    seq: int
    sender: str
    name: str
    text: str
    at: float

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "from": self.sender,
            "name": self.name,
            "text": self.text,
            "at": self.at,
        }


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic of the pre-chat form: a chat queue (or ``flow:<id>``) and its name."""

    id: str
    name: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


@dataclass(frozen=True, slots=True)
class NewStatus:
    """No conversation yet."""

    state: ClassVar[str] = "new"

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state}


@dataclass(frozen=True, slots=True)
class ClosedStatus:
    """The conversation is closed, with its outcome (None when none was recorded) and the
    link of its open follow-up survey (None without one; the chat's end screen offers it)."""

    state: ClassVar[str] = "closed"
    outcome: str | None
    survey: str | None = None

    def to_json(self) -> dict[str, Any]:
        closed = {"state": self.state, "outcome": self.outcome}
        return closed if self.survey is None else {**closed, "survey": self.survey}


@dataclass(frozen=True, slots=True)
class MovedStatus:
    """The conversation moved to routing domain ``domain`` with its contact, where it is
    ``conversation_id``; ``url``: the address of that domain's web nodes, where the widget
    reconnects (None when this node does not know it: the widget cannot follow)."""

    state: ClassVar[str] = "moved"
    domain: str
    conversation_id: str
    url: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "domain": self.domain,
            "conversation_id": self.conversation_id,
            "url": self.url,
        }


@dataclass(frozen=True, slots=True)
class EndedStatus:
    """The conversation is open but neither in a flow nor with a contact any more."""

    state: ClassVar[str] = "closed"

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state}


@dataclass(frozen=True, slots=True)
class QueuedStatus:
    """Waiting: ``position`` 1 = next, ``ahead`` those before, the predicted wait in whole
    seconds (None when nobody staffs the queue)."""

    state: ClassVar[str] = "queued"
    position: int
    ahead: int
    estimated_wait_s: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "position": self.position,
            "ahead": self.ahead,
            "estimated_wait_s": self.estimated_wait_s,
        }


@dataclass(frozen=True, slots=True)
class ServedStatus:
    """With an agent (``active``) or in another state of the contact (offered, on hold,
    wrap-up...); ``agent`` is the agent's display name (empty without one)."""

    state: str
    agent: str

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state, "agent": self.agent}


ChatStatus = (
    NewStatus | ClosedStatus | MovedStatus | EndedStatus | QueuedStatus | ServedStatus | IvrChatView
)


@dataclass(frozen=True, slots=True)
class Welcome:
    """The answer to ``hello``: the customer's token, the current conversation with its
    messages after the ``last_seq`` asked and its status, the topics and the flow."""

    token: str
    conversation_id: str | None
    messages: tuple[ChatMessage, ...]
    status: ChatStatus
    topics: tuple[Topic, ...]
    flow: str | None
    widget: dict[str, Any] | None = None
    """The widget's look (greeting, colour, offline form, staffed), when it has settings."""

    def to_json(self) -> dict[str, Any]:
        out = {
            "type": "welcome",
            "token": self.token,
            "conversation_id": self.conversation_id,
            "messages": [m.to_json() for m in self.messages],
            "status": self.status.to_json(),
            "topics": [t.to_json() for t in self.topics],
            "flow": self.flow,
        }
        if self.widget is not None:
            out["widget"] = self.widget
        return out


@dataclass(frozen=True, slots=True)
class Ack:
    """Message ``cseq`` of the browser is stored in ``conversation_id``."""

    cseq: int
    conversation_id: str

    def to_json(self) -> dict[str, Any]:
        return {"type": "ack", "cseq": self.cseq, "conversation_id": self.conversation_id}


@dataclass(frozen=True, slots=True)
class MessageFrame:
    """A message of the conversation the socket shows."""

    conversation_id: str
    message: ChatMessage

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "message",
            "conversation_id": self.conversation_id,
            **self.message.to_json(),
        }


@dataclass(frozen=True, slots=True)
class StatusFrame:
    """The conversation's status changed."""

    status: ChatStatus

    def to_json(self) -> dict[str, Any]:
        return {"type": "status", **self.status.to_json()}


@dataclass(frozen=True, slots=True)
class TypingFrame:
    """The agent is typing."""

    def to_json(self) -> dict[str, Any]:
        return {"type": "typing"}


@dataclass(frozen=True, slots=True)
class ErrorFrame:
    """A frame refused (``code``, an English ``message``); ``cseq`` names the refused
    message, nothing of it stored."""

    code: str
    message: str
    cseq: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "error", "code": self.code, "message": self.message}
        if self.cseq is not None:
            out["cseq"] = self.cseq
        return out


def current_conversation(state: ChannelState, ident: Identifier) -> str | None:
    """The latest chat conversation opened by this browser."""
    customer = state.directory.find(ident)
    if customer is None:
        return None
    for conv in state.book.for_customer(customer.customer_id):
        route = state.routes.get(conv.conversation_id)
        if conv.channel is Channel.CHAT and route is not None and route.address == ident.value:
            return conv.conversation_id
    return None


def messages(
    engine: RoutingEngine, state: ChannelState, conv_id: str | None, after: int
) -> tuple[ChatMessage, ...]:
    """The conversation's messages numbered from ``after + 1``."""
    if conv_id is None:
        return ()
    conv = state.conversation(conv_id)
    out = []
    for seq, message in enumerate(conv.messages, start=1):
        if seq <= after:
            continue
        outbound = message.direction.value == "outbound"
        agent = engine.router.agents.get(message.author) if outbound else None
        # The IVR's questions are the "ivr"'s (the widget names it self-service).
        sender = "ivr" if outbound and message.author == IVR_AUTHOR else "agent"
        name = (agent.spec.name or agent.agent_id) if agent is not None else ""
        out.append(
            ChatMessage(seq, sender if outbound else "customer", name, message.text, message.at)
        )
    return tuple(out)


def status(
    engine: RoutingEngine,
    state: ChannelState,
    conv_id: str | None,
    cache: dict[str, dict[str, tuple[int, float | None]]],
    ivr: Callable[[str], IvrChatView | None] | None = None,
    survey: Callable[[str], str | None] | None = None,
    urls: Mapping[str, str] | None = None,
) -> ChatStatus:
    """The conversation's status; ``ivr`` gives that of a conversation in a flow (state
    ``ivr`` with the question and its buttons), ``survey`` the link of a closed
    conversation's open follow-up survey (the chat's end screen offers it), ``urls`` the
    address of each routing domain's web nodes (where a moved conversation's widget goes)."""
    if conv_id is None:
        return NewStatus()
    conv = state.conversation(conv_id)
    moved = state.moves.moved.get(conv_id)
    if moved is not None:
        url = None if urls is None else urls.get(moved.domain)
        return MovedStatus(moved.domain, moved.conversation_id, url)
    if conv.is_closed:
        link = None if survey is None else survey(conv_id)
        return ClosedStatus(conv.outcome, link)
    contact_id = state.contact_of.get(conv_id)
    router = engine.router
    contact = router.contacts.get(contact_id) if contact_id else None
    if contact is None:
        in_flow = None if ivr is None else ivr(conv_id)
        return in_flow if in_flow is not None else EndedStatus()
    if contact.state is ContactState.QUEUED:
        if contact.queue_id not in cache:
            cache[contact.queue_id] = queue_positions(router, contact.queue_id)
        position, wait = cache[contact.queue_id].get(contact.contact_id, (1, None))
        return QueuedStatus(position, position - 1, None if wait is None else round(wait))
    agent = router.agents.get(contact.agent_id) if contact.agent_id else None
    name = (agent.spec.name or agent.agent_id) if agent is not None else ""
    shown = "active" if contact.state is ContactState.ACTIVE else contact.state.value
    return ServedStatus(shown, name)


def pinned_topic(state: ChannelState, conv_id: str | None) -> str | None:
    """The queue of an open conversation adopted from another routing domain: the
    customer's messages join it there, whatever the widget's pre-chat form chose (its
    topics are the other domain's queues)."""
    if conv_id is None or conv_id not in state.moves.adopted:
        return None
    conv = state.conversation(conv_id)
    return None if conv.is_closed else conv.topic


def topics(engine: RoutingEngine, site_id: str | None = None) -> list[Topic]:
    """The chat queues a widget offers: those of ``site_id`` (owned or shared), or every
    chat queue when the widget names no site."""
    queues = engine.router.queues
    out = []
    for q in sorted(queues):
        if queues[q].spec.channel is not Channel.CHAT:
            continue
        owner, shared = queue_site(engine, q)
        if site_id is None or owner == site_id or shared:
            out.append(Topic(q, queues[q].spec.name or q))
    return out
