"""The channel service: every inbound message, on any channel, is linked to a customer,
filed into a conversation and either joins the customer's open conversation or becomes a
new contact in the router; agents' replies go back out through the channel the
conversation came from.

The service is the channels' front door: each method builds one command
(:mod:`kefu.service.channels.commands`) and has the engine run it; the handlers
(:mod:`kefu.service.channels.handlers`, :mod:`kefu.service.channels.actions`) change the
state (:class:`~kefu.service.channels.state.ChannelState`, a part of the engine's
transaction) and the router together. Listeners (the chat and desktop hubs) hear of each
change once it is stored; replies are sent once stored, and their delivery comes back as a
command. A conversation closes when its contact ends (completed or abandoned).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from kefu.domain import events as ev
from kefu.domain.customers import JoinPolicy
from kefu.domain.model import Channel
from kefu.service.channels.actions import AgentActions
from kefu.service.channels.commands import (
    AddNote,
    CloseConversation,
    MergeCustomers,
    ReceiveInbound,
    RecordDelivery,
    Reply,
    TransferConversation,
    UndoMerge,
    WrapUp,
)
from kefu.service.channels.errors import MessageRefused, delivery_failure
from kefu.service.channels.handlers import ChannelHandlers
from kefu.service.channels.inbound import check_inbound
from kefu.service.channels.move_handlers import ConversationMoves
from kefu.service.channels.ports import Inbound, OutboundReply, ReplyGateway
from kefu.service.channels.profiles import ProfileHandlers
from kefu.service.channels.state import ChannelState
from kefu.service.channels.types import ChannelOptions, ChannelUpdate, Listener, Receipt
from kefu.service.engine import RoutingEngine
from kefu.service.errors import Forbidden
from kefu.service.ports import StoredEvent
from kefu.service.routing import commands as c
from kefu.service.transaction import Handler, Preparer

__all__ = ["ChannelOptions", "ChannelService", "ChannelUpdate", "Receipt"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class ChannelService:
    """Customers, conversations and channel traffic around one routing engine. Its
    handlers (:meth:`handlers`) and its state (:attr:`state`) are wired into the engine by
    :func:`kefu.bootstrap.channel_wing`."""

    def __init__(
        self,
        engine: RoutingEngine,
        *,
        options: ChannelOptions | None = None,
        gateways: Mapping[Channel, ReplyGateway] | None = None,
        policy: JoinPolicy | None = None,
    ) -> None:
        self.engine = engine
        self.options = options or ChannelOptions()
        self.gateways: dict[Channel, ReplyGateway] = dict(gateways or {})
        self.state = ChannelState(policy)
        self.core = ChannelHandlers(
            self.state, self.options, self.gateways, notify=self.notify, send=self._send
        )
        self.actions = AgentActions(self.core)
        self.moves = ConversationMoves(self.core)
        self._listeners: list[Listener] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._unsubscribe: Callable[[], None] | None = None

    def handlers(self) -> dict[type[c.Command], Handler]:
        """The handlers of the channel and agent commands, for the engine's table."""
        profiles = ProfileHandlers(self.state).table()
        return {**self.core.table(), **self.actions.table(), **self.moves.table(), **profiles}

    def preparers(self) -> dict[type[c.Command], Preparer]:
        """Their preparers (store reads before the engine's lock), for the same table."""
        return self.moves.preparers()

    # -- life cycle --------------------------------------------------------------------
    async def start(self) -> None:
        """Listen to the engine and make sure the stored log is loaded (call once the
        engine started)."""
        self._unsubscribe = self.engine.subscribe(self._on_events)
        await self.engine.query(lambda _engine: None, stored=False)

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception:
                log.exception("a channel task failed while stopping")

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Hear of each stored change; returns the function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def set_gateway(self, channel: Channel, gateway: ReplyGateway) -> None:
        self.gateways[channel] = gateway

    async def read(self, fn: Callable[[RoutingEngine, ChannelState], T]) -> T:
        """Run ``fn(engine, state)`` under the engine's lock (a consistent view)."""
        return await self.engine.query(lambda engine: fn(engine, self.state))

    def notify(self, update: ChannelUpdate) -> None:
        for listener in list(self._listeners):
            try:
                listener(update)
            except Exception:
                log.exception("a channel listener failed")

    async def idle(self) -> None:
        """Wait until the background work started so far (reply deliveries, closing
        conversations, and what they start in turn) has ended."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def spawn(self, coroutine: Awaitable[Any]) -> None:
        """Run ``coroutine`` in the background until it ends or the service stops."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- commands ----------------------------------------------------------------------
    async def receive(self, inbound: Inbound, **options: Any) -> Receipt:
        """Take one inbound message (see the module doc); ``options`` go to
        :meth:`RoutingEngine.execute`. A message whose ``external_id`` was taken before is
        a duplicate: answered again, nothing stored."""
        self.check_inbound(inbound)
        receipt: Receipt = await self.engine.execute(ReceiveInbound(inbound), **options)
        return receipt

    def check_inbound(self, inbound: Inbound) -> None:
        check_inbound(inbound, self.options)

    async def reply(self, agent_id: str, conv_id: str, text: str, **options: Any) -> int:
        """The agent holding the conversation answers; stored, then sent through the
        conversation's channel. Returns the message's number in the conversation."""
        text = text.strip()
        if not text or len(text) > self.options.max_text_chars:
            raise MessageRefused(f"a reply has 1–{self.options.max_text_chars} characters")
        seq: int = await self.engine.execute(Reply(agent_id, conv_id, text), **options)
        return seq

    async def note(self, agent_id: str, conv_id: str, text: str, **options: Any) -> None:
        """An internal note on a conversation the agent holds (customers never see it)."""
        text = text.strip()
        if not text or len(text) > 4000:
            raise MessageRefused("a note has 1–4000 characters")
        await self.engine.execute(AddNote(agent_id, conv_id, text), **options)

    async def transfer(
        self,
        agent_id: str,
        conv_id: str,
        *,
        to_queue_id: str | None = None,
        to_agent_id: str | None = None,
        note: str = "",
        **options: Any,
    ) -> dict[str, Any]:
        """Transfer the conversation's contact with a hand-off note."""
        command = TransferConversation(
            agent_id, conv_id, to_queue_id, to_agent_id, note.strip()[:2000]
        )
        result: dict[str, Any] = await self.engine.execute(command, **options)
        return result

    async def wrap_up(
        self, agent_id: str, conv_id: str, disposition: str, **options: Any
    ) -> dict[str, Any]:
        """Complete the conversation's contact with a disposition code (wrap-up follows)
        and close the conversation with that outcome."""
        disposition = disposition.strip()
        if not disposition or len(disposition) > 64:
            raise MessageRefused("a disposition code has 1–64 characters")
        command = WrapUp(agent_id, conv_id, disposition)
        result: dict[str, Any] = await self.engine.execute(command, **options)
        return result

    async def merge(
        self,
        survivor_id: str,
        merged_id: str,
        *,
        by: str,
        reason: str,
        force: bool = False,
        **options: Any,
    ) -> str:
        """An agent merges two customers (audited in the directory); returns the merge id."""
        command = MergeCustomers(survivor_id, merged_id, by, reason, force)
        merge_id: str = await self.engine.execute(command, **options)
        return merge_id

    async def undo_merge(self, merge_id: str, *, by: str, reason: str, **options: Any) -> None:
        """Split a merge again (see :meth:`CustomerDirectory.undo_merge`)."""
        await self.engine.execute(UndoMerge(merge_id, by, reason), **options)

    async def typing(self, conv_id: str, who: str, *, holder: str | None = None) -> None:
        """Someone is typing (not stored): listeners show it. With ``holder``, only the
        agent holding the conversation may (refused otherwise)."""

        def look(engine: RoutingEngine) -> ChannelUpdate:
            contact_id = self.state.contact_of.get(conv_id)
            contact = engine.router.contacts.get(contact_id) if contact_id else None
            agent_id = None if contact is None else contact.agent_id
            if holder is not None and agent_id != holder:
                raise Forbidden("not your conversation", text_key="error.not_your_conversation")
            return ChannelUpdate("typing", conv_id, contact_id, who, agent_id=agent_id)

        await self.announce(await self.engine.query(look, stored=False))

    async def announce(self, update: ChannelUpdate) -> None:
        """Show an update that is not stored (typing) to the listeners."""
        self.notify(update)

    # -- effects -----------------------------------------------------------------------
    def _send(self, gateway: ReplyGateway, reply: OutboundReply) -> None:
        self.spawn(self._deliver(gateway, reply))

    async def _deliver(self, gateway: ReplyGateway, reply: OutboundReply) -> None:
        try:
            await gateway.send(reply)
        except Exception as exc:
            log.warning("reply %s could not be delivered: %s", reply.external_id, exc)
            status, detail, reason = "failed", str(exc)[:500], delivery_failure(exc)
        else:
            status, detail, reason = "sent", "", ""
        command = RecordDelivery(reply.conversation_id, reply.external_id, status, detail, reason)
        await self.engine.execute(command)

    def _on_events(self, batch: Sequence[StoredEvent]) -> None:
        """Close the conversation of each contact that ended."""
        for stored in batch:
            event = stored.event
            if isinstance(event, ev.ContactCompleted | ev.ContactAbandoned):
                conv_id = self.state.conversation_of.get(event.contact_id)
                if conv_id is not None and not self.state.conversation(conv_id).is_closed:
                    outcome = (
                        (event.disposition or "completed")
                        if isinstance(event, ev.ContactCompleted)
                        else "abandoned"
                    )
                    self.spawn(self._close_later(conv_id, event.contact_id, outcome))

    async def _close_later(self, conv_id: str, contact_id: str, outcome: str) -> None:
        try:
            await self.engine.execute(CloseConversation(conv_id, contact_id, outcome))
        except Exception:
            log.exception("conversation %s could not be closed", conv_id)
