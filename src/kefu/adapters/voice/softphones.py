"""Agents who answer calls in the browser: each agent's endpoint (a registered SIP phone or
the desktop's softphone), and the browser legs kefu rings.

Ringing a browser agent opens an RTP leg in the media engine, as for a SIP phone, and a
:class:`~kefu.adapters.voice.webrtc.BrowserPhone` facing it on loopback, in the softphone
worker processes (:mod:`~kefu.adapters.voice.softphone_pool`): this process only relays
the signalling. Once the phone's SDP offer is ready the desk is told (the desktop's socket
pushes the call to the agent's page; :meth:`Softphones.call` never waits for it); the page
answers it (:meth:`Softphones.answer`), and the leg is answered (``CallAnswered``), so the
driver bridges it to the caller as it would a SIP phone. Each agent sees and answers only
its own legs. Where an agent answers is logged (the desk's ``chosen``); the starting
choice ``KEFU_SIP_BROWSER_AGENTS`` applies to agents who never chose.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from kefu.adapters.voice.media import MediaEngine
from kefu.adapters.voice.media_worker import MediaWorker
from kefu.adapters.voice.port import CallAnswered, CallEnded, EndReason, VoiceEvent
from kefu.adapters.voice.softphone_pool import SoftphonePool
from kefu.adapters.voice.softphone_worker import SoftphoneRefused, WorkerGone
from kefu.service.routing.softphone import (
    AgentEndpoint,
    CallState,
    Changed,
    NoSoftphoneCall,
    RingingCall,
    SoftphoneAnswered,
    SoftphoneBadAnswer,
)

__all__ = ["AgentEndpoint", "BrowserLeg", "Softphones", "parse_browser_agents"]

log = logging.getLogger(__name__)


def parse_browser_agents(spec: str) -> set[str]:
    """``KEFU_SIP_BROWSER_AGENTS`` (``a1,a2``): agents whose endpoint is the browser."""
    return {name.strip() for name in spec.split(",") if name.strip()}


@dataclass(slots=True)
class BrowserLeg:
    """A call ringing (or answered) in an agent's browser."""

    leg_id: str
    agent: str
    caller: str
    offer: asyncio.Future[str] = field(default_factory=asyncio.Future)
    answered: bool = False


def _no_choice(agent: str) -> AgentEndpoint | None:
    del agent
    return None


def _no_change(agent: str | None) -> None:
    del agent


