"""What the chat socket tells a customer: the browser's current conversation, its messages
from a sequence number on, its status (waiting with position and predicted wait, served by
an agent, closed) and the topics of the pre-chat form. Run under the engine's lock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kefu.domain.customers import Identifier
from kefu.domain.model import Channel, ContactState
from kefu.service import RoutingEngine
from kefu.service.channels import ChannelState, queue_positions
from kefu.service.ivr import IVR_AUTHOR
from kefu.service.routing import queue_site

__all__ = ["current_conversation", "messages", "status", "topics"]


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
) -> list[dict[str, Any]]:
    if conv_id is None:
        return []
    conv = state.conversation(conv_id)
    out = []
    for seq, message in enumerate(conv.messages, start=1):
        if seq <= after:
            continue
        outbound = message.direction.value == "outbound"
        agent = engine.router.agents.get(message.author) if outbound else None
        # The IVR's questions are the "ivr"'s (the widget names it self-service).
        sender = "ivr" if outbound and message.author == IVR_AUTHOR else "agent"
        out.append(
            {
                "seq": seq,
                "from": sender if outbound else "customer",
                "name": (agent.spec.name or agent.agent_id) if agent is not None else "",
                "text": message.text,
                "at": message.at,
            }
        )
    return out


def status(
    engine: RoutingEngine,
    state: ChannelState,
    conv_id: str | None,
    cache: dict[str, dict[str, tuple[int, float | None]]],
    ivr: Callable[[str], dict[str, Any] | None] | None = None,
    survey: Callable[[str], str | None] | None = None,
) -> dict[str, Any]:
    """The conversation's status; ``ivr`` gives that of a conversation in a flow (state
    ``ivr`` with the question and its buttons), ``survey`` the link of a closed
    conversation's open follow-up survey (the chat's end screen offers it)."""
    if conv_id is None:
        return {"state": "new"}
    conv = state.conversation(conv_id)
    if conv.is_closed:
        link = None if survey is None else survey(conv_id)
        closed: dict[str, Any] = {"state": "closed", "outcome": conv.outcome}
        return closed if link is None else {**closed, "survey": link}
    contact_id = state.contact_of.get(conv_id)
    router = engine.router
    contact = router.contacts.get(contact_id) if contact_id else None
    if contact is None:
        in_flow = None if ivr is None else ivr(conv_id)
        return in_flow if in_flow is not None else {"state": "closed"}
    if contact.state is ContactState.QUEUED:
        if contact.queue_id not in cache:
            cache[contact.queue_id] = queue_positions(router, contact.queue_id)
        position, wait = cache[contact.queue_id].get(contact.contact_id, (1, None))
        return {
            "state": "queued",
            "position": position,
            "ahead": position - 1,
            "estimated_wait_s": None if wait is None else round(wait),
        }
    agent = router.agents.get(contact.agent_id) if contact.agent_id else None
    name = (agent.spec.name or agent.agent_id) if agent is not None else ""
    shown = "active" if contact.state is ContactState.ACTIVE else contact.state.value
    return {"state": shown, "agent": name}


def topics(engine: RoutingEngine, site_id: str | None = None) -> list[dict[str, str]]:
    """The chat queues a widget offers: those of ``site_id`` (owned or shared), or every
    chat queue when the widget names no site."""
    queues = engine.router.queues
    out = []
    for q in sorted(queues):
        if queues[q].spec.channel is not Channel.CHAT:
            continue
        owner, shared = queue_site(engine, q)
        if site_id is None or owner == site_id or shared:
            out.append({"id": q, "name": queues[q].spec.name or q})
    return out
