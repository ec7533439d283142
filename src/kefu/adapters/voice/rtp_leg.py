"""One RTP leg of the media engine: its state, the packet constants and its UDP socket.

:class:`~kefu.adapters.voice.media.MediaEngine` keeps one :class:`RtpLeg` per call leg and
drives them all from its clock; this module holds only the record and how a leg's socket
is bound.
"""

from __future__ import annotations

import random
import socket
from dataclasses import dataclass, field
from typing import Literal

from kefu.adapters.voice.conference import ConferenceMix
from kefu.adapters.voice.dtmf import KeyFrame, ToneDetector
from kefu.adapters.voice.g711 import ULAW_SILENCE
from kefu.adapters.voice.listen import ListenMix
from kefu.adapters.voice.recording import CallRecorder

__all__ = [
    "FRAME_BYTES",
    "HEADER",
    "PAYLOAD_TYPE",
    "Codec",
    "RtpLeg",
    "bind_rtp_socket",
]

FRAME_BYTES = 160  # 20 ms of 8 kHz G.711, one byte per sample
HEADER = 12  # bytes of a fixed RTP header (no CSRC, no extension)
Codec = Literal["PCMU", "PCMA"]
PAYLOAD_TYPE: dict[Codec, int] = {"PCMU": 0, "PCMA": 8}


@dataclass(slots=True)
class RtpLeg:
    """One RTP leg's socket, send state (packet buffer, sequence, timestamp, SSRC, the
    playing clip), receive state (digits, tones) and its links to a peer, a recording and
    listen mixes; frames are 20 ms (:data:`FRAME_BYTES` of G.711)."""

    leg_id: str
    sock: socket.socket
    codec: Codec = "PCMU"
    remote: tuple[str, int] | None = None
    dtmf_pt: int | None = None
    packet: bytearray = field(default_factory=lambda: bytearray(HEADER + FRAME_BYTES))
    silence: bytes = bytes([ULAW_SILENCE]) * FRAME_BYTES
    seq: int = field(default_factory=lambda: random.randrange(1 << 16))
    timestamp: int = field(default_factory=lambda: random.randrange(1 << 32))
    ssrc: int = field(default_factory=lambda: random.randrange(1 << 32))
    playing: memoryview | None = None
    play_pos: int = 0
    play_tag: str = ""
    peer: str | None = None
    detector: ToneDetector = field(default_factory=ToneDetector)
    tones: bytearray = field(default_factory=bytearray)  # received audio awaiting detection
    tones_pt: int = 0
    last_event: tuple[int, str] | None = None
    frames_sent: int = 0
    frames_received: int = 0
    recorder: CallRecorder | None = None
    record_channel: int = 0
    listened: list[tuple[ListenMix, int]] = field(default_factory=list)  # (mix, side)
    mix: ListenMix | None = None  # a leg that hears a mix (a supervisor's, or joined by one)
    mix_sources: tuple[str, ...] = ()  # the legs *mix* is fed by
    muted: bool = False  # its audio reaches nobody: silence instead (the agent muted)
    keys: list[KeyFrame] | None = None  # keys being sent as telephone-events, per frame
    key_pos: int = 0
    key_timestamp: int = 0  # the RTP timestamp of the event being sent
    conference: ConferenceMix | None = None  # the conference it is a member of
    conference_index: int = 0  # its row in the conference's mix
    conference_view: memoryview | None = None  # what it hears from the conference, per tick


def bind_rtp_socket(host: str) -> socket.socket:
    """A UDP socket on a free port of *host* for one RTP leg."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind((host, 0))
    except OSError:
        sock.close()
        raise
    return sock
