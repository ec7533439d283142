"""Handlers of the channel commands: an inbound message linked to a customer, filed into a
conversation and either joining the customer's open conversation or becoming a new contact
in the router (refused when the customer's conversation moved to another routing domain
lately: it belongs there); a reply's delivery recorded; a conversation closed when its
contact ended.

Each runs in one engine transaction: the customer directory's events, the conversation
records (:class:`~kefu.service.channels.state.ChannelState`, a part of the transaction) and
the router's events of the new contact are stored together or not at all. A handler checks
what can refuse the command before it changes anything. Listeners hear of each change, and
replies leave through their gateway, only once the command is stored (``tx.then``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Protocol

from kefu.domain.customers import ContactRef, Direction, Message
from kefu.domain.model import Channel, ContactState
from kefu.domain.routing import Router
from kefu.service.channels.commands import CloseConversation, ReceiveInbound, RecordDelivery
from kefu.service.channels.errors import (
    ChannelUnavailable,
    ConversationMoved,
    NoQueueForChannel,
    NotHolder,
)
from kefu.service.channels.inbound import queue_for, wait_notice_text
from kefu.service.channels.moves import moved_away
from kefu.service.channels.ports import Inbound, OutboundReply, ReplyGateway
from kefu.service.channels.state import TERMINAL, ChannelState
from kefu.service.channels.texts import customer_language
from kefu.service.channels.types import ChannelOptions, ChannelUpdate, Listener, Receipt
from kefu.service.channels.views import joined_by, wait_info
from kefu.service.routing import commands as c
from kefu.service.transaction import Handler, Transaction

__all__ = ["SUMMARY_CHARS", "ChannelHandlers", "Closed", "Enricher", "Intake", "Sender"]

SUMMARY_CHARS = 80
Sender = Callable[[ReplyGateway, OutboundReply], None]
"""Starts delivering a reply (in the background; the outcome comes back as a command)."""
Enricher = Callable[[Transaction, str], Mapping[str, str]]
"""(transaction, live customer id) → attributes for the customer's new contact."""
Closed = Callable[[Transaction, str, ContactRef], None]
"""(transaction, live customer id, the timeline entry with its outcome) → nothing."""


class Intake(Protocol):
    """What greets a message before it queues (an IVR flow): :meth:`screen` gives the
    message to file (a secret answer masked), :meth:`take` keeps the conversation
    (True) instead of making it a contact."""

    def screen(self, inbound: Inbound) -> Inbound: ...

    async def take(
        self, tx: Transaction, inbound: Inbound, customer_id: str, conv_id: str, new: bool
    ) -> bool: ...


