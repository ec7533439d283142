"""The agent desktop page (``/desktop``) and its socket (``/ws/desktop``), which pushes the
agent's screen whenever something it shows changed (and every few seconds, so times in
state keep counting), the customer's typing, and the agent's browser softphone (a
``softphone`` frame after the first screen when kefu takes calls, and whenever its call
rings — kefu's offer ready —, is answered or ends, or its endpoint changes: the page
never polls for calls).

A new message on a conversation the screen shows goes out alone, as a ``message`` frame
(``contact_id``, ``conversation_id``, ``message`` with its ``seq``), as soon as it is
stored, whatever screens are being recomputed; offers, accepts, transfers, wrap-ups and
presence push the whole screen. Each socket sends its frames in order from one queue, each
message once: the socket records the last message number of each conversation it showed,
deltas continue from there, and a screen read before a delta went out gets the messages
it lacks appended. A page that cannot apply a delta sends ``{"type": "resync"}`` and gets
the whole screen.

Only a logged-in agent opens it, as itself: the page redirects to the login otherwise, the
socket closes with 4401 (not logged in) or 4403 (not an agent, or another site's page) —
also later, when the login ends or the user stops being that agent
(:class:`kefu.adapters.sockets.guard.SocketGuard`).
Actions are posted to ``/api/v1/desktop`` (:mod:`kefu.api.routes.desktop`) with the
session's CSRF token, which the socket's first frame carries. While a desktop is open its
agent is taken by a human (:class:`kefu.service.desktop.HumanAgents`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import RedirectResponse, Response

from kefu.adapters.sockets.guard import SocketGuard
from kefu.adapters.sockets.hub import PushHub
from kefu.config import Settings
from kefu.service import StoredEvent
from kefu.service.channels import ChannelUpdate
from kefu.service.desktop import (
    CustomerTyping,
    DesktopHello,
    Desktops,
    DesktopScreen,
    MessageDelta,
    NoticeFrame,
    ScreenFrame,
    SoftphoneFrame,
    VocabularyFrame,
)
from kefu.service.routing import SoftphoneDesk
from kefu.service.security import Principal, Role, Security, csrf_token
from kefu.service.wallboard import AgentNotice
from kefu.web._http import origin_ok, user_of
from kefu.web.i18n import page_templates, refusal

__all__ = ["DesktopPages"]

HERE = Path(__file__).resolve().parent
REFRESH_S = 5.0
MIN_GAP_S = 0.01
# Screens recomputed per engine read: each read holds the event loop and the engine's
# lock while it computes, so 50 screens at once would hold back messages being stored.
SCREEN_BATCH = 8


def desktop_agent(user: Principal | None) -> str | None:
    """The agent a user works as at the desktop, if it may open it."""
    if user is None or user.role is not Role.AGENT or not user.agent_id:
        return None
    return user.agent_id


class DesktopPages(PushHub[str]):
    """``/desktop`` and ``/ws/desktop`` of one platform; :attr:`sockets` holds the agent
    each socket shows."""

    def __init__(self, desktops: Desktops, settings: Settings, security: Security) -> None:
        super().__init__(
            "desktop",
            refresh_s=REFRESH_S,
            min_gap_s=MIN_GAP_S,
            guard=SocketGuard(security, settings.socket_recheck_s),
        )
        self.desktops = desktops
        self.channels = desktops.channels
        self.settings = settings
        self.security = security
        self.templates = page_templates()
        self._sent: dict[WebSocket, DesktopScreen] = {}
        self._dirty_agents: set[str] = set()
        self._everyone = False
        self._seqs: dict[WebSocket, dict[str, int]] = {}
        self._forced: set[WebSocket] = set()
        self.softphone: SoftphoneDesk | None = None
        self.router = APIRouter(include_in_schema=False)
        self.router.add_api_route("/desktop", self.page, methods=["GET"])
        self.router.add_api_websocket_route("/ws/desktop", self.socket)

    async def start(self) -> None:
        await self.desktops.start()
        await super().start()

    async def stop(self) -> None:
        await super().stop()
        await self.desktops.stop()

    def watch_softphone(self, desk: SoftphoneDesk) -> None:
        """Push *desk*'s softphone changes to the agents' desktops (from start)."""
        self.softphone = desk

    def subscribe(self) -> list[Callable[[], None]]:
        phrases = self.desktops.phrases.changed
        phrases.append(self._on_phrases)
        unsubscribe = [
            lambda: phrases.remove(self._on_phrases),
            self.channels.subscribe(self._on_update),
            self.channels.engine.subscribe(self._on_events),
        ]
        if self.softphone is not None:
            unsubscribe.append(self.softphone.subscribe(self._on_softphone))
        return unsubscribe

    def _mark(self, agents: set[str] | None = None) -> None:
        """Screens to refresh: those of ``agents`` (None: everyone's)."""
        if agents is None:
            self._everyone = True
        else:
            self._dirty_agents |= agents
        self.mark()

    # -- page --------------------------------------------------------------------------
    async def page(self, request: Request) -> Response:
        user = await user_of(request, self.security)
        if user is None:
            return RedirectResponse("/login?next=/desktop", status_code=303)
        agent_id = desktop_agent(user)
        if agent_id is None:
            return refusal(request, "page.agents_only")
        return self.templates.TemplateResponse(
            request,
            "desktop.html",
            {
                "agent_id": agent_id,
                "agent_name": user.display_name or user.username,
                "csrf_token": csrf_token(self.settings.secret_key, user),
            },
        )

    # -- socket ------------------------------------------------------------------------
    async def socket(self, websocket: WebSocket) -> None:
        user = await user_of(websocket, self.security)
        agent_id = desktop_agent(user)
        await websocket.accept()
        if user is None or not origin_ok(websocket):
            await websocket.close(code=4401)
            return
        if agent_id is None:
            await websocket.close(code=4403)
            return
        humans = self.desktops.humans
        humans.enter(agent_id)
        self.open_outbox(websocket)
        self.sockets[websocket] = agent_id
        guard = self.guard
        assert guard is not None
        guard.watch(
            websocket,
            user,
            lambda now: desktop_agent(now) == agent_id,
            on_close=lambda: self.sockets.pop(websocket, None),
        )
        try:
            token = csrf_token(self.settings.secret_key, user)
            hello = DesktopHello(agent_id, self.desktops.vocabulary(), token)
            self.enqueue(websocket, hello)
            await self._send_view(websocket, agent_id, force=True)
            if self.softphone is not None and self.softphone.endpoint(agent_id) is not None:
                self._push_softphone(websocket, agent_id)  # (kefu takes calls: the call bar)
            while True:
                if _is_resync(await websocket.receive_text()):
                    self._forced.add(websocket)
                    self._mark({agent_id})
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            # Before any await: a cancelled socket task must still count the desktop gone
            # (the agent's grace period starts from it).
            humans.leave(agent_id)
            guard.forget(websocket)
            self.sockets.pop(websocket, None)
            self._sent.pop(websocket, None)
            self._seqs.pop(websocket, None)
            self._forced.discard(websocket)
            await self.close_outbox(websocket)

    # -- pushing -----------------------------------------------------------------------
    def _on_update(self, update: ChannelUpdate) -> None:
        # The update names the contact's holder, read under the engine's lock when the
        # change was made: the router is never read here, outside that lock.
        holder = update.agent_id
        if update.kind == "typing" and update.who == "customer":
            frame = CustomerTyping(update.conversation_id)
            for websocket, agent_id in list(self.sockets.items()):
                if agent_id == holder:
                    self.enqueue(websocket, frame)
            return
        if holder is None:
            return
        if update.kind == "message":
            self._push_message(holder, update.conversation_id, update.contact_id, update.seq)
        else:
            self._mark({holder})

    def _on_phrases(self) -> None:
        """An admin changed the words: every open desktop gets them at once."""
        frame = VocabularyFrame(self.desktops.vocabulary())
        for websocket in list(self.sockets):
            self.enqueue(websocket, frame)

    def show_notice(self, notice: AgentNotice) -> None:
        """A supervisor's message: the open desktops of its agents show it at once."""
        frame = NoticeFrame(notice)
        wanted = set(notice.agent_ids)
        for websocket, agent_id in list(self.sockets.items()):
            if agent_id in wanted:
                self.enqueue(websocket, frame)

    def _on_softphone(self, agent: str | None) -> None:
        """The softphone of *agent* (None: everyone's) changed: its desktops get it now."""
        for websocket, agent_id in list(self.sockets.items()):
            if agent is None or agent_id == agent:
                self._push_softphone(websocket, agent_id)

    def _push_softphone(self, websocket: WebSocket, agent_id: str) -> None:
        desk = self.softphone
        if desk is not None:
            self.enqueue(websocket, SoftphoneFrame(desk.endpoint(agent_id), desk.call(agent_id)))

    def _on_events(self, batch: Sequence[StoredEvent]) -> None:
        """The agents named by routing events (offers, accepts, states, transfers...);
        other changes (another agent's state in the transfer list) wait for the refresh."""
        agents: set[str] = set()
        for stored in batch:
            event = stored.event
            for name in ("agent_id", "from_agent_id", "to_agent_id"):
                value = getattr(event, name, None)
                if value:
                    agents.add(value)
        if agents:
            self._mark(agents)

    async def _send_view(self, websocket: WebSocket, agent_id: str, *, force: bool) -> None:
        (view,) = await self.desktops.views([agent_id])
        await self._deliver(websocket, view, force=force)

    async def _deliver(self, websocket: WebSocket, view: DesktopScreen, *, force: bool) -> None:
        if not force and view.same_as(self._sent.get(websocket)):
            return
        self._sent[websocket] = view
        shown = self._seqs.get(websocket, {})
        contacts = []
        for contact in view.contacts:
            conv = contact.conversation
            if conv is not None:
                last = conv.messages[-1].seq if conv.messages else 0
                extra = self.desktops.stored_messages(
                    conv.conversation_id, last, shown.get(conv.conversation_id, 0)
                )
                # Pushed alone after this screen was read: it keeps showing them.
                contact = contact.with_messages(extra)
            contacts.append(contact)
        view = replace(view, contacts=tuple(contacts))
        self._seqs[websocket] = {
            conv.conversation_id: conv.messages[-1].seq if conv.messages else 0
            for contact in view.contacts
            if (conv := contact.conversation) is not None
        }
        self.enqueue(websocket, ScreenFrame(view))

    def _push_message(self, agent_id: str, conv_id: str, contact_id: str | None, upto: int) -> None:
        """Queue the agent's sockets the stored messages of ``conv_id`` (of contact
        ``contact_id``) up to number ``upto`` they have not shown; a socket whose screen
        does not show the conversation yet gets its whole screen instead (the
        conversation is new to it)."""
        for websocket, holder in list(self.sockets.items()):
            if holder != agent_id:
                continue
            shown = self._seqs.get(websocket)
            after = None if shown is None else shown.get(conv_id)
            if shown is None or after is None:
                self._forced.add(websocket)
                self._mark({agent_id})
                continue
            for message in self.desktops.stored_messages(conv_id, after, upto):
                shown[conv_id] = message.seq
                self.enqueue(websocket, MessageDelta(contact_id, conv_id, message))

    async def push(self, changed: bool) -> None:
        """Recompute and send the marked screens (every screen after a quiet
        :data:`REFRESH_S`), :data:`SCREEN_BATCH` agents per engine read."""
        wanted = None if (self._everyone or not changed) else self._dirty_agents
        self._dirty_agents, self._everyone = set(), False
        forced, self._forced = self._forced, set()
        targets = [
            (websocket, agent_id)
            for websocket, agent_id in list(self.sockets.items())
            if wanted is None or agent_id in wanted or websocket in forced
        ]
        agents = sorted({a for _, a in targets})
        for start in range(0, len(agents), SCREEN_BATCH):
            batch = agents[start : start + SCREEN_BATCH]
            views = await self.desktops.views(batch)
            by_agent = {v.agent_id: v for v in views}
            for websocket, agent_id in targets:
                if agent_id in by_agent and websocket in self.sockets:
                    force = not changed or websocket in forced
                    await self._deliver(websocket, by_agent[agent_id], force=force)


def _is_resync(text: str) -> bool:
    """Whether a frame from the page asks for its whole screen again."""
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("type") == "resync"