class Softphones:
    """The browser legs of one media engine; *emit* reports their answer and end. Their
    media runs in softphone workers (:class:`SoftphonePool`), started when first needed."""

    def __init__(
        self,
        host: str,
        media: MediaEngine | MediaWorker,
        emit: Callable[[VoiceEvent], None],
        browser_agents: set[str] | None = None,
    ) -> None:
        self.host = host
        self.media = media
        self.emit = emit
        self.endpoints: dict[str, AgentEndpoint] = dict.fromkeys(browser_agents or (), "browser")
        """The starting choice (``KEFU_SIP_BROWSER_AGENTS``), and choices made here."""
        self.chosen: Callable[[str], AgentEndpoint | None] = _no_choice
        """An agent's logged choice (the desk's, from the router), first."""
        self.changed: Changed = _no_change
        self.legs: dict[str, BrowserLeg] = {}
        self.pool = SoftphonePool(host, self._on_failed, self._on_lost)
        """The worker processes carrying the legs' phones."""
        self._tasks: set[asyncio.Task[None]] = set()

    def warm(self) -> None:
        """Start a worker now (in the background) rather than at the first call."""
        with contextlib.suppress(RuntimeError):  # no running loop: the first call starts it
            asyncio.get_running_loop()
            self.pool.warm()

    def _on_failed(self, leg_id: str) -> None:
        """The browser's peer connection failed (the page went away): the leg ends."""
        log.info("browser leg %s: the WebRTC connection failed", leg_id)
        self._spawn(self.end(leg_id, "hung_up"))

    def _on_lost(self, leg_ids: list[str]) -> None:
        """A worker died: its legs lost their media (the next call starts another)."""
        log.warning("a softphone worker exited with %d browser legs", len(leg_ids))
        for leg_id in leg_ids:
            self._spawn(self.end(leg_id, "shutdown"))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def connect(self, changed: Changed, chosen: Callable[[str], AgentEndpoint | None]) -> None:
        """Tell *changed* of each agent's call ringing (its offer ready), answered or
        ended; read agents' logged endpoints from *chosen*."""
        self.changed, self.chosen = changed, chosen

    def endpoint(self, agent: str) -> AgentEndpoint:
        """Where *agent* answers calls: its logged choice, else the starting one, else a
        registered SIP phone."""
        return self.chosen(agent) or self.endpoints.get(agent, "sip")

    def choose(self, agent: str, endpoint: AgentEndpoint) -> None:
        """*agent* answers its next calls at *endpoint* (the browser's worker starts)."""
        self.endpoints[agent] = endpoint
        if endpoint == "browser":
            self.warm()

    def ring(self, agent: str, caller: str = "kefu") -> str:
        """Ring *agent*'s browser: open the engine's leg and prepare the WebRTC offer;
        returns the leg's id (``CallAnswered`` or ``CallEnded`` follows)."""
        leg_id = f"web-{uuid.uuid4().hex[:16]}"
        port = self.media.open_leg(leg_id)
        leg = BrowserLeg(leg_id, agent, caller)
        self.legs[leg_id] = leg
        self._spawn(self._prepare(leg, port))
        return leg_id

    async def _prepare(self, leg: BrowserLeg, engine_port: int) -> None:
        try:
            phone_port, sdp = await self.pool.open(leg.leg_id, (self.host, engine_port))
            if leg.leg_id not in self.legs:  # ended while the phone opened
                await self.pool.close(leg.leg_id)
                return
            self.media.connect(leg.leg_id, (self.host, phone_port), "PCMU", None)
            leg.offer.set_result(sdp)
            self.changed(leg.agent)  # the desktop hears the ring now
        except Exception as exc:
            log.warning("browser leg %s for %s not prepared: %s", leg.leg_id, leg.agent, exc)
            if not leg.offer.done():
                leg.offer.set_exception(exc)
            await self.end(leg.leg_id, "rejected")

    def call(self, agent: str) -> RingingCall | None:
        """The call in *agent*'s browser once its SDP offer is ready (ringing or
        answered), or None; never waits for the offer."""
        for leg in self.legs.values():
            if leg.agent != agent or not leg.offer.done() or leg.offer.cancelled():
                continue
            if leg.offer.exception() is None:
                state: CallState = "talking" if leg.answered else "ringing"
                return RingingCall(leg.leg_id, leg.caller, leg.offer.result(), state)
        return None

    def _own(self, agent: str, leg_id: str) -> BrowserLeg:
        leg = self.legs.get(leg_id)
        if leg is None or leg.agent != agent:  # another agent's call is not found either
            raise NoSoftphoneCall(
                "no such call ringing for this agent",
                text_key="error.softphone_no_call",
                leg=leg_id[:40],
            )
        return leg

    async def answer(self, agent: str, leg_id: str, sdp: str) -> None:
        """*agent*'s browser answered *leg_id* with the SDP *sdp*: the leg is answered."""
        leg = self._own(agent, leg_id)
        if leg.answered:
            raise SoftphoneAnswered(
                "the call is answered already",
                text_key="error.softphone_answered",
                leg=leg_id[:40],
            )
        if not sdp.startswith("v=0"):
            raise SoftphoneBadAnswer("not an SDP answer", text_key="error.softphone_bad_sdp")
        try:
            if not leg.offer.done():
                raise WorkerGone("the call's media is not ready")
            await self.pool.answer(leg_id, sdp)
        except SoftphoneRefused as exc:
            raise SoftphoneBadAnswer(
                "the SDP answer was refused", text_key="error.softphone_bad_sdp"
            ) from exc
        except (WorkerGone, RuntimeError) as exc:
            log.warning("browser leg %s not answered: %s", leg_id, exc)
            await self.end(leg_id, "rejected")
            raise NoSoftphoneCall(
                "the call's media ended", text_key="error.softphone_no_call", leg=leg_id[:40]
            ) from exc
        leg.answered = True
        self.emit(CallAnswered(leg_id))
        self.changed(agent)

    async def hang_up_by(self, agent: str, leg_id: str) -> None:
        """*agent* hung up (or declined) in the browser."""
        leg = self._own(agent, leg_id)
        await self.end(leg_id, "caller_hangup" if leg.answered else "rejected")

    def hang_up(self, leg_id: str) -> None:
        """kefu ends the leg (the caller hung up, the offer was withdrawn)."""
        if leg_id in self.legs:
            self._spawn(self.end(leg_id, "hung_up"))

    async def end(self, leg_id: str, reason: EndReason) -> None:
        """Forget the leg: close the engine's leg and its peer connection in the worker."""
        leg = self.legs.pop(leg_id, None)
        if leg is None:
            return
        if not leg.offer.done():
            leg.offer.cancel()
        with contextlib.suppress(Exception):
            self.media.close_leg(leg_id)
        self.emit(CallEnded(leg_id, reason))
        self.changed(leg.agent)
        await self.pool.close(leg_id)

    async def close(self) -> None:
        """End every browser leg and stop the workers (the front door stops)."""
        for leg_id in list(self.legs):
            await self.end(leg_id, "shutdown")
        await self.pool.stop()
