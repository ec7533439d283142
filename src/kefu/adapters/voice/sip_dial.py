"""Calls kefu places: ringing a registered agent phone (an INVITE with kefu's RTP leg in the
offer, G.711 µ-law and RFC 4733), its answer, its BYE, and kefu's CANCEL or BYE."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from aiosipua import DialogState, IncomingCall, OutgoingCall, SipUAC, build_sdp
from aiosipua.auth import SipDigestAuth

from kefu.adapters.voice.media import Codec, MediaEngine
from kefu.adapters.voice.media_worker import MediaWorker
from kefu.adapters.voice.port import (
    CallAnswered,
    CallEnded,
    CallHeld,
    EndReason,
    VoiceError,
    VoiceEvent,
)
from kefu.adapters.voice.registrar import Registrar

__all__ = ["Dialer", "OutLeg"]

_log = logging.getLogger(__name__)
_CODECS: dict[int, Codec] = {0: "PCMU", 8: "PCMA"}


@dataclass(slots=True)
class OutLeg:
    """A call kefu placed; ``answered`` once the phone sent 200 OK (and kefu the ACK)."""

    leg_id: str
    user: str
    call: OutgoingCall
    answered: bool = False


class Dialer:
    """Places calls to agents' registered phones through ``uac`` (the UDP transport's)."""

    def __init__(
        self,
        host: str,
        media: MediaEngine | MediaWorker,
        registrar: Registrar,
        emit: Callable[[VoiceEvent], None],
    ) -> None:
        self.host = host
        self.media = media
        self.registrar = registrar
        self.emit = emit
        self.uac: SipUAC | None = None
        self.legs: dict[str, OutLeg] = {}
        self.by_sip: dict[str, str] = {}
        """SIP Call-ID → leg id."""

    def dial(self, user: str, caller: str = "kefu") -> str:
        """Ring agent ``user``'s phone; returns the new leg's id (kefu's, not the SIP
        Call-ID; ``CallAnswered`` or ``CallEnded`` follows)."""
        binding = self.registrar.binding(user)
        if binding is None:
            raise VoiceError(
                "the agent's phone is not registered",
                text_key="error.agent_phone_unregistered",
                agent=user,
            )
        return self._invite(binding.uri, binding.addr, caller, user)

    def dial_number(
        self,
        number: str,
        trunk: tuple[str, int],
        caller: str = "kefu",
        *,
        auth: SipDigestAuth | None = None,
    ) -> str:
        """Call ``number`` through the trunk at ``trunk`` (host, port); as :meth:`dial`;
        a 401/407 challenge is answered once with *auth* (the provider's login)."""
        if not number or not all(ch.isdigit() or ch in "+*#" for ch in number):
            raise VoiceError(
                "not a number to call", text_key="error.voice_bad_number", number=number[:32]
            )
        uri = f"sip:{number}@{trunk[0]}:{trunk[1]}"
        return self._invite(uri, trunk, caller, number, auth)

    def _invite(
        self,
        uri: str,
        addr: tuple[str, int],
        caller: str,
        label: str,
        auth: SipDigestAuth | None = None,
    ) -> str:
        if self.uac is None:
            raise VoiceError(
                "kefu places no calls before it listens", text_key="error.voice_not_listening"
            )
        uac = self.uac
        local = uac.transport.local_addr
        leg_id = f"out-{uuid.uuid4().hex[:16]}"
        rtp_port = self.media.open_leg(leg_id)
        try:
            call = uac.send_invite(
                f"sip:{caller}@{local[0]}:{local[1]}",
                uri,
                addr,
                build_sdp(self.host, rtp_port, 0, "PCMU"),
                user_agent="kefu",
                auth=auth,
            )
        except Exception:
            self.media.close_leg(leg_id)
            raise
        leg = OutLeg(leg_id, label, call)
        self.legs[leg_id] = leg
        self.by_sip[call.call_id] = leg_id
        call.on_answer = lambda _answered: self._answered(leg)
        call.on_rejected = lambda _c, _code, _reason: self.end(leg.leg_id, "rejected")
        return leg_id

    def _answered(self, leg: OutLeg) -> None:
        answer = leg.call.sdp_answer
        remote = None if answer is None else answer.rtp_address
        codecs = [] if answer is None or answer.audio is None else answer.audio.codecs
        codec = next((_CODECS[c.payload_type] for c in codecs if c.payload_type in _CODECS), None)
        if remote is None or codec is None:
            _log.warning("agent phone %s answered without G.711: hanging up", leg.user)
            self.hang_up(leg.leg_id)
            return
        dtmf = next(
            (c.payload_type for c in codecs if c.encoding_name.lower() == "telephone-event"),
            None,
        )
        leg.answered = True
        self.media.connect(leg.leg_id, remote, codec, dtmf)
        self.emit(CallAnswered(leg.leg_id))

    def reinvited(self, incoming: IncomingCall) -> bool:
        """A re-INVITE on a call kefu placed (the phone holds or resumes): answered with
        kefu's own offer again, ``CallHeld`` emitted. False when the call is not one of
        kefu's."""
        leg_id = self.by_sip.get(incoming.call_id)
        leg = self.legs.get(leg_id or "")
        if leg is None or not leg.answered:
            return False
        offer = incoming.sdp_offer
        audio = None if offer is None else offer.audio
        remote = None if offer is None else offer.rtp_address
        held = audio is not None and (
            audio.direction in ("sendonly", "inactive") or (remote or ("", 0))[0] == "0.0.0.0"
        )
        incoming.accept(leg.call.sdp_offer)
        self.emit(CallHeld(leg.leg_id, held))
        return True

    def hang_up(self, leg_id: str) -> None:
        """CANCEL a ringing phone, BYE an answered one."""
        leg = self.legs.get(leg_id)
        if leg is None or self.uac is None:
            return
        if leg.call.dialog.state == DialogState.CONFIRMED:
            leg.call.hangup(self.uac)
        else:
            leg.call.cancel(self.uac)
        self.end(leg_id, "hung_up")

    def end(self, leg_id: str, reason: EndReason) -> None:
        """Forget the leg (its phone hung up, refused, or kefu ended it)."""
        leg = self.legs.pop(leg_id, None)
        if leg is None:
            return
        self.by_sip.pop(leg.call.call_id, None)
        if self.uac is not None:
            self.uac.remove_call(leg.call.call_id)
        self.media.close_leg(leg_id)
        self.emit(CallEnded(leg_id, reason))
