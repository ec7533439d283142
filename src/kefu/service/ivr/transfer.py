"""The hand-off of a conversation in a flow: the queue it goes to, the contact made with
what the IVR learned, and the account the customer proved it holds (a verified identifier
in the customer store)."""

from __future__ import annotations

from kefu.domain.customers import ContactRef, Identifier, IdentifierKind
from kefu.domain.ivr import messages as m
from kefu.domain.ivr.flow import Flow
from kefu.domain.model import Channel, ContactState
from kefu.domain.routing import Router
from kefu.service.channels.errors import NoQueueForChannel
from kefu.service.channels.handlers import ChannelHandlers
from kefu.service.channels.state import ChannelState
from kefu.service.channels.types import ChannelOptions, ChannelUpdate
from kefu.service.ivr.handoff import PREFIX, path_labels, safe_attributes
from kefu.service.ivr.options import IVR_AUTHOR
from kefu.service.ivr.sessions import Session
from kefu.service.routing import commands as c
from kefu.service.transaction import Transaction

__all__ = ["hand_off", "mark_verified", "pick_queue"]


def mark_verified(state: ChannelState, tx: Transaction, session: Session, account_id: str) -> None:
    """The customer proved it holds account ``account_id``: a verified identifier of
    the conversation's customer (unless another customer holds it: left to an agent)."""
    directory = state.directory
    customer_id = directory.resolve(state.conversation(session.conversation_id).customer_id)
    ident = Identifier(IdentifierKind.ACCOUNT, account_id)
    owner = directory.find(ident)
    if owner is None:
        directory.add_identifier(customer_id, ident, at=tx.now, verified=True)
    elif directory.resolve(owner.customer_id) == customer_id:
        directory.verify_identifier(customer_id, ident, at=tx.now)


def pick_queue(
    router: Router, session: Session, wanted: str, options: ChannelOptions
) -> str | None:
    """The flow's queue when it takes this channel, else the pre-chat topic, else the
    channel's queue (as the channel would pick it)."""
    channel = Channel(session.channel)
    queues = router.queues
    for queue_id in (wanted, session.topic, options.queues.get(channel.value)):
        if queue_id and queue_id in queues and queues[queue_id].spec.channel is channel:
            return queue_id
    return next((q for q in sorted(queues) if queues[q].spec.channel is channel), None)


async def hand_off(
    core: ChannelHandlers, tx: Transaction, session: Session, flow: Flow, transfer: m.Transfer
) -> None:
    """Queue the conversation: the contact made through ``CreateContact`` with the IVR's
    attributes (masked, the path as labels), linked to the conversation and put on the
    customer's timeline; a callback when the flow offered one and the customer took it."""
    conv_id, state = session.conversation_id, core.state
    queue_id = pick_queue(tx.router, session, transfer.queue_id, core.options)
    if queue_id is None:
        raise NoQueueForChannel(
            f"no queue takes {session.channel} contacts", channel=session.channel
        )
    conv = state.conversation(conv_id)
    customer_id = state.directory.resolve(conv.customer_id)
    customer = state.directory.get(customer_id)
    route = state.routes.get(conv_id)
    attributes = {
        "customer": customer.name or (route.name or route.address if route else customer_id),
        "customer_id": customer_id,
        "conversation_id": conv_id,
        "channel": session.channel,
        **safe_attributes(transfer.attributes),
    }
    path = transfer.attributes.get(PREFIX + "path", "")
    attributes[PREFIX + "path.text"] = path_labels(flow, path, session.state.language)
    for key, value in session.metadata.items():
        if not key.startswith("ivr"):
            attributes.setdefault(key, value[:200])
    for key, value in core.contact_attributes(tx, customer_id).items():
        attributes.setdefault(key, value)
    made = await tx.dispatch(
        c.CreateContact(
            queue_id,
            value_tier=customer.value_tier,
            customer_id=customer_id,
            attributes=attributes,
        )
    )
    contact_id = str(made["contact_id"])
    state.link_contact(conv_id, contact_id, tx.now)
    first = next((msg for msg in conv.messages if msg.author != IVR_AUTHOR), None)
    summary = "" if first is None else first.text.replace("\n", " ")[:80]
    ref = ContactRef(contact_id, session.channel, tx.now, summary, None, conv_id)
    state.directory.record_contact(customer_id, ref, at=tx.now)
    contact = tx.router.contacts[contact_id]
    if transfer.callback and contact.state is ContactState.QUEUED:
        number = route.address if route is not None and session.channel == "sms" else None
        await tx.dispatch(c.RequestCallback(contact_id, number))
    core.tell(tx, ChannelUpdate("contact", conv_id, contact_id))
