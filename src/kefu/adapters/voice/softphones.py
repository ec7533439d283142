"""Agents who answer calls in the browser: each agent's endpoint (a registered SIP phone or
the desktop's softphone), and the browser legs kefu rings.

Ringing a browser agent opens an RTP leg in the media engine, as for a SIP phone, and a
:class:`~kefu.adapters.voice.webrtc.BrowserPhone` facing it on loopback; the desktop
fetches the phone's SDP offer (:meth:`Softphones.ringing`), answers it
(:meth:`Softphones.answer`), and the leg is answered (``CallAnswered``), so the driver
bridges it to the caller as it would a SIP phone. Each agent sees and answers only its
own legs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from aiortc.exceptions import InvalidAccessError, InvalidStateError

from kefu.adapters.voice.media import MediaEngine
from kefu.adapters.voice.media_worker import MediaWorker
from kefu.adapters.voice.port import CallAnswered, CallEnded, EndReason, VoiceEvent
from kefu.adapters.voice.webrtc import BrowserPhone
from kefu.service.routing.softphone import (
    AgentEndpoint,
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
    phone: BrowserPhone
    offer: asyncio.Future[str] = field(default_factory=asyncio.Future)
    answered: bool = False


class Softphones:
    """The browser legs of one media engine; *emit* reports their answer and end."""

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
        self.legs: dict[str, BrowserLeg] = {}

    def endpoint(self, agent: str) -> AgentEndpoint:
        """Where *agent* answers calls (a registered SIP phone unless chosen otherwise)."""
        return self.endpoints.get(agent, "sip")

    def choose(self, agent: str, endpoint: AgentEndpoint) -> None:
        """*agent* answers its next calls at *endpoint*."""
        self.endpoints[agent] = endpoint

    def ring(self, agent: str, caller: str = "kefu") -> str:
        """Ring *agent*'s browser: open the engine's leg and prepare the WebRTC offer;
        returns the leg's id (``CallAnswered`` or ``CallEnded`` follows)."""
        leg_id = f"web-{uuid.uuid4().hex[:16]}"
        port = self.media.open_leg(leg_id)
        leg = BrowserLeg(leg_id, agent, caller, BrowserPhone(self.host))
        self.legs[leg_id] = leg
        task = asyncio.ensure_future(self._prepare(leg, port))
        task.add_done_callback(lambda done: done.cancelled() or done.exception())
        return leg_id

    async def _prepare(self, leg: BrowserLeg, engine_port: int) -> None:
        try:
            phone_port = await leg.phone.start()
            self.media.connect(leg.leg_id, (self.host, phone_port), "PCMU", None)
            leg.phone.connect(self.host, engine_port)
            leg.offer.set_result(await leg.phone.offer())
        except Exception as exc:
            log.warning("browser leg %s for %s not prepared: %s", leg.leg_id, leg.agent, exc)
            if not leg.offer.done():
                leg.offer.set_exception(exc)
            await self.end(leg.leg_id, "rejected")

    async def ringing(self, agent: str) -> RingingCall | None:
        """The call ringing in *agent*'s browser (its SDP offer once prepared), or None."""
        leg = next((x for x in self.legs.values() if x.agent == agent and not x.answered), None)
        if leg is None:
            return None
        try:
            sdp = await asyncio.wait_for(asyncio.shield(leg.offer), 10.0)
        except Exception:  # not prepared in time, or failed (the leg ends)
            return None
        return RingingCall(leg.leg_id, leg.caller, sdp)

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
            await leg.phone.answer(sdp)
        except (ValueError, InvalidStateError, InvalidAccessError) as exc:
            raise SoftphoneBadAnswer(
                "the SDP answer was refused", text_key="error.softphone_bad_sdp"
            ) from exc
        leg.answered = True
        self.emit(CallAnswered(leg_id))

    async def hang_up_by(self, agent: str, leg_id: str) -> None:
        """*agent* hung up (or declined) in the browser."""
        leg = self._own(agent, leg_id)
        await self.end(leg_id, "caller_hangup" if leg.answered else "rejected")

    def hang_up(self, leg_id: str) -> None:
        """kefu ends the leg (the caller hung up, the offer was withdrawn)."""
        if leg_id in self.legs:
            task = asyncio.ensure_future(self.end(leg_id, "hung_up"))
            task.add_done_callback(lambda done: done.cancelled() or done.exception())

    async def end(self, leg_id: str, reason: EndReason) -> None:
        """Forget the leg: close its peer connection and the engine's leg."""
        leg = self.legs.pop(leg_id, None)
        if leg is None:
            return
        if not leg.offer.done():
            leg.offer.cancel()
        with contextlib.suppress(Exception):
            self.media.close_leg(leg_id)
        await leg.phone.close()
        self.emit(CallEnded(leg_id, reason))

    async def close(self) -> None:
        """End every browser leg (the front door stops)."""
        for leg_id in list(self.legs):
            await self.end(leg_id, "shutdown")
