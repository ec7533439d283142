"""Handlers of what agents do: on conversations (reply, note, transfer with a hand-off
note, wrap up with a disposition), on customers (merge, and undo), and at the desktop on
their own offers and contacts.

Every action checks that the agent holds the contact it acts on (an agent acts only on its
own contacts) before it changes anything; the routing part of an action is the routing
command, run in the same transaction (``tx.dispatch``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from kefu.domain.model import ContactState
from kefu.service.channels.commands import (
    ActOnOwnContact,
    AddNote,
    AnswerOffer,
    MergeCustomers,
    Reply,
    TransferConversation,
    UndoMerge,
    WrapUp,
)
from kefu.service.channels.handlers import ChannelHandlers
from kefu.service.channels.state import Note
from kefu.service.channels.types import ChannelUpdate
from kefu.service.errors import Forbidden
from kefu.service.routing import commands as c
from kefu.service.transaction import Handler, Transaction

__all__ = ["AgentActions"]


class AgentActions:
    """The agents' handlers, over the channel handlers ``core``."""

    def __init__(self, core: ChannelHandlers) -> None:
        self.core = core
        self.state = core.state
        self.wrapped_up: list[Callable[[Transaction, str], Awaitable[None]]] = []
        """Run in the transaction of each wrap-up, with the contact id (the follow-up
        surveys)."""

    def table(self) -> dict[type[c.Command], Handler]:
        return {
            Reply: self.reply,
            AddNote: self.note,
            TransferConversation: self.transfer,
            WrapUp: self.wrap_up,
            MergeCustomers: self.merge,
            UndoMerge: self.undo_merge,
            AnswerOffer: self.answer_offer,
            ActOnOwnContact: self.act_on_own_contact,
        }

    # -- conversations -----------------------------------------------------------------
    async def reply(self, tx: Transaction, cmd: Reply) -> int:
        """Returns the message's number in the conversation."""
        core = self.core
        contact_id = core.holder_check(tx, cmd.agent_id, cmd.conversation_id, ContactState.ACTIVE)
        return core.send_in(tx, cmd.conversation_id, cmd.agent_id, cmd.text, contact_id)

    async def note(self, tx: Transaction, cmd: AddNote) -> None:
        contact_id = self.core.holder_check(tx, cmd.agent_id, cmd.conversation_id)
        self.state.note(cmd.conversation_id, Note(cmd.agent_id, cmd.text, tx.now))
        self.core.tell(tx, ChannelUpdate("note", cmd.conversation_id, contact_id))

    async def transfer(self, tx: Transaction, cmd: TransferConversation) -> dict[str, Any]:
        """The note is kept on the conversation so the next agent reads it beside the
        whole history."""
        conv_id = cmd.conversation_id
        contact_id = self.core.holder_check(tx, cmd.agent_id, conv_id, ContactState.ACTIVE)
        routing = c.TransferContact(contact_id, cmd.to_queue_id, cmd.to_agent_id, cmd.note)
        result: dict[str, Any] = await tx.dispatch(routing)
        target = cmd.to_queue_id or cmd.to_agent_id or ""
        self.state.note(conv_id, Note(cmd.agent_id, cmd.note, tx.now, "transfer", target))
        self.core.tell(tx, ChannelUpdate("note", conv_id, contact_id))
        return result

    async def wrap_up(self, tx: Transaction, cmd: WrapUp) -> dict[str, Any]:
        conv_id = cmd.conversation_id
        contact_id = self.core.holder_check(tx, cmd.agent_id, conv_id, ContactState.ACTIVE)
        result: dict[str, Any] = await tx.dispatch(c.CompleteContact(contact_id, cmd.disposition))
        self.core.close(tx, conv_id, contact_id, cmd.disposition)
        for hook in self.wrapped_up:
            await hook(tx, contact_id)
        return result

    # -- customers ---------------------------------------------------------------------
    async def merge(self, tx: Transaction, cmd: MergeCustomers) -> str:
        """Audited in the directory and the audit log; returns the merge id."""
        merge_id = self.state.directory.merge(
            cmd.survivor_id,
            cmd.merged_id,
            agent_id=cmd.by,
            reason=cmd.reason,
            at=tx.now,
            force=cmd.force,
        )
        tx.audit(
            "customer.merge",
            "customer",
            cmd.survivor_id,
            None,
            {"merged_id": cmd.merged_id},
            {"merge_id": merge_id, "forced": cmd.force, "reason": cmd.reason},
        )
        self._customer_changed(tx, (cmd.survivor_id,))
        return merge_id

    async def undo_merge(self, tx: Transaction, cmd: UndoMerge) -> None:
        directory = self.state.directory
        directory.undo_merge(cmd.merge_id, agent_id=cmd.by, reason=cmd.reason, at=tx.now)
        tx.audit("customer.unmerge", "merge", cmd.merge_id, None, None, {"reason": cmd.reason})
        split = [m for m in directory.audit() if m.merge_id == cmd.merge_id]
        self._customer_changed(tx, tuple(x for m in split for x in (m.survivor_id, m.merged_id)))

    def _customer_changed(self, tx: Transaction, customer_ids: tuple[str, ...]) -> None:
        """Tell listeners of the held contacts of these customers (an agent's panel shows
        the customer: it is refreshed at once, not at the next periodic push)."""
        directory = self.state.directory
        for customer_id in customer_ids:
            for ref in directory.timeline(customer_id):
                contact = tx.router.contacts.get(ref.contact_id)
                if contact is not None and contact.agent_id is not None:
                    conv_id = ref.conversation_id or ""
                    self.core.tell(tx, ChannelUpdate("customer", conv_id, ref.contact_id))

    # -- the desktop -------------------------------------------------------------------
    async def answer_offer(self, tx: Transaction, cmd: AnswerOffer) -> dict[str, Any]:
        contact = tx.router.contacts.get(cmd.contact_id)
        if (
            contact is None
            or contact.agent_id != cmd.agent_id
            or contact.state is not ContactState.OFFERED
        ):
            raise Forbidden(
                "this offer is not yours",
                text_key="error.offer_not_yours",
                contact_id=cmd.contact_id,
            )
        kind = c.AcceptOffer if cmd.accept else c.RejectOffer
        result: dict[str, Any] = await tx.dispatch(kind(cmd.contact_id, cmd.offer_id, cmd.agent_id))
        return result

    async def act_on_own_contact(self, tx: Transaction, cmd: ActOnOwnContact) -> Any:
        contact = tx.router.contacts.get(cmd.contact_id)
        if contact is None or contact.agent_id != cmd.agent_id or contact.state not in cmd.states:
            raise Forbidden(
                "this contact is not yours to change",
                text_key="error.contact_not_yours",
                contact_id=cmd.contact_id,
            )
        return await tx.dispatch(cmd.action)
