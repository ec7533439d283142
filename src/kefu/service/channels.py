"""The channel service: every inbound message, on any channel, is linked to a customer,
filed into a conversation and either joins the customer's open conversation or becomes a
new contact in the router; agents' replies go back out through the channel the
conversation came from.

Each change runs as one engine command (:class:`~kefu.service.channel_work.ChannelWork`):
the customer directory's events, the conversation records and the router's events of the
new contact are stored in one transaction. The state in memory
(:class:`~kefu.service.channel_state.ChannelState`) is rebuilt from the stored log on start
and whenever the engine rebuilt its router (a failed write): a command finding a router it
has not seen reloads first. Listeners (the chat and desktop hubs) hear of each change once
it is stored. A conversation closes when its contact ends (completed or abandoned).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from kefu.domain import events as ev
from kefu.domain.conversations import Direction, JoinPolicy, Message
from kefu.domain.customers import ContactRef
from kefu.domain.model import Channel, ContactState
from kefu.service import commands as c
from kefu.service.channel_actions import AgentActions
from kefu.service.channel_errors import ChannelUnavailable, NoQueueForChannel, delivery_failure
from kefu.service.channel_inbound import check_inbound, queue_for, wait_notice_text
from kefu.service.channel_ports import (
    ChannelRecord,
    ChannelUnitOfWork,
    ConversationRow,
    Inbound,
    OutboundReply,
    ReplyGateway,
)
from kefu.service.channel_state import ChannelState
from kefu.service.channel_types import ChannelOptions, ChannelUpdate, Listener, Receipt, Work
from kefu.service.channel_views import wait_info
from kefu.service.channel_work import ChannelWork
from kefu.service.engine import RoutingEngine, Transaction
from kefu.service.handlers import HANDLERS
from kefu.service.ports import StoredEvent, UnitOfWork

__all__ = ["ChannelOptions", "ChannelService", "ChannelUpdate", "Receipt"]

log = logging.getLogger(__name__)
T = TypeVar("T")
TERMINAL = (ContactState.COMPLETED, ContactState.ABANDONED)
SUMMARY_CHARS = 80


class ChannelService(AgentActions):
    """Customers, conversations and channel traffic around one routing engine."""

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
        self._loaded_with: object | None = None
        self._outbox: dict[int, list[tuple[ReplyGateway, OutboundReply]]] = {}
        self._listeners: list[Listener] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._unsubscribe: Callable[[], None] | None = None

    # -- life cycle --------------------------------------------------------------------
    async def start(self) -> None:
        """Load the stored log (call once the engine started)."""
        self._unsubscribe = self.engine.subscribe(self._on_events)
        await self._execute(_nothing)

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

    # -- running work ------------------------------------------------------------------
    async def run(self, work: Work[T], **options: Any) -> T:
        """Run ``work(tx, updates)`` as one engine command (``options`` go to
        :meth:`RoutingEngine.execute`); listeners hear the updates once stored."""
        return await self._execute(work, **options)

    async def read(self, fn: Callable[[RoutingEngine, ChannelState], T]) -> T:
        """Run ``fn(engine, state)`` under the engine's lock (a consistent view)."""
        return await self.engine.query(lambda engine: fn(engine, self.state))

    async def _execute(self, work: Work[T], **options: Any) -> T:
        updates: list[ChannelUpdate] = []
        ran: list[int] = []

        async def run(tx: Transaction) -> T:
            ran.append(id(tx))
            if self._loaded_with is not tx.router:
                await self._load(tx)
            state = self.state
            mark = state.mark()
            try:
                result = await work(tx, updates)
            except BaseException:
                state.rollback(mark)
                self._outbox.pop(id(tx), None)
                raise
            self._stage(tx)
            return result

        try:
            result: T = await self.engine.execute(ChannelWork(run), **options)
        except BaseException:
            for key in ran:
                self._outbox.pop(key, None)
            raise
        for update in updates:
            self.notify(update)
        for key in ran:
            # Outbound messages leave only once the command that recorded them is stored.
            for gateway, reply in self._outbox.pop(key, ()):
                self.spawn(self._deliver(gateway, reply))
        return result

    def _stage(self, tx: Transaction) -> None:
        records, rows = self.state.take_pending()
        if records or rows:
            tx.stage(_store(records, rows))

    async def _load(self, tx: Transaction) -> None:
        stored = await tx.read(_read_log)
        if stored is not None:
            self.state.load(stored)
        self._loaded_with = tx.router
        self._reconcile(tx)

    def _reconcile(self, tx: Transaction) -> None:
        """Close open conversations whose contact ended while nobody was listening."""
        for conv_id, contact_id in list(self.state.contact_of.items()):
            conv = self.state.conversation(conv_id)
            contact = tx.router.contacts.get(contact_id)
            if conv.is_closed or self.state.contact_of.get(conv_id) != contact_id:
                continue
            if contact is None or contact.state in TERMINAL:
                outcome = contact.state.value if contact is not None else "ended"
                self.state.close(conv_id, tx.now, outcome)

    def notify(self, update: ChannelUpdate) -> None:
        for listener in list(self._listeners):
            try:
                listener(update)
            except Exception:
                log.exception("a channel listener failed")

    def spawn(self, coroutine: Awaitable[Any]) -> None:
        """Run ``coroutine`` in the background until it ends or the service stops."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- inbound -----------------------------------------------------------------------
    async def receive(self, inbound: Inbound, **options: Any) -> Receipt:
        """Take one inbound message (see the module doc). A message whose ``external_id``
        was taken before is a duplicate: answered again, nothing stored."""
        self.check_inbound(inbound)

        async def work(tx: Transaction, updates: list[ChannelUpdate]) -> Receipt:
            return await self.receive_in(tx, inbound, updates)

        return await self._execute(work, **options)

    async def receive_in(
        self, tx: Transaction, inbound: Inbound, updates: list[ChannelUpdate]
    ) -> Receipt:
        """:meth:`receive` inside a running channel command (``inbound`` checked)."""
        state = self.state
        dup = state.duplicate(inbound.external_id)
        if dup is not None:
            conv_id = dup.conversation_id
            customer = state.directory.resolve(dup.customer_id)
            return Receipt(customer, conv_id, state.contact_of.get(conv_id), True, True)
        queue_id = queue_for(tx.router, inbound, self.options)
        link, placement, new = state.receive(inbound)
        conv_id = placement.conversation_id
        contact_id = None if new else state.contact_of.get(conv_id)
        contact = tx.router.contacts.get(contact_id) if contact_id else None
        if contact is None or contact.state in TERMINAL:
            if queue_id is None:
                raise NoQueueForChannel(
                    f"no queue takes {inbound.channel.value} contacts",
                    channel=inbound.channel.value,
                )
            contact_id = await self._new_contact(tx, inbound, link.customer_id, conv_id, queue_id)
            updates.append(ChannelUpdate("contact", conv_id, contact_id))
            self._wait_notice(tx, inbound.channel, conv_id, contact_id, updates)
        seq = len(state.conversation(conv_id).messages)
        updates.append(ChannelUpdate("message", conv_id, contact_id, "customer", seq))
        return Receipt(link.customer_id, conv_id, contact_id, not new, False, link.created)

    def _wait_notice(
        self,
        tx: Transaction,
        channel: Channel,
        conv_id: str,
        contact_id: str,
        updates: list[ChannelUpdate],
    ) -> None:
        """Tell a new waiting contact its place and predicted wait (SMS by default)."""
        if channel not in self.options.wait_notice or channel not in self.gateways:
            return
        info = wait_info(tx.router, contact_id)
        if info is None:
            return
        text = wait_notice_text(info)
        self.send_in(tx, conv_id, "kefu", text, updates, contact_id)

    def check_inbound(self, inbound: Inbound) -> None:
        check_inbound(inbound, self.options)

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
        made = await HANDLERS[c.CreateContact](
            tx,
            c.CreateContact(
                queue_id,
                value_tier=customer.value_tier,
                customer_id=customer_id,
                attributes=attributes,
            ),
        )
        contact_id = str(made["contact_id"])
        state.link_contact(conv_id, contact_id, tx.now)
        summary = (inbound.subject or inbound.text).strip().replace("\n", " ")[:SUMMARY_CHARS]
        ref = ContactRef(contact_id, inbound.channel.value, tx.now, summary, None, conv_id)
        state.directory.record_contact(customer_id, ref, at=tx.now)
        return contact_id

    # -- agents ------------------------------------------------------------------------
    def send_in(
        self,
        tx: Transaction,
        conv_id: str,
        author: str,
        text: str,
        updates: list[ChannelUpdate],
        contact_id: str | None = None,
    ) -> int:
        """Inside a channel command: record an outbound message by ``author`` (an agent, or
        ``kefu`` for notices) and send it once the command is stored; returns its number."""
        conv = self.state.conversation(conv_id)
        gateway = self.gateways.get(conv.channel)
        if gateway is None:
            raise ChannelUnavailable(
                f"replies on {conv.channel.value} are not configured 该渠道尚未配置回复通道",
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
        updates.append(ChannelUpdate("message", conv_id, contact_id, "agent", seq))
        out = OutboundReply(conv_id, route, text, external_id, thread, author)
        self._outbox.setdefault(id(tx), []).append((gateway, out))
        return seq

    async def _deliver(self, gateway: ReplyGateway, reply: OutboundReply) -> None:
        try:
            await gateway.send(reply)
        except Exception as exc:
            log.warning("reply %s could not be delivered: %s", reply.external_id, exc)
            status, detail, reason = "failed", str(exc)[:500], delivery_failure(exc)
        else:
            status, detail, reason = "sent", "", ""

        async def work(tx: Transaction, updates: list[ChannelUpdate]) -> None:
            conv_id = reply.conversation_id
            self.state.delivery(conv_id, reply.external_id, status, detail, tx.now, reason)
            # With its contact, so the agent's desktop shows the outcome at once.
            updates.append(ChannelUpdate("delivery", conv_id, self.state.contact_of.get(conv_id)))

        await self._execute(work)

    def _close(
        self,
        tx: Transaction,
        conv_id: str,
        contact_id: str,
        outcome: str,
        updates: list[ChannelUpdate],
    ) -> None:
        state = self.state
        if state.close(conv_id, tx.now, outcome):
            updates.append(ChannelUpdate("closed", conv_id, contact_id))
        conv = state.conversation(conv_id)
        first = conv.messages[0] if conv.messages else None
        summary = "" if first is None else (first.subject or first.text).replace("\n", " ")
        started = tx.router.contacts[contact_id].first_queued_at
        ref = ContactRef(
            contact_id, conv.channel.value, started, summary[:SUMMARY_CHARS], outcome, conv_id
        )
        state.directory.record_contact(conv.customer_id, ref, at=tx.now)

    # -- contacts ending ---------------------------------------------------------------
    def _on_events(self, batch: Sequence[StoredEvent]) -> None:
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
        async def work(tx: Transaction, updates: list[ChannelUpdate]) -> None:
            if self.state.contact_of.get(conv_id) == contact_id:
                self._close(tx, conv_id, contact_id, outcome, updates)

        try:
            await self._execute(work)
        except Exception:
            log.exception("conversation %s could not be closed", conv_id)


async def _nothing(tx: Transaction, updates: list[ChannelUpdate]) -> None:
    return None


def _read_log(uow: UnitOfWork) -> list[ChannelRecord] | None:
    if isinstance(uow, ChannelUnitOfWork):
        return list(uow.channels.read())
    return None


def _store(
    records: list[ChannelRecord], rows: list[ConversationRow]
) -> Callable[[UnitOfWork], None]:
    """The write storing channel records with the command's events; a store without the
    channel tables (the bare in-memory routing store of unit tests) keeps none."""

    def write(uow: UnitOfWork) -> None:
        if isinstance(uow, ChannelUnitOfWork):
            uow.channels.append(records)
            uow.channels.upsert_conversations(rows)

    return write
