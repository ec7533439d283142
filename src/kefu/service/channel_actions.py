"""What agents do on conversations through the channel service: reply, note, transfer
with a hand-off note, wrap up with a disposition, merge customers (and undo), type.

A mixin of :class:`kefu.service.channels.ChannelService`: every action runs as one engine
command and checks that the agent holds the conversation's contact (an agent acts only on
its own contacts).
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from kefu.domain.model import ContactState
from kefu.service import commands as c
from kefu.service.channel_errors import MessageRefused, NotHolder
from kefu.service.channel_state import ChannelState, Note
from kefu.service.channel_types import ChannelOptions, ChannelUpdate, Work
from kefu.service.engine import Transaction
from kefu.service.handlers import HANDLERS

__all__ = ["AgentActions"]

T = TypeVar("T")


class _Host(Protocol):
    """What the actions need of the service they are mixed into."""

    state: ChannelState
    options: ChannelOptions

    async def _execute(self, work: Work[T], **options: Any) -> T: ...
    def send_in(
        self,
        tx: Transaction,
        conv_id: str,
        author: str,
        text: str,
        updates: list[ChannelUpdate],
        contact_id: str | None = None,
    ) -> int: ...
    def _close(
        self,
        tx: Transaction,
        conv_id: str,
        contact_id: str,
        outcome: str,
        updates: list[ChannelUpdate],
    ) -> None: ...
    def notify(self, update: ChannelUpdate) -> None: ...
    def _customer_changed(
        self, tx: Transaction, customer_ids: tuple[str, ...], updates: list[ChannelUpdate]
    ) -> None: ...
    def holder_check(
        self, tx: Transaction, agent_id: str, conv_id: str, *states: ContactState
    ) -> str: ...
    def _reply_text(self, text: str) -> str: ...


class AgentActions:
    def holder_check(
        self: _Host, tx: Transaction, agent_id: str, conv_id: str, *states: ContactState
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

    async def reply(self: _Host, agent_id: str, conv_id: str, text: str, **options: Any) -> int:
        """The agent holding the conversation answers; stored, then sent through the
        conversation's channel. Returns the message's number in the conversation."""
        text = self._reply_text(text)

        async def work(tx: Transaction, updates: list[ChannelUpdate]) -> int:
            contact_id = self.holder_check(tx, agent_id, conv_id, ContactState.ACTIVE)
            return self.send_in(tx, conv_id, agent_id, text, updates, contact_id)

        return await self._execute(work, **options)

    def _reply_text(self: _Host, text: str) -> str:
        text = text.strip()
        if not text or len(text) > self.options.max_text_chars:
            raise MessageRefused(f"a reply has 1–{self.options.max_text_chars} characters")
        return text

    async def note(self: _Host, agent_id: str, conv_id: str, text: str, **options: Any) -> None:
        """An internal note on a conversation the agent holds (customers never see it)."""
        text = text.strip()
        if not text or len(text) > 4000:
            raise MessageRefused("a note has 1–4000 characters")

        async def work(tx: Transaction, updates: list[ChannelUpdate]) -> None:
            contact_id = self.holder_check(tx, agent_id, conv_id)
            self.state.note(conv_id, Note(agent_id, text, tx.now))
            updates.append(ChannelUpdate("note", conv_id, contact_id))

        await self._execute(work, **options)

    async def transfer(
        self: _Host,
        agent_id: str,
        conv_id: str,
        *,
        to_queue_id: str | None = None,
        to_agent_id: str | None = None,
        note: str = "",
        **options: Any,
    ) -> dict[str, Any]:
        """Transfer the conversation's contact with a hand-off note; the note is kept on
        the conversation so the next agent reads it beside the whole history."""
        note = note.strip()[:2000]

        async def work(tx: Transaction, updates: list[ChannelUpdate]) -> dict[str, Any]:
            contact_id = self.holder_check(tx, agent_id, conv_id, ContactState.ACTIVE)
            command = c.TransferContact(contact_id, to_queue_id, to_agent_id, note)
            result: dict[str, Any] = await HANDLERS[c.TransferContact](tx, command)
            target = to_queue_id or to_agent_id or ""
            self.state.note(conv_id, Note(agent_id, note, tx.now, "transfer", target))
            updates.append(ChannelUpdate("note", conv_id, contact_id))
            return result

        return await self._execute(work, **options)

    async def wrap_up(
        self: _Host, agent_id: str, conv_id: str, disposition: str, **options: Any
    ) -> dict[str, Any]:
        """Complete the conversation's contact with a disposition code (wrap-up follows)
        and close the conversation with that outcome."""
        disposition = disposition.strip()
        if not disposition or len(disposition) > 64:
            raise MessageRefused("a disposition code has 1–64 characters")

        async def work(tx: Transaction, updates: list[ChannelUpdate]) -> dict[str, Any]:
            contact_id = self.holder_check(tx, agent_id, conv_id, ContactState.ACTIVE)
            command = c.CompleteContact(contact_id, disposition)
            result: dict[str, Any] = await HANDLERS[c.CompleteContact](tx, command)
            self._close(tx, conv_id, contact_id, disposition, updates)
            return result

        return await self._execute(work, **options)

    async def merge(
        self: _Host,
        survivor_id: str,
        merged_id: str,
        *,
        by: str,
        reason: str,
        force: bool = False,
        **options: Any,
    ) -> str:
        """An agent merges two customers (audited in the directory); returns the merge id."""

        async def work(tx: Transaction, updates: list[ChannelUpdate]) -> str:
            directory = self.state.directory
            merge_id = directory.merge(
                survivor_id, merged_id, agent_id=by, reason=reason, at=tx.now, force=force
            )
            tx.audit(
                "customer.merge",
                "customer",
                survivor_id,
                None,
                {"merged_id": merged_id},
                {"merge_id": merge_id, "forced": force, "reason": reason},
            )
            self._customer_changed(tx, (survivor_id,), updates)
            return merge_id

        return await self._execute(work, **options)

    async def undo_merge(
        self: _Host, merge_id: str, *, by: str, reason: str, **options: Any
    ) -> None:
        """Split a merge again (see :meth:`CustomerDirectory.undo_merge`)."""

        async def work(tx: Transaction, updates: list[ChannelUpdate]) -> None:
            directory = self.state.directory
            directory.undo_merge(merge_id, agent_id=by, reason=reason, at=tx.now)
            tx.audit("customer.unmerge", "merge", merge_id, None, None, {"reason": reason})
            split = [m for m in directory.audit() if m.merge_id == merge_id]
            self._customer_changed(
                tx, tuple(x for m in split for x in (m.survivor_id, m.merged_id)), updates
            )

        await self._execute(work, **options)

    def _customer_changed(
        self: _Host, tx: Transaction, customer_ids: tuple[str, ...], updates: list[ChannelUpdate]
    ) -> None:
        """Tell listeners of the held contacts of these customers (an agent's panel shows
        the customer: it is refreshed at once, not at the next periodic push)."""
        directory = self.state.directory
        for customer_id in customer_ids:
            for ref in directory.timeline(customer_id):
                contact = tx.router.contacts.get(ref.contact_id)
                if contact is not None and contact.agent_id is not None:
                    conv_id = ref.conversation_id or ""
                    updates.append(ChannelUpdate("customer", conv_id, ref.contact_id))

    async def typing(self: _Host, conv_id: str, who: str) -> None:
        """Someone is typing (not stored): listeners show it."""
        contact_id = self.state.contact_of.get(conv_id)
        self.notify(ChannelUpdate("typing", conv_id, contact_id, who))
