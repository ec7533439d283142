"""Handlers of a conversation's hand-over between routing domains (a chat overflowing
from one region to another, or transferred there), one command on each side:

- :class:`~kefu.service.channels.commands.AdoptConversation`, in the receiving domain:
  links the customer (by the chat's token, then the identifiers no one here holds),
  opens the conversation with its messages as they were, creates the contact in the
  queue asked and remembers the hop's Idempotency-Key with the answer, all in one
  transaction. The same hop sent again answers the same contact and conversation, and
  appends only the messages the new copy holds beyond those adopted.
- :class:`~kefu.service.channels.commands.MoveConversationOut`, in the leaving domain once
  the other answered: ends the contact as transferred out and closes the conversation,
  recording where it went; refused, with nothing changed, if a message came in since the
  copy (the copy is taken and sent again).

The records are :mod:`kefu.service.channels.moves`'.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kefu.domain.customers import ContactRef
from kefu.domain.errors import UnknownQueue, ValidationError
from kefu.domain.model import Channel
from kefu.service.channels.commands import AdoptConversation, MoveConversationOut
from kefu.service.channels.errors import ConversationChanged, QueueOfAnotherChannel
from kefu.service.channels.handlers import SUMMARY_CHARS, ChannelHandlers
from kefu.service.channels.moves import Moved, adopt, carry_more, mark_moved
from kefu.service.channels.types import ChannelUpdate
from kefu.service.commands import Command
from kefu.service.engine_state import EngineState
from kefu.service.idempotency import KeyProbe
from kefu.service.ports import IdempotencyRecord
from kefu.service.routing import commands as c
from kefu.service.routing.handlers import probe_contact_key, recorded_creation
from kefu.service.transaction import Handler, Preparer, Transaction

__all__ = ["ConversationMoves"]

TRANSFERRED_OUT = "transferred_out"


class ConversationMoves:
    """The two handlers over the channel handlers' state (see the module doc)."""

    def __init__(self, core: ChannelHandlers) -> None:
        self.core = core
        self.state = core.state

    def table(self) -> dict[type[Command], Handler]:
        return {AdoptConversation: self.adopt, MoveConversationOut: self.move_out}

    def preparers(self) -> dict[type[Command], Preparer]:
        return {AdoptConversation: self.probe}

    async def probe(self, engine: EngineState, cmd: AdoptConversation) -> KeyProbe | None:
        """The store's answer for the hop's key, read before the engine's lock."""
        return await probe_contact_key(engine, cmd.contact)

    async def adopt(self, tx: Transaction, cmd: AdoptConversation) -> dict[str, Any]:
        """The contact's view with ``position``, ``conversation_id`` (its id here) and
        ``replayed``."""
        contact, carried, state = cmd.contact, cmd.conversation, self.state
        key = contact.idempotency_key
        if key is None:
            raise ValidationError("a conversation handed over needs the hop's Idempotency-Key")
        found = await recorded_creation(tx, key, contact.request_hash)
        if found is not None:
            conv_id = str(found.response["conversation_id"])
            if carry_more(state, conv_id, carried, tx.now):
                seq = len(state.conversation(conv_id).messages)
                update = ChannelUpdate("message", conv_id, found.contact_id, "customer", seq)
                self.core.tell(tx, update)
            return {**found.response, "replayed": True}
        self._check(tx, cmd)
        directory = state.directory
        token, *others = carried.identifiers
        customer_id = directory.link([token], at=tx.now, name=carried.customer_name).customer_id
        for ident in others:  # what the other domain knew, unless a customer here holds it
            if directory.find(ident) is None:
                directory.add_identifier(customer_id, ident, at=tx.now)
        conv_id = adopt(state, carried, customer_id, contact.queue_id, tx.now)
        name = directory.get(directory.resolve(customer_id)).name
        attributes = {
            **contact.attributes,
            "customer": name or contact.attributes.get("customer", token.value),
            "customer_id": customer_id,
            "conversation_id": conv_id,
        }
        here = replace(
            contact,
            customer_id=customer_id,
            attributes=attributes,
            idempotency_key=None,
            request_hash="",
        )
        made: dict[str, Any] = await tx.dispatch(here)
        contact_id = str(made["contact_id"])
        state.link_contact(conv_id, contact_id, tx.now)
        first = next((m for m in carried.messages if m.text.strip()), None)
        summary = "" if first is None else first.text.strip().replace("\n", " ")
        channel = carried.channel.value
        ref = ContactRef(contact_id, channel, tx.now, summary[:SUMMARY_CHARS], None, conv_id)
        directory.record_contact(customer_id, ref, at=tx.now)
        response = {k: v for k, v in made.items() if k != "replayed"}
        response["conversation_id"] = conv_id
        tx.remember(IdempotencyRecord(key, contact.request_hash, contact_id, response, tx.now))
        self.core.tell(tx, ChannelUpdate("contact", conv_id, contact_id))
        return {**response, "replayed": False}

    def _check(self, tx: Transaction, cmd: AdoptConversation) -> None:
        """Refuse before anything changes: an unknown queue, one of another channel, a
        conversation that is not a chat or names no customer."""
        carried, queue_id = cmd.conversation, cmd.contact.queue_id
        queue = tx.router.queues.get(queue_id)
        if queue is None:
            raise UnknownQueue(f"unknown queue {queue_id!r}", queue_id=queue_id)
        channel = queue.spec.channel
        if carried.channel is not Channel.CHAT or channel is not carried.channel:
            raise QueueOfAnotherChannel(
                f"queue {queue_id} takes {channel.value} contacts, not a "
                f"{carried.channel.value} conversation",
                queue_id=queue_id,
                channel=carried.channel.value,
                queue_channel=channel.value,
            )
        if not carried.identifiers:
            raise ValidationError("a conversation handed over needs its customer's identifiers")

    async def move_out(self, tx: Transaction, cmd: MoveConversationOut) -> dict[str, Any]:
        """The contact's view, ended here."""
        state = self.state
        conv_id = state.conversation_of.get(cmd.contact_id)
        if conv_id is None:
            raise ValidationError(
                f"contact {cmd.contact_id} has no conversation", contact_id=cmd.contact_id
            )
        held = len(state.conversation(conv_id).messages)
        if held != cmd.carried:
            raise ConversationChanged(
                f"conversation {conv_id} has {held} messages, its copy {cmd.carried}",
                conversation_id=conv_id,
                messages=held,
                carried=cmd.carried,
            )
        result: dict[str, Any] = await tx.dispatch(
            c.TransferOut(
                cmd.contact_id, cmd.to_domain, cmd.to_queue_id, cmd.remote_contact_id, cmd.note
            )
        )
        moved = Moved(
            cmd.to_domain,
            cmd.to_queue_id,
            cmd.remote_conversation_id,
            cmd.remote_contact_id,
            tx.now,
        )
        mark_moved(state, conv_id, moved)
        self.core.close(tx, conv_id, cmd.contact_id, TRANSFERRED_OUT)
        return result
