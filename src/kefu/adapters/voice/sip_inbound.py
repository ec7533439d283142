"""The inbound calls the SIP front door holds: each call's SIP and media state, finding one,
the caller's digits (barge-in, digit collection), a re-INVITE, the ring timeout and ending
a call."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from aiosipua import IncomingCall, SdpMessage, SipTransport, SipUAS

from kefu.adapters.voice.collect import Collection
from kefu.adapters.voice.media import Codec, MediaEngine
from kefu.adapters.voice.media_worker import MediaWorker
from kefu.adapters.voice.port import (
    CallEnded,
    CallNotActive,
    DigitReceived,
    EndReason,
    UnknownCall,
    VoiceEvent,
)
from kefu.adapters.voice.sip_transport import reply

__all__ = ["InboundCall", "InboundCalls"]

_PAYLOAD_TYPES: dict[Codec, int] = {"PCMU": 0, "PCMA": 8}


@dataclass(slots=True)
class InboundCall:
    """A call to kefu: its INVITE, the agent it came in on, kefu's SDP answer, the caller's
    RTP address and the codec; ``answered`` once kefu accepted it."""

    call_id: str
    incoming: IncomingCall
    uas: SipUAS
    answer_sdp: SdpMessage
    remote: tuple[str, int]
    codec: Codec
    dtmf_pt: int | None
    answered: bool = False
    playing: bool = False
    collect: Collection | None = None
    ring_timer: asyncio.TimerHandle | None = None
    extra: dict[str, str] = field(default_factory=dict)


class InboundCalls:
    """The inbound calls by SIP Call-ID; events go to *emit*."""

    def __init__(
        self, media: MediaEngine | MediaWorker, emit: Callable[[VoiceEvent], None]
    ) -> None:
        self.media = media
        self.emit = emit
        self.calls: dict[str, InboundCall] = {}

    def call(self, call_id: str) -> InboundCall:
        try:
            return self.calls[call_id]
        except KeyError:
            raise UnknownCall(
                "no active call with this id", text_key="error.unknown_call", call_id=call_id
            ) from None

    def answered_call(self, call_id: str) -> InboundCall:
        call = self.call(call_id)
        if not call.answered:
            raise CallNotActive(
                "the call is not answered yet", text_key="error.call_not_answered", call_id=call_id
            )
        return call

    def on_digit(
        self, call: InboundCall, digit: str, source: Literal["rfc4733", "info", "inband"]
    ) -> None:
        self.emit(DigitReceived(call.call_id, digit, source))
        collect = call.collect
        if collect is None or collect.done:
            return
        if call.playing:  # barge-in: a key press stops the prompt
            self.media.stop_playing(call.call_id)
            call.playing = False
        collect.digit(digit)

    def reinvited(self, incoming: IncomingCall, fallback: SipTransport) -> None:
        """A re-INVITE of an inbound call: same answer, media to the offered address (481
        on *incoming*'s transport, else *fallback*, when the call is not answered here).

        The codec and RTP port stay those of the first answer; an offer that drops them gets
        488 and the call goes on as it was (RFC 3261 §14.2).
        """
        call = self.calls.get(incoming.call_id)
        if call is None or not call.answered:
            reply(incoming.transport or fallback, incoming.invite,
                  481, "Call/Transaction Does Not Exist")  # fmt: skip
            return
        offer = incoming.sdp_offer
        if offer is not None:
            remote = offer.rtp_address
            offered = {c.payload_type for c in offer.audio.codecs} if offer.audio else set()
            if remote is None or _PAYLOAD_TYPES[call.codec] not in offered:
                reply(call.uas.transport, incoming.invite, 488, "Not Acceptable Here")
                return
            call.remote = remote
            self.media.connect(call.call_id, remote, call.codec, call.dtmf_pt)
        incoming.accept(call.answer_sdp)

    def send_end(self, call: InboundCall) -> None:
        if call.answered:
            call.incoming.hangup()
        else:
            call.incoming.reject(480, "Temporarily Unavailable")
        # The library forgets a call only on the peer's BYE or CANCEL; this one ended here.
        call.uas._calls.pop(call.call_id, None)

    def ring_expired(self, call: InboundCall) -> None:
        if self.calls.get(call.call_id) is call and not call.answered:
            self.send_end(call)
            self.end(call.call_id, "unanswered")

    def end(self, call_id: str, reason: EndReason) -> None:
        call = self.calls.pop(call_id, None)
        if call is None:
            return
        if call.collect is not None:
            call.collect.cancel()
        if call.ring_timer is not None:
            call.ring_timer.cancel()
        call.incoming._stop_retransmissions()
        self.media.close_leg(call_id)
        self.emit(CallEnded(call_id, reason))
