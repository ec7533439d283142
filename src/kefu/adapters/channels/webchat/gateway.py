"""The web chat gateway: the customer's widget talks to ``/ws/chat`` (the page routes that
serve HTML, such as the demo shop page ``/chat/demo``, are in :mod:`kefu.web.chat_demo`).

Protocol (JSON text frames). The client opens with ``{"type": "hello", "token",
"conversation_id", "last_seq", "site_id", "flow", "lang"}`` (``lang``: the widget's
language, in which refusals are worded); the server answers ``welcome`` with the
customer's token (issued when missing or forged), the pre-chat topics (the chat queues of
the widget's site, owned or shared, every one without a site, after the flow greeting the
site's chats or the one the hello names as ``flow:<id>``; or the topics an admin set, with
the widget's look: :mod:`.widget_view`), the conversation's messages after ``last_seq``
and its status (``ivr`` with the flow's question and buttons while a flow greets it). Then:

* client ``{"type": "message", "cseq", "text", "profile": {name, email, phone, topic}}`` →
  server ``ack`` (``cseq``) once stored, or ``error`` (``cseq``, ``code``) and nothing is
  stored. ``cseq`` numbers the browser's messages; a resent one (after a reconnect) is
  acknowledged again without being stored twice;
* client ``{"type": "typing"}``; server ``typing`` when the agent types;
* client ``{"type": "leave"}`` when the customer closes the widget or leaves the page while a
  flow greets the conversation: the flow is hung up (``IvrHangup``, the contact abandoned
  the IVR) unless a socket of the same conversation is open again within
  :attr:`ChatHub.leave_grace_s` seconds (a reload, another tab);
* server ``message`` (``seq`` 1, 2, ... in the conversation), ``status`` (queued with
  ``position``, ``ahead`` and ``estimated_wait_s``, then active with the agent's name,
  closed, or ``moved`` to another routing domain with its ``conversation_id`` there and
  the ``url`` of that domain's web nodes, where the widget reconnects: a message sent
  here meanwhile is answered with that status, not stored) — pushed as they change, the
  wait at least every ``wait_interval_s``.

Guards against floods: a frame is at most :data:`MAX_FRAME_CHARS` characters (and the
server's WebSocket frame limit, :data:`MAX_FRAME_BYTES`, keeps larger ones from being
buffered at all); a message may pick only a topic it was offered; and a client address
starts at most ``chat_max_new_per_address`` new chats per ``chat_new_window_s`` seconds
(``error`` ``too_many_requests`` beyond, nothing stored).

The customer is identified by a signed token (cookie ``kefu_chat`` on kefu's own pages,
local storage in an embedding page); e-mail and phone typed in the form are claims the
agent sees (see :class:`kefu.service.channels.ports.Inbound`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from kefu.adapters.channels.webchat import frames, tokens
from kefu.adapters.channels.webchat.frames import (
    Ack,
    ChatStatus,
    MessageFrame,
    MovedStatus,
    StatusFrame,
    Topic,
    TypingFrame,
    Welcome,
)
from kefu.adapters.channels.webchat.inbound import FLOW_TOPIC, Offer, chat_message
from kefu.adapters.channels.webchat.sending import send_error, send_frame, worded
from kefu.adapters.channels.webchat.session import (
    MAX_FRAME_BYTES,
    MAX_FRAME_CHARS,
    ChatSession,
    read_frame,
)
from kefu.adapters.channels.webchat.widget_view import WidgetBook, widget_welcome
from kefu.adapters.sockets.hub import PushHub, client_address
from kefu.config import Settings
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.errors import KefuError
from kefu.domain.model import Channel
from kefu.i18n import catalogs
from kefu.service import RoutingEngine
from kefu.service.channels import (
    ChannelService,
    ChannelState,
    ChannelUpdate,
    ConversationMoved,
    OutboundReply,
)
from kefu.service.ivr import IvrChatView, IvrHangup, IvrWing
from kefu.service.security import AddressRateLimiter

__all__ = ["CHAT_COOKIE", "MAX_FRAME_BYTES", "MAX_FRAME_CHARS", "ChatHub"]

CHAT_COOKIE = "kefu_chat"
MAX_TEXT_CHARS = 4000
HELLO_TIMEOUT_S = 30.0
FLOW_TOPIC_NAME = "Self-service"
"""The flow topic's name for clients; the widget shows its catalog's ``chat.ivr_name``."""
RATE_WINDOW_S, RATE_MAX = 10.0, 30
STATUS_GAP_S = 0.1
"""Seconds of rest after pushing the statuses, before the next round."""
LEAVE_GRACE_S = 5.0
"""Seconds a ``leave`` waits before hanging up the flow (a reload reconnects within it)."""


class ChatHub(PushHub[ChatSession]):
    """The chat socket and reply gateway of one channel service; :attr:`sockets` holds
    each socket's session."""

    def __init__(
        self, channels: ChannelService, settings: Settings, *, wait_interval_s: float = 2.0
    ) -> None:
        super().__init__("chat", refresh_s=wait_interval_s, min_gap_s=STATUS_GAP_S)
        self.channels = channels
        self.engine: RoutingEngine = channels.engine
        self.settings = settings
        self.wait_interval_s = wait_interval_s
        self.ivr: IvrWing | None = None
        self.widget: WidgetBook | None = None
        self.survey_link: Callable[[str], str | None] | None = None
        """The link of a closed conversation's open follow-up survey (set by the wiring)."""
        """The IVR greeting new chats (set by the wiring); its questions show as buttons."""
        self.urls = settings.domain_urls
        """The address of each routing domain's web nodes (a moved chat's widget goes)."""
        self.leave_grace_s = LEAVE_GRACE_S
        """How long (s) a ``leave`` waits for the conversation's socket to come back."""
        self._id_prefix = secrets.token_hex(8) + "-"
        self._ids = itertools.count(1)
        self.new_chats = AddressRateLimiter(
            settings.chat_max_new_per_address,
            settings.chat_new_window_s,
            message="too many new chats from this address; try again in {wait} s",
            text_key="error.too_many_chats",
        )
        self.router = APIRouter(include_in_schema=False)
        self.router.add_api_websocket_route("/ws/chat", self.socket)
        channels.set_gateway(Channel.CHAT, self)
        # What the next round looks at: every session, or only those of these conversations
        # (a turn of a flow changes its own conversation's question, no one else's place).
        self._everyone = True
        self._due: set[str] = set()

    @property
    def sessions(self) -> list[ChatSession]:
        return list(self.sockets.values())

    def subscribe(self) -> list[Callable[[], None]]:
        return [
            self.channels.subscribe(self._on_update),
            self.engine.subscribe(lambda _batch: self.mark()),
        ]

    # -- the reply gateway: chat replies reach the socket through the updates ----------
    def new_external_id(self) -> str:
        # A random prefix per process and a counter: no system call per reply.
        return f"chat-out:{self._id_prefix}{next(self._ids)}"

    async def send(self, reply: OutboundReply) -> None:
        del reply  # the reply is stored: it reaches the socket with the channel's update

    # -- tokens ------------------------------------------------------------------------
    def issue_token(self) -> str:
        return tokens.issue_token(self.settings.secret_key)

    def token_id(self, token: str | None) -> str | None:
        """The id inside a token this server issued, else None."""
        return tokens.token_id(self.settings.secret_key, token)

    # -- the socket --------------------------------------------------------------------
    async def socket(self, websocket: WebSocket) -> None:
        await websocket.accept()
        session: ChatSession | None = None
        try:
            async with asyncio.timeout(HELLO_TIMEOUT_S):
                hello = await read_frame(websocket)
            if hello is None or hello.get("type") != "hello":
                await send_error(websocket, "hello_expected", "the first frame must be a hello")
                await websocket.close(code=1008)
                return
            session = await self._welcome(websocket, hello)
            self.sockets[websocket] = session
            while True:
                frame = await read_frame(websocket)
                if frame is not None:
                    await self._handle(session, frame)
        except (WebSocketDisconnect, TimeoutError, RuntimeError):
            pass
        finally:
            self.sockets.pop(websocket, None)

    async def _welcome(self, websocket: WebSocket, hello: dict[str, Any]) -> ChatSession:
        sent = hello.get("token") if isinstance(hello.get("token"), str) else None
        token = next(
            (t for t in (websocket.cookies.get(CHAT_COOKIE), sent) if self.token_id(t)), None
        )
        if token is None:
            token = self.issue_token()
        token_id = self.token_id(token) or ""
        ident = Identifier(IdentifierKind.CHAT_COOKIE, token_id)
        site = hello.get("site_id")
        site_id = site if isinstance(site, str) and site else None
        session = ChatSession(websocket, token, ident, client_address(websocket))
        asked_lang = hello.get("lang")
        session.language = (
            catalogs()
            .negotiate(
                asked_lang if isinstance(asked_lang, str) else None,
                websocket.headers.get("accept-language"),
            )
            .language
        )
        asked = hello.get("conversation_id")
        last = hello.get("last_seq")
        last_seq = last if isinstance(last, int) and last >= 0 else 0

        flow = None if self.ivr is None else self.ivr.flow_for(Channel.CHAT, site_id)
        asked_flow = hello.get("flow")  # the visual IVR page runs its own flow
        if self.ivr is not None and isinstance(asked_flow, str) and self.ivr.published(asked_flow):
            flow = asked_flow

        def look(engine: RoutingEngine, state: ChannelState) -> Welcome:
            topics = frames.topics(engine, site_id)
            if flow is not None:  # the site's flow comes first: the default topic
                topics.insert(0, Topic(FLOW_TOPIC + flow, FLOW_TOPIC_NAME))
            topics, look = widget_welcome(self.widget, engine, topics, session.language, site_id)
            session.offer = Offer(site_id, tuple(t.id for t in topics))
            conv_id = frames.current_conversation(state, ident)
            session.conversation_id = conv_id
            session.pinned = frames.pinned_topic(state, conv_id)
            if session.pinned is not None:
                session.offer = Offer(None, (session.pinned,))
            after = last_seq if conv_id is not None and conv_id == asked else 0
            messages = frames.messages(engine, state, conv_id, after)
            session.sent_seq = after + len(messages)
            status = frames.status(
                engine, state, conv_id, {}, self._ivr_view, self.survey_link, self.urls
            )
            session.status = status
            return Welcome(token, conv_id, messages, status, tuple(topics), flow, look)

        welcome = await self.channels.read(look)
        await websocket.send_json(welcome.to_json())
        return session

    async def _handle(self, session: ChatSession, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "typing":
            if session.conversation_id is not None:
                await self.channels.typing(session.conversation_id, "customer")
            return
        if kind == "leave":
            if session.conversation_id is not None:
                self.spawn(self._leave(session, session.conversation_id))
            return
        if kind != "message":
            await send_error(session.websocket, "unknown_type", f"unknown frame type {kind!r}")
            return
        if isinstance(session.status, MovedStatus):  # it belongs to the other domain now
            await send_frame(session.websocket, StatusFrame(session.status))
            return
        cseq = frame.get("cseq")
        text = frame.get("text")
        if not isinstance(cseq, int) or cseq < 1 or not isinstance(text, str):
            await send_error(session.websocket, "malformed", "a message has cseq ≥ 1 and text")
            return
        now = self.engine.now()
        session.recent = [t for t in session.recent if t > now - RATE_WINDOW_S] + [now]
        if len(session.recent) > RATE_MAX:
            await send_error(session.websocket, "rate_limited", "too many messages", cseq=cseq)
            return
        if not text.strip() or len(text) > MAX_TEXT_CHARS:
            message = f"a message has 1–{MAX_TEXT_CHARS} characters"
            await send_error(session.websocket, "invalid_text", message, cseq=cseq)
            return
        try:
            profile = frame.get("profile")
            if session.pinned is not None:
                profile = {
                    **(profile if isinstance(profile, dict) else {}),
                    "topic": session.pinned,
                }
            inbound = chat_message(session.ident, cseq, text.strip(), profile, now, session.offer)
            if session.conversation_id is None or session.status.state == "closed":
                # A new chat (as far as the session knows): counted per client address.
                self.new_chats.check(session.address, now)
            receipt = await self.channels.receive(inbound)
        except ConversationMoved as exc:  # moved since the session's status was read
            domain, conv_id = str(exc.details["domain"]), str(exc.details["conversation_id"])
            session.status = MovedStatus(domain, conv_id, self.urls.get(domain))
            await send_frame(session.websocket, StatusFrame(session.status))
            return
        except KefuError as exc:
            message = worded(exc, session.language)
            await send_error(session.websocket, exc.error_id, message, cseq=cseq)
            return
        if receipt.conversation_id != session.conversation_id:
            session.conversation_id = receipt.conversation_id
            session.sent_seq = 0
            await self._push_messages(session)
        ack = Ack(cseq, receipt.conversation_id)
        await session.websocket.send_json(ack.to_json())
        # Places in line change through the router's events, which mark every session.
        self.mark_conversation(receipt.conversation_id)

    async def _leave(self, leaving: ChatSession, conv_id: str) -> None:
        """Hang up the flow of ``conv_id`` after the grace, unless another socket of it is
        open (it came back) or it left the flow meanwhile."""
        await asyncio.sleep(self.leave_grace_s)
        ivr = self.ivr
        if ivr is None or ivr.sessions.get(conv_id) is None:
            return
        if any(s is not leaving and s.conversation_id == conv_id for s in self.sockets.values()):
            return  # the customer is back (a reload): the flow goes on
        with contextlib.suppress(KefuError):  # finished in between: nothing to hang up
            await self.engine.execute(IvrHangup(conv_id))

    def _ivr_view(self, conv_id: str) -> IvrChatView | None:
        return None if self.ivr is None else self.ivr.chat_view(conv_id)

    # -- pushing -----------------------------------------------------------------------
    def _on_update(self, update: ChannelUpdate) -> None:
        if update.kind == "survey":  # a closed chat's survey: its end screen offers it
            self.mark()
        elif update.kind in ("message", "closed", "contact"):
            for session in self.sessions:
                if session.conversation_id == update.conversation_id:
                    self.spawn(self._push_messages(session))
            # A message alone changes no one's place in line; one of a flow (no contact
            # yet) may change its own question and buttons.
            if update.kind != "message":
                self.mark()
            elif update.contact_id is None:
                self.mark_conversation(update.conversation_id)
        elif update.kind == "typing" and update.who == "agent":
            for session in self.sessions:
                if session.conversation_id == update.conversation_id:
                    self.spawn(send_frame(session.websocket, TypingFrame()))

    async def _push_messages(self, session: ChatSession) -> None:
        """Send the session the messages of its conversation it has not had, in order."""
        async with session.lock:
            conv_id, after = session.conversation_id, session.sent_seq
            messages = await self.channels.read(
                lambda engine, state: frames.messages(engine, state, conv_id, after)
            )
            if conv_id is None or conv_id != session.conversation_id or not messages:
                return
            session.sent_seq = messages[-1].seq
            for message in messages:
                await send_frame(session.websocket, MessageFrame(conv_id, message))

    def mark(self) -> None:
        """Something shown to every session may have changed: compare every status."""
        self._everyone = True
        super().mark()

    def mark_conversation(self, conv_id: str) -> None:
        """Only the status of ``conv_id``'s sessions may have changed: compare theirs."""
        self._due.add(conv_id)
        super().mark()

    async def push(self, changed: bool) -> None:
        if not changed:
            self._everyone = True  # waits keep counting: a quiet round compares every status
        await self.push_statuses()

    async def push_statuses(self) -> None:
        """Send each session looked at (all, or the marked conversations') whose status
        changed its new status (one engine query)."""
        everyone, due = self._everyone, self._due
        self._everyone, self._due = False, set()
        sessions = [
            s
            for s in self.sessions
            if s.conversation_id is not None and (everyone or s.conversation_id in due)
        ]
        if not sessions:
            return

        def look(engine: RoutingEngine, state: ChannelState) -> list[ChatStatus]:
            cache: dict[str, dict[str, tuple[int, float | None]]] = {}
            return [
                frames.status(
                    engine,
                    state,
                    s.conversation_id,
                    cache,
                    self._ivr_view,
                    self.survey_link,
                    self.urls,
                )
                for s in sessions
            ]

        statuses = await self.channels.read(look)
        for session, status in zip(sessions, statuses, strict=True):
            if status != session.status:
                session.status = status
                await send_frame(session.websocket, StatusFrame(status))
