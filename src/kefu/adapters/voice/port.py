"""kefu's voice port: what the service side asks of a telephone leg, and what it hears back.

The port speaks kefu's own types only (call ids, digits, clip names); the SIP and RTP
libraries behind it never leak past :mod:`kefu.adapters.voice`. The IVR driver and the
router's offers will drive calls through this interface.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from kefu.domain.errors import Conflict, KefuError, NotFound, ValidationError

__all__ = [
    "CallAnswered",
    "CallEnded",
    "CallHeld",
    "CallNotActive",
    "CallStarted",
    "DigitReceived",
    "DigitsCollected",
    "EndReason",
    "EventSink",
    "JoinMode",
    "MediaEnded",
    "TransferRequested",
    "UnknownCall",
    "UnknownClip",
    "VoiceError",
    "VoiceEvent",
    "VoicePort",
    "VoiceSettingsError",
]

DigitSource = Literal["rfc4733", "info", "inband"]
EndReason = Literal[
    "caller_hangup", "cancelled", "hung_up", "no_ack", "unanswered", "shutdown", "rejected"
]
CollectEnd = Literal["terminator", "max_digits", "timeout"]


class VoiceError(KefuError):
    error_id = "voice_error"


class UnknownCall(NotFound):
    error_id = "unknown_call"


class CallNotActive(Conflict):
    """The command needs an answered call (e.g. playing a prompt before answering)."""

    error_id = "call_not_active"


class UnknownClip(NotFound):
    error_id = "unknown_clip"


class VoiceSettingsError(ValidationError):
    error_id = "voice_settings_invalid"


@dataclass(frozen=True, slots=True)
class CallStarted:
    """A caller is ringing: ``dialled`` is the user part of the request URI (the DID)."""

    call_id: str
    caller: str
    dialled: str
    flow: str
    site: str | None
    transport: Literal["udp", "tcp"]
    codec: Literal["PCMU", "PCMA"]


@dataclass(frozen=True, slots=True)
class DigitReceived:
    call_id: str
    digit: str
    source: DigitSource


@dataclass(frozen=True, slots=True)
class DigitsCollected:
    """A :meth:`VoicePort.collect` finished: by the terminator (not included), count or timeout."""

    call_id: str
    digits: str
    ended_by: CollectEnd


@dataclass(frozen=True, slots=True)
class MediaEnded:
    """The clips of the :meth:`VoicePort.play` tagged ``tag`` finished (not when stopped)."""

    call_id: str
    tag: str


@dataclass(frozen=True, slots=True)
class CallAnswered:
    """A call kefu placed (:meth:`VoicePort.dial`) was answered; its media flows."""

    call_id: str


@dataclass(frozen=True, slots=True)
class CallEnded:
    call_id: str
    reason: EndReason


@dataclass(frozen=True, slots=True)
class CallHeld:
    """The phone of a call kefu placed put it on hold (a re-INVITE offering ``sendonly``
    or ``inactive`` media; *held*) or took it back (``sendrecv``; not *held*)."""

    call_id: str
    held: bool


@dataclass(frozen=True, slots=True)
class TransferRequested:
    """The phone of a call kefu placed asked (SIP REFER) to send the call it talks on to
    *target* (the Refer-To URI's user part); :meth:`VoicePort.transfer_progress` answers."""

    call_id: str
    target: str


VoiceEvent = (
    CallStarted
    | DigitReceived
    | DigitsCollected
    | MediaEnded
    | CallAnswered
    | CallEnded
    | CallHeld
    | TransferRequested
)
EventSink = Callable[[VoiceEvent], None]
JoinMode = Literal["listen", "whisper", "barge"]
"""How a supervisor joins a call: heard by nobody, by the agent, or by both."""


class VoicePort(Protocol):
    """Commands the service side sends to telephone legs; events arrive on an :data:`EventSink`."""

    def answer(self, call_id: str) -> None:
        """Answer a ringing call (200 OK with the negotiated SDP); media starts flowing."""

    def play(self, call_id: str, clips: Sequence[str], tag: str = "") -> None:
        """Play the named clips back to back, replacing what was playing; then ``MediaEnded``."""

    def collect(
        self, call_id: str, *, max_digits: int, terminator: str = "#", timeout_s: float = 5.0
    ) -> None:
        """Gather digits until *terminator*, *max_digits* or *timeout_s* seconds of silence."""

    def bridge(self, call_id: str, other_call_id: str) -> None:
        """Connect two answered legs' audio both ways."""

    def record(self, call_id: str, other_call_id: str, path: str) -> None:
        """Record two bridged legs into the stereo WAV file *path* (*call_id* left,
        *other_call_id* right) until either ends."""

    def pause_recording(self, call_id: str, paused: bool) -> None:
        """Pause (silence is recorded) or resume the recording of the leg *call_id*."""

    def mute(self, call_id: str, muted: bool) -> None:
        """Silence what the leg *call_id* says (*muted*: its peer, the recording and
        listeners hear silence from it) or pass it on again."""

    def send_digits(self, call_id: str, digits: str) -> None:
        """Send the keypad *digits* to the leg *call_id*: RFC 4733 telephone-events when
        its far end negotiated them, else in-band tones (then ``MediaEnded`` tagged
        ``digits``); a bridged peer is not heard meanwhile."""

    def listen(
        self, listener: str, call_id: str, other_call_id: str, mode: JoinMode = "listen"
    ) -> None:
        """The answered leg *listener* hears both bridged legs (*call_id* the customer's,
        *other_call_id* the agent's), mixed; ``listen``: it is not heard; ``whisper``:
        the agent hears it; ``barge``: both do. Calling again changes the mode."""

    def conference(self, call_id: str, other_call_id: str, third_call_id: str) -> None:
        """The three answered legs hear one another (each the other two, mixed); a
        recording of *call_id* and *other_call_id* gets the third voice too. One hanging
        up leaves the other two bridged."""

    def hang_up(self, call_id: str) -> None:
        """End the call: BYE when answered, 480 when still ringing."""

    def dial(self, agent: str, caller: str = "kefu") -> str:
        """Ring agent ``agent``'s registered phone; returns the new call's id
        (``CallAnswered`` or ``CallEnded`` follows). Raises when it is not registered."""

    def dial_number(self, number: str, caller: str = "kefu") -> str:
        """Call a customer's ``number`` through the trunk; as :meth:`dial`."""

    def transfer_progress(self, call_id: str, status: int, reason: str) -> None:
        """Tell the phone of *call_id* how the transfer it asked for went (a SIP status:
        200 done, 4xx/6xx refused; final from 200 up)."""
