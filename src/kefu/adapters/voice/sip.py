"""The SIP front door: kefu's :class:`~kefu.adapters.voice.port.VoicePort` over SIP and RTP.

A user-agent server on UDP and TCP (same port) answers INVITE/ACK/BYE/CANCEL/OPTIONS/INFO,
negotiates G.711 (PCMU or PCMA, the caller's preference first) with RFC 4733 telephone
events, and hands each call's media to the :class:`~kefu.adapters.voice.media.MediaEngine`.
Events — call started, digits, playback ended, call ended — go to the sink it was given.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

from aiosipua import (
    IncomingCall,
    SdpNegotiationError,
    SipRequest,
    SipTransport,
    SipUAC,
    SipUAS,
    negotiate_sdp,
    parse_uri,
)

from kefu.adapters.voice.collect import Collection
from kefu.adapters.voice.dtmf import digit_from_info
from kefu.adapters.voice.media import Codec, MediaEngine
from kefu.adapters.voice.media_worker import MediaWorker
from kefu.adapters.voice.port import (
    CallNotActive,
    CallStarted,
    DigitReceived,
    EventSink,
    JoinMode,
    MediaEnded,
    VoiceError,
    VoiceEvent,
)
from kefu.adapters.voice.registrar import Registrar
from kefu.adapters.voice.routes import NumberRoute, route_for
from kefu.adapters.voice.sip_dial import Dialer
from kefu.adapters.voice.sip_inbound import InboundCall, InboundCalls
from kefu.adapters.voice.sip_refer import Referrals
from kefu.adapters.voice.sip_transport import TcpTransport, UdpTransport, reply
from kefu.adapters.voice.softphones import Softphones
from kefu.adapters.voice.trunk import Trunk, TrunkLogin

__all__ = ["ClipSource", "SipFrontDoor"]

_log = logging.getLogger(__name__)
ClipSource = Callable[[str], bytes]
_CODECS: dict[int, Codec] = {0: "PCMU", 8: "PCMA"}
_USER_AGENT = "kefu"


class SipFrontDoor:
    """SIP UAS + RTP media for inbound calls; implements ``VoicePort``.

    *numbers* maps dialled numbers to flows and sites (empty: every number goes to
    *default_flow*); *clips* turns a clip name into 8 kHz µ-law audio; *media_process*
    runs the RTP media in a worker process instead of on this loop, under real-time
    scheduling with *media_realtime*. At most *max_calls* calls at once (then 503); a call
    not answered within *ring_timeout_s* seconds gets 480 and ends ``unanswered``.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sink: EventSink,
        clips: ClipSource,
        numbers: Mapping[str, NumberRoute] | None = None,
        default_flow: str = "demo",
        tcp: bool = True,
        media_process: bool = False,
        media_realtime: bool = False,
        max_calls: int = 500,
        ring_timeout_s: float = 60.0,
        registrar: Registrar | None = None,
        trunk: Trunk | None = None,
        browser_agents: set[str] | None = None,
    ) -> None:
        self.host = host
        self._port = port
        self._sink = sink
        self._clips = clips
        self._numbers = dict(numbers or {})
        self._default_flow = default_flow
        self._tcp = tcp
        self._max_calls = max_calls
        self._ring_timeout_s = ring_timeout_s
        self.media: MediaEngine | MediaWorker = (
            MediaWorker(host, self._on_media_event, realtime=media_realtime)
            if media_process
            else MediaEngine(host, self._on_media_event)
        )
        self._inbound = InboundCalls(self.media, self._emit)
        self._udp: UdpTransport | None = None
        self._tcp_transport: TcpTransport | None = None
        self._agents: list[SipUAS] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self.registrar = registrar or Registrar({})
        self.dialer = Dialer(host, self.media, self.registrar, self._emit)
        self.trunk = trunk
        self.trunk_login = None if trunk is None else TrunkLogin(trunk)
        self.referrals = Referrals(self.dialer.by_sip.get, self._emit)
        """Agents' phones' REFERs awaiting their outcome."""
        self.softphones = Softphones(host, self.media, self._emit, browser_agents)
        """Agents answering in the browser (*browser_agents* at first) and their legs."""

    # -- lifecycle --
    @property
    def port(self) -> int:
        """The bound SIP port (UDP and TCP)."""
        if self._udp is None:
            raise RuntimeError("front door not started")
        return self._udp.local_addr[1]

    async def start(self) -> None:
        """Bind UDP (and TCP on the same port) and start the media clock."""
        self._loop = asyncio.get_running_loop()
        await self.media.start()
        for attempt in range(20):
            udp = UdpTransport(local_addr=(self.host, self._port))
            udp_agent = self._agent(udp)
            await udp_agent.start()
            self._udp, self._agents = udp, [udp_agent]
            if not self._tcp:
                break
            tcp = TcpTransport(local_addr=(self.host, udp.local_addr[1]))
            tcp_agent = self._agent(tcp)
            try:
                await tcp_agent.start()
            except OSError:
                await udp_agent.stop()
                if self._port != 0 or attempt == 19:
                    raise
                continue  # the free UDP port is taken on TCP: pick another
            self._tcp_transport = tcp
            self._agents.append(tcp_agent)
            break
        if self.trunk_login is not None and self.dialer.uac is not None:
            self.trunk_login.start(self.dialer.uac)

    async def stop(self) -> None:
        """Hang up every call, close the transports and the media legs."""
        if self.trunk_login is not None:
            self.trunk_login.stop()
        await self.softphones.close()
        for leg_id in list(self.dialer.legs):
            with contextlib.suppress(Exception):
                self.dialer.hang_up(leg_id)
        for call_id in list(self._inbound.calls):
            with contextlib.suppress(Exception):
                self._inbound.send_end(self._inbound.calls[call_id])
            self._inbound.end(call_id, "shutdown")
        for agent in self._agents:
            await agent.stop()
        self._agents.clear()
        await self.media.stop()

    def _agent(self, transport: UdpTransport | TcpTransport) -> SipUAS:
        uac = None
        if isinstance(transport, UdpTransport):  # agent phones are rung over UDP
            uac = self.dialer.uac = SipUAC(transport)
        agent = SipUAS(transport, user_agent=_USER_AGENT, uac=uac)
        agent.on_invite = self._on_invite
        agent.on_bye = lambda incoming, _request: self._on_bye(incoming.call_id)
        inbound = self._inbound
        agent.on_cancel = lambda request, _addr: inbound.end(request.call_id or "", "cancelled")
        agent.on_ack_timeout = lambda incoming: inbound.end(incoming.call_id, "no_ack")
        agent.on_reinvite = self._on_reinvite
        agent.on_refer = self.referrals.on_refer
        transport.pre_filter = self._pre_filter
        return agent

    # -- VoicePort commands --
    def answer(self, call_id: str) -> None:
        call = self._inbound.call(call_id)
        if call.answered:
            return
        call.incoming.accept(call.answer_sdp)
        call.answered = True
        if call.ring_timer is not None:
            call.ring_timer.cancel()
        self.media.connect(call_id, call.remote, call.codec, call.dtmf_pt)

    def play(self, call_id: str, clips: Sequence[str], tag: str = "") -> None:
        call = self._inbound.answered_call(call_id)
        audio = b"".join(self._clips(name) for name in clips)
        self.media.play(call_id, audio, tag)
        call.playing = True

    def collect(
        self, call_id: str, *, max_digits: int, terminator: str = "#", timeout_s: float = 5.0
    ) -> None:
        call = self._inbound.answered_call(call_id)
        collection = Collection(call_id, max_digits, terminator, timeout_s, self._emit)
        if call.collect is not None:
            call.collect.cancel()
        call.collect = collection
        if not call.playing:  # the timeout runs from the end of the prompt
            collection.arm()

    def bridge(self, call_id: str, other_call_id: str) -> None:
        self._answered(call_id, other_call_id)
        self.media.bridge(call_id, other_call_id)

    def _answered(self, *leg_ids: str) -> None:
        """Each leg must be answered (a caller's is marked so; a placed one must be)."""
        for leg_id in leg_ids:
            out = self.dialer.legs.get(leg_id) or self.softphones.legs.get(leg_id)
            if out is None:
                self._inbound.answered_call(leg_id)
            elif not out.answered:
                raise CallNotActive(
                    "the call is not answered yet",
                    text_key="error.call_not_answered",
                    call_id=leg_id,
                )

    def record(self, call_id: str, other_call_id: str, path: str) -> None:
        self.media.record(call_id, other_call_id, path)

    def pause_recording(self, call_id: str, paused: bool) -> None:
        self.media.pause_recording(call_id, paused)

    def mute(self, call_id: str, muted: bool) -> None:
        self.media.mute(call_id, muted)

    def send_digits(self, call_id: str, digits: str) -> None:
        self.media.send_digits(call_id, digits)

    def listen(
        self, listener: str, call_id: str, other_call_id: str, mode: JoinMode = "listen"
    ) -> None:
        self.media.listen(listener, call_id, other_call_id, mode)

    def conference(self, call_id: str, other_call_id: str, third_call_id: str) -> None:
        self._answered(call_id, other_call_id, third_call_id)
        self.media.conference(call_id, other_call_id, third_call_id)

    def dial(self, agent: str, caller: str = "kefu") -> str:
        if self.softphones.endpoint(agent) == "browser":
            return self.softphones.ring(agent, caller)
        return self.dialer.dial(agent, caller)

    def dial_number(self, number: str, caller: str = "kefu") -> str:
        if self.trunk is None:
            raise VoiceError(
                "no trunk for outgoing calls (KEFU_SIP_TRUNK)", text_key="error.voice_no_trunk"
            )
        return self.dialer.dial_number(number, self.trunk.addr, caller, auth=self.trunk.auth)

    def transfer_progress(self, call_id: str, status: int, reason: str) -> None:
        self.referrals.progress(call_id, status, reason)

    def hang_up(self, call_id: str) -> None:
        self.referrals.forget(call_id)
        if call_id in self.softphones.legs:
            self.softphones.hang_up(call_id)
            return
        if call_id in self.dialer.legs:
            self.dialer.hang_up(call_id)
            return
        call = self._inbound.call(call_id)
        self._inbound.send_end(call)
        self._inbound.end(call_id, "hung_up")

    @property
    def active_calls(self) -> int:
        return len(self._inbound.calls) + len(self.dialer.legs) + len(self.softphones.legs)

    def _on_bye(self, sip_call_id: str) -> None:
        leg_id = self.dialer.by_sip.get(sip_call_id)
        self.referrals.forget(leg_id or "")
        if leg_id is not None:
            self.dialer.end(leg_id, "caller_hangup")
        else:
            self._inbound.end(sip_call_id, "caller_hangup")

    # -- SIP events --
    def _pre_filter(self, transport: SipTransport, request: SipRequest) -> bool:
        method = request.method.upper()
        if method == "REGISTER":
            self.registrar.handle(transport, request)
            return True
        call = self._inbound.calls.get(request.call_id or "")
        if (
            method == "INVITE"
            and call is not None
            and ";tag=" not in (request.get_header("to") or "")
        ):
            # A retransmitted initial INVITE: provisional answers went out already and the
            # library repeats the 200 OK itself until the ACK comes.
            return True
        if method != "INFO":
            return False
        if call is None or not call.answered:
            reply(transport, request, 481, "Call/Transaction Does Not Exist")
            return True
        digit = digit_from_info(request.content_type, request.text)
        if digit is None:
            reply(transport, request, 415, "Unsupported Media Type - DTMF Relay Expected")
            return True
        reply(transport, request, 200, "OK")
        self._inbound.on_digit(call, digit, "info")
        return True

    def _on_invite(self, incoming: IncomingCall) -> None:
        call_id = incoming.call_id
        uri = parse_uri(incoming.invite.uri)
        dialled = uri.user or ""
        if len(self._inbound.calls) >= self._max_calls:
            incoming.reject(503, "Service Unavailable - Too Many Calls")
            return
        route = route_for(self._numbers, dialled, self._default_flow)
        if route is None:
            incoming.reject(404, "Not Found - Number Not In Service")
            return
        offer = incoming.sdp_offer
        if offer is None or offer.audio is None:
            incoming.reject(488, "Not Acceptable Here - SDP Offer Required")
            return
        dtmf_pt = next(
            (
                c.payload_type
                for c in offer.audio.codecs
                if c.encoding_name.lower() == "telephone-event"
            ),
            None,
        )
        try:
            port = self.media.open_leg(call_id)
        except OSError:
            _log.exception("no RTP port for call %s", call_id)
            incoming.reject(503, "Service Unavailable - No Media Port")
            return
        try:
            answer, chosen = negotiate_sdp(
                offer, self.host, port, supported_codecs=[0, 8], dtmf_payload_type=dtmf_pt or 0
            )
        except SdpNegotiationError:
            self.media.close_leg(call_id)
            incoming.reject(488, "Not Acceptable Here - PCMU or PCMA Required")
            return
        remote = offer.rtp_address
        assert remote is not None  # checked by the transport
        agent = next(a for a in self._agents if a.transport is incoming.transport)
        codec = _CODECS[chosen]
        call = InboundCall(call_id, incoming, agent, answer, remote, codec, dtmf_pt)
        self._inbound.calls[call_id] = call
        call.ring_timer = asyncio.get_running_loop().call_later(
            self._ring_timeout_s, self._inbound.ring_expired, call
        )
        incoming.ringing()
        transport: Literal["udp", "tcp"] = (
            "tcp" if agent.transport is self._tcp_transport else "udp"
        )
        self._emit(
            CallStarted(call_id, incoming.caller, dialled, route.flow, route.site, transport, codec)
        )

    def _on_reinvite(self, incoming: IncomingCall) -> None:
        """A re-INVITE (hold, resume, refresh): an agent's phone's or an inbound call's."""
        if self.dialer.reinvited(incoming):  # an agent's phone holds or resumes
            return
        self._inbound.reinvited(incoming, self._agents[0].transport)

    # -- media events and digit collection --
    def _on_media_event(self, event: VoiceEvent) -> None:
        call = self._inbound.calls.get(event.call_id)
        if call is None:
            if event.call_id in self.dialer.legs and not isinstance(event, DigitReceived):
                self._emit(event)  # an agent's keys are not the caller's
            return
        if isinstance(event, DigitReceived):
            self._inbound.on_digit(call, event.digit, event.source)
            return
        if isinstance(event, MediaEnded):
            call.playing = False
            if call.collect is not None and not call.collect.armed:
                call.collect.arm()
        self._emit(event)

    # -- helpers --
    def _emit(self, event: VoiceEvent) -> None:
        try:
            self._sink(event)
        except Exception:
            _log.exception("voice event sink failed on %r", event)
