"""The IVR wing: flows greet chat and SMS conversations before they queue, and hand them to
an agent with what they learned.

A new conversation on a channel with a flow (:class:`IvrOptions`) is kept by the wing (the
channel handlers' :class:`~kefu.service.channels.handlers.Intake`): the flow's questions go
out as messages by ``ivr``, the customer's answers come back through the same inbound
command, the flow's silence timers run on the engine's scheduler
(:class:`~kefu.service.ivr.sessions.IvrSessions` is a timed state part). The driver runs in
the command's transaction: self-service plug-ins and identity checks answer at once, the
wait estimate is the router's (:func:`~kefu.service.channels.views.queue_wait`), and a
transfer creates the contact with ``tx.dispatch(CreateContact(...))`` carrying the IVR's
attributes (flow@version, path, verification, self-service, collected values; masked).
A PIN typed as an answer is filed as dots: it is in no message, state or event; a card
number is filed, logged and replayed masked to its last four (the full number stays in the
session's memory for its actions: after a restart they see the masked one).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from kefu.domain.customers import Direction, Message
from kefu.domain.ivr import (
    FlowCatalog,
    FlowNotPublished,
    UnknownFlowVersion,
    begin,
    step,
)
from kefu.domain.ivr import events as ev
from kefu.domain.ivr import messages as m
from kefu.domain.ivr.answers import sensitive_shown
from kefu.domain.ivr.flow import CollectNode, Flow
from kefu.domain.ivr.masking import scrub_cards
from kefu.domain.model import Channel
from kefu.service.channels.errors import ChannelUnavailable
from kefu.service.channels.ports import Inbound
from kefu.service.channels.service import ChannelService
from kefu.service.channels.types import ChannelUpdate
from kefu.service.channels.views import joined_by, queue_wait
from kefu.service.ivr.commands import IvrHangup, IvrInput, IvrTimeout, KioskTicket, StartIvr
from kefu.service.ivr.flow_admin import IvrFlowDesk
from kefu.service.ivr.kiosk import kiosk_ticket
from kefu.service.ivr.options import (
    IVR_AUTHOR,
    IvrOptions,
    IvrPlugins,
    IvrSessionConflict,
    UnknownIvrSession,
)
from kefu.service.ivr.sessions import IvrSessions, Session
from kefu.service.ivr.transfer import hand_off, mark_verified, pick_queue
from kefu.service.ivr.widget import IvrChatView
from kefu.service.routing import commands as c
from kefu.service.transaction import Handler, Transaction

__all__ = [
    "IVR_AUTHOR",
    "IvrOptions",
    "IvrPlugins",
    "IvrSessionConflict",
    "IvrWing",
    "UnknownIvrSession",
]

log = logging.getLogger(__name__)
LIKELY_REASON = "likely_reason"
"""The action a flow runs to branch on the customer's likely reason (its outcomes name
reasons, e.g. ``case_status``; ``none`` when nothing is likely)."""


class IvrWing:
    """IVR sessions of a channel service: its commands' handlers (:meth:`handlers`), its
    state part (:attr:`sessions`) and the channels' intake (:meth:`screen`, :meth:`take`);
    wired by :func:`kefu.bootstrap.ivr_wing`."""

    def __init__(
        self,
        channels: ChannelService,
        catalog: FlowCatalog,
        plugins: IvrPlugins | None = None,
        options: IvrOptions | None = None,
    ) -> None:
        self.channels = channels
        self.catalog = catalog
        self.plugins = plugins or IvrPlugins()
        self.options = options or IvrOptions()
        self.state = channels.state
        self.core = channels.core
        self.sessions = IvrSessions(self.state.log, position=lambda: self.state.seq)
        self.flows = IvrFlowDesk(catalog, self.state.log)

    def handlers(self) -> dict[type[c.Command], Handler]:
        return {
            StartIvr: self.start,
            IvrInput: self.input,
            IvrTimeout: self.timeout,
            IvrHangup: self.hangup,
            KioskTicket: self.kiosk,
            **self.flows.handlers(),
        }

    async def kiosk(self, tx: Transaction, cmd: KioskTicket) -> Any:
        """A ticket chosen through the kiosk's flow (:mod:`kefu.service.ivr.kiosk`)."""
        return await kiosk_ticket(tx, cmd, self.catalog, self.plugins, self.state)

    def published(self, flow_id: str) -> bool:
        """Whether ``flow_id`` has a published version (new conversations may start it)."""
        try:
            self.catalog.published(flow_id[:64])
        except (FlowNotPublished, UnknownFlowVersion):
            return False
        return True

    def flow_for(self, channel: Channel, site_id: str | None = None) -> str | None:
        """The flow greeting new ``channel`` conversations (of a widget of ``site_id``)."""
        flows = self.options.flows
        key = f"{channel.value}@{site_id}" if site_id else None
        flow_id = flows.get(key) if key is not None and key in flows else flows.get(channel.value)
        return flow_id or None

    # -- the channels' intake ------------------------------------------------------------
    def screen(self, inbound: Inbound) -> Inbound:
        """The message to file: dots instead of the text when it answers a secret
        question (a PIN), the last four alone when it answers a sensitive one (a card
        number, see :mod:`kefu.domain.ivr.masking`)."""
        session = self._session_of(inbound)
        if session is None or session.asked is None:
            return inbound
        if session.asked.secret:
            return replace(inbound, text="•" * min(len(inbound.text), 32))
        state = session.state
        flow = self.catalog.get(state.flow_id, state.version)
        node = flow.nodes.get(session.asked.node_id)
        if isinstance(node, CollectNode) and node.sensitive:
            shown = sensitive_shown(flow, inbound.text.strip(), self.plugins.ctx)
            return replace(inbound, text=shown)
        scrubbed = scrub_cards(inbound.text)
        return inbound if scrubbed == inbound.text else replace(inbound, text=scrubbed)

    async def take(
        self, tx: Transaction, inbound: Inbound, customer_id: str, conv_id: str, new: bool
    ) -> bool:
        """Answer the flow of ``conv_id``, or greet a new conversation with its channel's
        flow; False: not the IVR's (it queues as before)."""
        del customer_id  # part of the intake hook; the session finds the customer itself
        session = self.sessions.get(conv_id)
        if session is not None:
            await self._feed(tx, session, m.Reply(inbound.text))
            return True
        if not new or inbound.channel not in self.core.gateways:
            return False
        # A flow picked as the pre-chat topic, else the channel's (unless a queue was picked).
        flow_id = inbound.metadata.get("ivr_flow") or (
            None
            if inbound.topic
            else self.flow_for(inbound.channel, inbound.metadata.get("site_id"))
        )
        if flow_id is None:
            return False
        await self._begin(tx, conv_id, flow_id, None, dict(inbound.metadata), inbound.topic)
        return True

    def _session_of(self, inbound: Inbound) -> Session | None:
        for _owner, conv in joined_by(self.state, inbound):
            if conv is not None and not conv.is_closed:
                return self.sessions.get(conv.conversation_id)
        return None

    # -- handlers ------------------------------------------------------------------------
    async def start(self, tx: Transaction, cmd: StartIvr) -> None:
        conv = self.state.conversation(cmd.conversation_id)  # raises UnknownConversation
        if conv.is_closed or self.state.contact_of.get(cmd.conversation_id):
            raise IvrSessionConflict(
                "the conversation is closed or queued already",
                text_key="error.ivr_conversation_taken",
            )
        if cmd.conversation_id in self.sessions.sessions:
            raise IvrSessionConflict(
                "the conversation is in a flow already", text_key="error.ivr_in_flow"
            )
        await self._begin(tx, cmd.conversation_id, cmd.flow_id, cmd.language, dict(cmd.metadata))

    async def input(self, tx: Transaction, cmd: IvrInput) -> None:
        await self._feed(tx, self._required(cmd.conversation_id), m.Reply(cmd.text))

    async def timeout(self, tx: Transaction, cmd: IvrTimeout) -> None:
        session = self.sessions.get(cmd.conversation_id)
        if session is not None:  # answered meanwhile: nothing to time out
            await self._feed(tx, session, m.Timeout())

    async def hangup(self, tx: Transaction, cmd: IvrHangup) -> None:
        await self._feed(tx, self._required(cmd.conversation_id), m.Hangup())

    def _required(self, conv_id: str) -> Session:
        session = self.sessions.get(conv_id)
        if session is None:
            raise UnknownIvrSession(
                f"conversation {conv_id[:64]!r} is in no flow",
                text_key="error.ivr_no_flow",
                conversation_id=conv_id[:64],
            )
        return session

    # -- the driver ----------------------------------------------------------------------
    async def _begin(
        self,
        tx: Transaction,
        conv_id: str,
        flow_id: str,
        language: str | None,
        metadata: dict[str, str],
        topic: str | None = None,
    ) -> None:
        flow = self.catalog.published(flow_id)
        state, actions, events = begin(
            flow, conv_id, tx.now, language=language, ctx=self.plugins.ctx
        )
        channel = self.state.conversation(conv_id).channel.value
        session = Session(conv_id, channel, state, metadata=metadata, topic=topic)
        self.sessions.open(session, tx.now)
        await self._drive(tx, session, flow, actions, events)

    async def _feed(self, tx: Transaction, session: Session, inp: m.Input) -> None:
        flow = self.catalog.get(session.state.flow_id, session.state.version)
        state, actions, events = step(flow, session.state, inp, tx.now, self.plugins.ctx)
        if not events and not actions:
            return  # ignored (an early timeout): the question and its timer stay
        session.state = state
        await self._drive(tx, session, flow, actions, events)

    async def _drive(
        self,
        tx: Transaction,
        session: Session,
        flow: Flow,
        actions: list[m.Action],
        events: Sequence[ev.IvrEvent],
    ) -> None:
        """Carry out ``actions``: answer the driver's own at once, tell the customer the
        rest, hand off or close; then arm the silence timer."""
        self.sessions.record(session, events)
        session.asked, session.due = None, None
        pending = list(actions)
        while pending:
            action = pending.pop(0)
            answer = self._answer(tx, session, action)
            if answer is not None:
                session.state, more, events = step(
                    flow, session.state, answer, tx.now, self.plugins.ctx
                )
                self.sessions.record(session, events)
                pending = more + pending
            elif isinstance(action, m.Say):
                self._tell(tx, session, action.text)
            elif isinstance(action, m.Ask):
                self._ask(tx, session, action)
            elif isinstance(action, m.Transfer):
                await hand_off(self.core, tx, session, flow, action)
            elif isinstance(action, m.StartFlow):
                flow = self.catalog.published(action.flow_id)
                session.state, more, events = begin(
                    flow, session.conversation_id, tx.now, carry=session.state,
                    ctx=self.plugins.ctx,
                )  # fmt: skip
                self.sessions.record(session, events)
                pending = more + pending
            elif isinstance(action, m.EndContact):
                self._close(tx, session, "self_service")
        if session.state.finished:
            if session.state.outcome == "abandon":
                self._close(tx, session, "abandoned")
            self.sessions.finish(session)

    def _answer(self, tx: Transaction, session: Session, action: m.Action) -> m.Input | None:
        """The input answering one of the driver's actions (None: for the customer)."""
        if isinstance(action, m.RunAction) and action.action == LIKELY_REASON:
            # The driver's own: the likely reason of the customer's contact, as the
            # outcome ("none" without one), so a flow offers what the customer likely wants.
            customer_id = self.state.conversation(session.conversation_id).customer_id
            found = self.core.contact_attributes(tx, customer_id)
            why = {"why": found.get(f"{LIKELY_REASON}.why", "")}
            return m.ActionDone(found.get(LIKELY_REASON) or "none", why)
        if isinstance(action, m.RunAction):
            run = self.plugins.actions.get(action.action)
            if run is None:
                return m.ActionDone("unknown_action")
            try:
                return run(action.params)
            except Exception:  # a failing plug-in must not strand the customer
                log.exception("self-service action %s failed", action.action)
                return m.ActionDone("error")
        if isinstance(action, m.VerifyIdentity):
            result = self.plugins.verify(action.method, action.identifier, action.secret)
            if result.ok and result.customer_id:
                mark_verified(self.state, tx, session, result.customer_id)
            return result
        if isinstance(action, m.EstimateWait):
            queue_id = pick_queue(tx.router, session, action.queue_id, self.core.options)
            wait = None if queue_id is None else queue_wait(tx.router, queue_id)
            return m.WaitEstimate(wait)
        return None

    def _ask(self, tx: Transaction, session: Session, ask: m.Ask) -> None:
        text = ask.prompt
        if ask.options and session.channel != Channel.CHAT.value:
            # No buttons off the web: numbered lines to answer with a digit.
            text += "\n" + "\n".join(f"{digit}. {label}" for digit, label in ask.options)
        self._tell(tx, session, text)
        due = None
        if ask.deadline is not None:
            scale = self.options.timeout_scale.get(session.channel, 1.0)
            due = tx.now + max(0.0, ask.deadline - tx.now) * max(1.0, scale)
        self.sessions.ask(session, ask, due, tx.now)

    def _tell(self, tx: Transaction, session: Session, text: str) -> None:
        """Send the customer the flow's ``text``. The chat socket pushes stored messages
        itself (its gateway sends nothing), so a chat message is only stored and told:
        no delivery round trip (a command and a write more) for each of the flow's lines."""
        conv_id = session.conversation_id
        if session.channel != Channel.CHAT.value:
            self.core.send_in(tx, conv_id, IVR_AUTHOR, text)
            return
        gateway = self.core.gateways.get(Channel.CHAT)
        if gateway is None:
            raise ChannelUnavailable(
                "replies on chat are not configured",
                text_key="error.replies_not_configured",
                channel=Channel.CHAT.value,
            )
        message = Message(
            Direction.OUTBOUND,
            Channel.CHAT,
            IVR_AUTHOR,
            text,
            tx.now,
            external_id=gateway.new_external_id(),
        )
        self.state.reply(conv_id, message)
        seq = len(self.state.conversation(conv_id).messages)
        self.core.tell(tx, ChannelUpdate("message", conv_id, None, "agent", seq))

    def _close(self, tx: Transaction, session: Session, outcome: str) -> None:
        if self.state.close(session.conversation_id, tx.now, outcome):
            self.core.tell(tx, ChannelUpdate("closed", session.conversation_id, None))

    # -- views (under the engine's lock) ---------------------------------------------------
    def chat_view(self, conv_id: str) -> IvrChatView | None:
        """What the chat widget shows of a conversation in a flow; None when not in one."""
        session = self.sessions.get(conv_id)
        if session is None:
            return None
        ask = session.asked
        return IvrChatView(
            flow=session.state.flow_id,
            node=session.state.node,
            verified=session.state.verified is not None,
            seq=len(self.state.conversation(conv_id).messages),
            language=session.state.language,
            prompt="" if ask is None else ask.prompt,
            options=() if ask is None else ask.options,
            secret=bool(ask and ask.secret),
        )