class ChannelHandlers:
    """The channel commands' handlers over one :class:`ChannelState`; ``notify`` tells the
    listeners of a stored change, ``send`` starts delivering a stored reply."""

    def __init__(
        self,
        state: ChannelState,
        options: ChannelOptions,
        gateways: Mapping[Channel, ReplyGateway],
        *,
        notify: Listener,
        send: Sender,
    ) -> None:
        self.state = state
        self.options = options
        self.routes: Mapping[str, str] = {}
        """Recipient address → queue set by admins (:class:`~.addresses.AddressBook`)."""
        self.gateways = gateways
        self._notify = notify
        self._send = send
        self.intake: Intake | None = None
        """Set by the IVR wing: new and greeted conversations go through it first."""
        self.enrichers: list[Enricher] = []
        """Add attributes to every new contact of a known customer (the likely reason)."""
        self.closed: list[Closed] = []
        """Told, in the transaction, of each contact put on its customer's timeline with
        its outcome (the live customer id, the entry): the likely reason learns from it."""

    def table(self) -> dict[type[c.Command], Handler]:
        return {
            ReceiveInbound: self.receive,
            RecordDelivery: self.record_delivery,
            CloseConversation: self.close_conversation,
        }

    def tell(self, tx: Transaction, update: ChannelUpdate) -> None:
        """Tell listeners of ``update`` once the command is stored, naming the agent who
        holds its contact when the command ends."""

        def resolve() -> None:
            contact = tx.router.contacts.get(update.contact_id or "")
            held = replace(update, agent_id=None if contact is None else contact.agent_id)
            tx.then(lambda: self._notify(held))

        tx.on_success(resolve)

    # -- inbound -----------------------------------------------------------------------
    async def receive(self, tx: Transaction, cmd: ReceiveInbound) -> Receipt:
        """A message whose ``external_id`` was taken before is a duplicate: answered again,
        nothing stored."""
        inbound, state = cmd.inbound, self.state
        dup = state.duplicate(inbound.external_id)
        if dup is not None:
            conv_id = dup.conversation_id
            customer = state.directory.resolve(dup.customer_id)
            return Receipt(customer, conv_id, state.contact_of.get(conv_id), True, True)
        self._refuse_moved(inbound)
        queue_id = queue_for(tx.router, inbound, self.options, self.routes)
        if queue_id is None and not self._joins_live_contact(tx.router, inbound):
            raise NoQueueForChannel(
                f"no queue takes {inbound.channel.value} contacts", channel=inbound.channel.value
            )
        intake = self.intake
        link, placement, new = state.receive(inbound if intake is None else intake.screen(inbound))
        conv_id = placement.conversation_id
        contact_id = None if new else state.contact_of.get(conv_id)
        contact = tx.router.contacts.get(contact_id) if contact_id else None
        if contact is None and intake is not None:
            seq = len(state.conversation(conv_id).messages)
            if await intake.take(tx, inbound, link.customer_id, conv_id, new):
                self.tell(tx, ChannelUpdate("message", conv_id, None, "customer", seq))
                return Receipt(link.customer_id, conv_id, None, not new, False, link.created)
        if contact is None or contact.state in TERMINAL:
            if queue_id is None:
                raise NoQueueForChannel(
                    f"no queue takes {inbound.channel.value} contacts",
                    channel=inbound.channel.value,
                )
            contact_id = await self._new_contact(tx, inbound, link.customer_id, conv_id, queue_id)
            self.tell(tx, ChannelUpdate("contact", conv_id, contact_id))
            self._wait_notice(tx, inbound.channel, link.customer_id, conv_id, contact_id)
        seq = len(state.conversation(conv_id).messages)
        self.tell(tx, ChannelUpdate("message", conv_id, contact_id, "customer", seq))
        return Receipt(link.customer_id, conv_id, contact_id, not new, False, link.created)

    def _refuse_moved(self, inbound: Inbound) -> None:
        """:class:`ConversationMoved` for a message that would open a conversation while
        the customer's last one on the channel moved to another routing domain lately."""
        if not self.state.moves.moved:
            return  # no conversation ever left this domain
        for owner, conv in joined_by(self.state, inbound):
            if conv is not None and not conv.is_closed:
                continue  # it joins an open conversation here
            moved = moved_away(self.state, owner.customer_id, inbound.channel, inbound.at)
            if moved is not None:
                raise ConversationMoved(
                    f"the conversation moved to routing domain {moved.domain}",
                    domain=moved.domain,
                    conversation_id=moved.conversation_id,
                )

    def _joins_live_contact(self, router: Router, inbound: Inbound) -> bool:
        """Whether the message would join an open conversation whose contact still lives
        (read without changing anything: a refusal must leave no trace)."""
        for _owner, conv in joined_by(self.state, inbound):
            contact_id = None if conv is None else self.state.contact_of.get(conv.conversation_id)
            contact = router.contacts.get(contact_id) if contact_id else None
            live = contact is not None and contact.state not in TERMINAL
            if conv is not None and not conv.is_closed and live:
                return True
        return False

    def _wait_notice(
        self, tx: Transaction, channel: Channel, customer_id: str, conv_id: str, contact_id: str
    ) -> None:
        """Tell a new waiting contact its place and predicted wait (SMS by default), in the
        customer's language."""
        if channel not in self.options.wait_notice or channel not in self.gateways:
            return
        info = wait_info(tx.router, contact_id)
        if info is None:
            return
        language = customer_language(self.state, customer_id, self.options.language)
        self.send_in(tx, conv_id, "kefu", wait_notice_text(info, language), contact_id)

    async def _new_contact(
        self, tx: Transaction, inbound: Inbound, customer_id: str, conv_id: str, queue_id: str
    ) -> str:
        state = self.state
        customer = state.directory.get(customer_id)
        attributes = {
            "customer": customer.name or inbound.sender[0].value,
            "customer_id": customer_id,
            "conversation_id": conv_id,
            "channel": inbound.channel.value,
        }
        if inbound.subject:
            attributes["subject"] = inbound.subject[:200]
        for key, value in inbound.metadata.items():
            attributes.setdefault(key, value[:200])
        for key, value in self.contact_attributes(tx, customer_id).items():
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
        summary = (inbound.subject or inbound.text).strip().replace("\n", " ")[:SUMMARY_CHARS]
        ref = ContactRef(contact_id, inbound.channel.value, tx.now, summary, None, conv_id)
        state.directory.record_contact(customer_id, ref, at=tx.now)
        return contact_id

    def contact_attributes(self, tx: Transaction, customer_id: str) -> dict[str, str]:
        """What the enrichers add to a new contact of the customer."""
        out: dict[str, str] = {}
        for enrich in self.enrichers:
            out.update(enrich(tx, self.state.directory.resolve(customer_id)))
        return out

    # -- outbound ----------------------------------------------------------------------
    def send_in(
        self,
        tx: Transaction,
        conv_id: str,
        author: str,
        text: str,
        contact_id: str | None = None,
    ) -> int:
        """Record an outbound message by ``author`` (an agent, or ``kefu`` for notices)
        and send it once the command is stored; returns its number."""
        conv = self.state.conversation(conv_id)
        gateway = self.gateways.get(conv.channel)
        if gateway is None:
            raise ChannelUnavailable(
                f"replies on {conv.channel.value} are not configured",
                text_key="error.replies_not_configured",
                channel=conv.channel.value,
            )
        route = self.state.routes[conv_id]
        thread = conv.thread_references()
        external_id = gateway.new_external_id()
        subject = route.subject if conv.channel is Channel.EMAIL else ""
        message = Message(
            Direction.OUTBOUND,
            conv.channel,
            author,
            text,
            tx.now,
            subject=subject,
            external_id=external_id,
        )
        self.state.reply(conv_id, message)
        seq = len(conv.messages) + 1
        self.tell(tx, ChannelUpdate("message", conv_id, contact_id, "agent", seq))
        out = OutboundReply(conv_id, route, text, external_id, thread, author)
        tx.then(lambda: self._send(gateway, out))
        return seq

    async def record_delivery(self, tx: Transaction, cmd: RecordDelivery) -> None:
        conv_id = cmd.conversation_id
        state = self.state
        state.delivery(conv_id, cmd.external_id, cmd.status, cmd.detail, tx.now, cmd.reason)
        # With its contact, so the agent's desktop shows the outcome at once.
        self.tell(tx, ChannelUpdate("delivery", conv_id, state.contact_of.get(conv_id)))

    # -- closing -----------------------------------------------------------------------
    def close(self, tx: Transaction, conv_id: str, contact_id: str, outcome: str) -> None:
        """Close the conversation with ``outcome`` and put its contact on the customer's
        timeline."""
        state = self.state
        if state.close(conv_id, tx.now, outcome):
            self.tell(tx, ChannelUpdate("closed", conv_id, contact_id))
        conv = state.conversation(conv_id)
        first = conv.messages[0] if conv.messages else None
        summary = "" if first is None else (first.subject or first.text).replace("\n", " ")
        contact = tx.router.contacts.get(contact_id)  # gone once long finished (snapshots)
        started = conv.opened_at if contact is None else contact.first_queued_at
        ref = ContactRef(
            contact_id, conv.channel.value, started, summary[:SUMMARY_CHARS], outcome, conv_id
        )
        state.directory.record_contact(conv.customer_id, ref, at=tx.now)
        live = state.directory.resolve(conv.customer_id)
        for hook in self.closed:
            hook(tx, live, ref)

    async def close_conversation(self, tx: Transaction, cmd: CloseConversation) -> None:
        if self.state.contact_of.get(cmd.conversation_id) == cmd.contact_id:
            self.close(tx, cmd.conversation_id, cmd.contact_id, cmd.outcome)

    # -- rules -------------------------------------------------------------------------
    def holder_check(
        self, tx: Transaction, agent_id: str, conv_id: str, *states: ContactState
    ) -> str:
        """The conversation's contact id, if ``agent_id`` holds it in one of ``states``."""
        self.state.conversation(conv_id)  # raises UnknownConversation
        contact_id = self.state.contact_of.get(conv_id)
        contact = tx.router.contacts.get(contact_id) if contact_id else None
        if contact is None or contact.agent_id != agent_id:
            raise NotHolder(
                f"agent {agent_id} does not hold conversation {conv_id}",
                agent_id=agent_id,
                conversation_id=conv_id,
            )
        if states and contact.state not in states:
            raise NotHolder(
                f"the contact of conversation {conv_id} is {contact.state.value}",
                state=contact.state.value,
            )
        assert contact_id is not None
        return contact_id
