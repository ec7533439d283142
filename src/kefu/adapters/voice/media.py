"""RTP media legs: G.711 out in 20 ms frames paced by one clock, digits and audio in.

One :class:`MediaEngine` carries many legs on one asyncio loop. Every tick (20 ms) it sends
one frame per leg in a single pass — a preallocated packet buffer per leg, the header
patched in place, the payload copied from the playing clip (or silence) — so no Python
object is made per frame. Inbound packets are read straight from non-blocking sockets:
RFC 4733 telephone-events become digits; audio goes through the in-band tone detector when
the caller did not negotiate telephone-events and, when the leg is bridged, to the other leg.
Keys sent to a leg go as telephone-events when it negotiated them, else as tones.
Each leg's state is an :class:`~kefu.adapters.voice.rtp_leg.RtpLeg`.

Its public methods are the command set and its sink receives the events:
:class:`~kefu.adapters.voice.media_worker.MediaWorker` runs it in a worker process.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import socket
import struct
from dataclasses import dataclass, field
from pathlib import Path

from kefu.adapters.voice.conference import ConferenceMix
from kefu.adapters.voice.dtmf import (
    digit_tones,
    parse_telephone_event,
    telephone_events,
)
from kefu.adapters.voice.g711 import (
    ALAW_SILENCE,
    ULAW_SILENCE,
    alaw_encode,
    ulaw_encode,
    ulaw_to_alaw,
)
from kefu.adapters.voice.media_conference import join_conference, leave_conference
from kefu.adapters.voice.media_inbound import detect_tones, forward, rtp_payload
from kefu.adapters.voice.media_keys import send_key
from kefu.adapters.voice.media_listen import join, unmix
from kefu.adapters.voice.port import (
    DigitReceived,
    EventSink,
    JoinMode,
    MediaEnded,
    UnknownCall,
)
from kefu.adapters.voice.recording import CallRecorder
from kefu.adapters.voice.rtp_leg import (
    FRAME_BYTES,
    HEADER,
    PAYLOAD_TYPE,
    Codec,
    RtpLeg,
    bind_rtp_socket,
)

__all__ = [
    "FRAME_BYTES",
    "TICK_S",
    "Codec",
    "MediaEngine",
    "TickStats",
    "bind_rtp_socket",
]

TICK_S = 0.02
_PACK_SEQ_TS_SSRC = struct.Struct("!HII")
_SILENCE = {0: bytes([ULAW_SILENCE]) * 2048, 8: bytes([ALAW_SILENCE]) * 2048}
_log = logging.getLogger(__name__)


@dataclass(slots=True)
class TickStats:
    """Lateness of the clock ticks (seconds after their due time) and the frames each carried."""

    ticks: int = 0
    frames: int = 0
    late_frames: int = 0  # frames sent more than one tick (20 ms) after their due time
    lateness: collections.deque[float] = field(
        default_factory=lambda: collections.deque(maxlen=200_000)
    )


class MediaEngine:
    """RTP legs on one loop; events (digits, playback ends) go to *sink*, keyed by leg id."""

    def __init__(self, host: str, sink: EventSink, *, tick_s: float = TICK_S) -> None:
        self.host = host
        self.tick_s = tick_s
        self.stats = TickStats()
        self._sink = sink
        self._legs: dict[str, RtpLeg] = {}
        self._recorders: set[CallRecorder] = set()
        self._conferences: list[ConferenceMix] = []
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- lifecycle --
    async def start(self) -> None:
        """Start the clock that paces every leg's frames."""
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._run(), name="kefu-media-clock")

    async def stop(self) -> None:
        """Stop the clock and close every leg."""
        for leg_id in list(self._legs):
            self.close_leg(leg_id)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    # -- commands --
    def open_leg(self, leg_id: str) -> int:
        """Bind a UDP socket for a new leg on a free port and return the port."""
        return self.adopt_leg(leg_id, bind_rtp_socket(self.host))

    def adopt_leg(self, leg_id: str, sock: socket.socket) -> int:
        """Carry a new leg on an already bound UDP socket (e.g. one handed over by the
        SIP process) and return its port."""
        if self._loop is None:
            raise RuntimeError("media engine not started")
        sock.setblocking(False)
        leg = RtpLeg(leg_id, sock)
        self._legs[leg_id] = leg
        self._loop.add_reader(sock.fileno(), self._on_readable, leg)
        port: int = sock.getsockname()[1]
        return port

    def connect(
        self, leg_id: str, remote: tuple[str, int], codec: Codec, dtmf_pt: int | None
    ) -> None:
        """Start sending to *remote* with *codec*; *dtmf_pt* is the telephone-event type."""
        leg = self._leg(leg_id)
        leg.remote = remote
        leg.codec = codec
        leg.dtmf_pt = dtmf_pt
        leg.silence = bytes([ULAW_SILENCE if codec == "PCMU" else ALAW_SILENCE]) * FRAME_BYTES
        leg.packet[0] = 0x80  # version 2, no padding, extension or CSRC
        leg.packet[1] = PAYLOAD_TYPE[codec] | 0x80  # marker on the first packet

    def play(self, leg_id: str, ulaw: bytes, tag: str = "") -> None:
        """Play 8 kHz µ-law audio from its start, replacing what was playing."""
        leg = self._leg(leg_id)
        audio = ulaw if leg.codec == "PCMU" else ulaw_to_alaw(ulaw)
        leg.playing = memoryview(audio)
        leg.play_pos = 0
        leg.play_tag = tag
        leg.keys = None

    def send_digits(self, leg_id: str, digits: str) -> None:
        """Send keypad *digits* to the leg's far end: RFC 4733 telephone-events when it
        negotiated them (silence meanwhile), else in-band tones (played, tag ``digits``);
        either way 200 ms a key, and ``MediaEnded(leg, "digits")`` after the last."""
        leg = self._leg(leg_id)
        if leg.dtmf_pt is None:
            self.play(leg_id, digit_tones(digits), "digits")
            return
        leg.playing = None
        leg.keys, leg.key_pos = telephone_events(digits), 0  # sent by the clock (send_key)

    def stop_playing(self, leg_id: str) -> None:
        """Stop the playing audio without a playback-ended event."""
        self._leg(leg_id).playing = None

    def bridge(self, leg_a: str, leg_b: str) -> None:
        """Forward each leg's received audio to the other (transcoded when codecs differ);
        a leg has one peer, so a former peer of either is no longer sent its audio."""
        a, b = self._leg(leg_a), self._leg(leg_b)
        for leg, other in ((a, b), (b, a)):
            former = self._legs.get(leg.peer or "")
            if former is not None and former is not other and former.peer == leg.leg_id:
                former.peer = None  # e.g. the caller held while its agent consults another
        a.peer, b.peer = b.leg_id, a.leg_id
        a.playing = b.playing = None

    def record(self, leg_a: str, leg_b: str, path: str) -> None:
        """Record what both legs receive into the stereo WAV file *path* (*leg_a* left,
        *leg_b* right) until either leg closes (:mod:`~kefu.adapters.voice.recording`)."""
        a, b = self._leg(leg_a), self._leg(leg_b)
        try:
            recorder = CallRecorder(Path(path), self._now())
        except OSError:
            _log.exception("call recording %s not started", path)
            return
        self._recorders.add(recorder)
        a.recorder, a.record_channel = recorder, 0
        b.recorder, b.record_channel = recorder, 1

    def pause_recording(self, leg_id: str, paused: bool) -> None:
        """Record silence (*paused*) or again the audio on the recording of the leg."""
        recorder = self._leg(leg_id).recorder
        if recorder is not None:
            recorder.paused = paused

    def mute(self, leg_id: str, muted: bool) -> None:
        """What the leg receives is replaced by silence (*muted*) for its peer, the
        recording and listeners, or passed on again."""
        self._leg(leg_id).muted = muted

    def listen(self, listener: str, leg_a: str, leg_b: str, mode: JoinMode = "listen") -> None:
        """*listener* joins the bridged *leg_a* (the customer) and *leg_b* (the agent) and
        hears both, mixed. ``listen``: what it says goes nowhere; ``whisper``: *leg_b*
        hears it mixed with *leg_a*; ``barge``: both hear it mixed with each other
        (:mod:`~kefu.adapters.voice.media_listen`). Calling again changes the mode."""
        ear, a, b = self._leg(listener), self._leg(leg_a), self._leg(leg_b)
        join(self._legs, ear, a, b, mode)

    def conference(self, leg_a: str, leg_b: str, leg_c: str) -> None:
        """The three legs hear one another: each the sum of the other two, mixed every tick
        (:mod:`~kefu.adapters.voice.media_conference`); a recording of the call gets the
        third voice too. A member closing leaves the other two bridged."""
        members = [self._leg(leg_a), self._leg(leg_b), self._leg(leg_c)]
        for member in members:
            self.leave_conference(member.leg_id)
        self._conferences.append(join_conference(self._legs, members))

    def leave_conference(self, leg_id: str) -> None:
        """The leg leaves its conference (two members left are bridged directly)."""
        old, new = leave_conference(self._legs, self._leg(leg_id))
        if old is not None:
            self._conferences.remove(old)
        if new is not None:
            self._conferences.append(new)

    def close_leg(self, leg_id: str) -> None:
        """Close the leg's socket; a bridged peer goes back to silence; a recording of the
        leg ends (not when it was a conference's third party)."""
        if leg_id not in self._legs:
            return
        self.leave_conference(leg_id)
        leg = self._legs.pop(leg_id)
        unmix(self._legs, leg)
        for other in self._legs.values():
            if leg_id in other.mix_sources and other.peer is not None:
                unmix(self._legs, other)  # a supervisor left: the two parties hear each other
        recorder = leg.recorder
        if recorder is not None:
            self._recorders.discard(recorder)
            recorder.close(self._now())
            for other in self._legs.values():
                if other.recorder is recorder:
                    other.recorder = None
        if leg.peer is not None and leg.peer in self._legs:
            self._legs[leg.peer].peer = None
        if self._loop is not None:
            self._loop.remove_reader(leg.sock.fileno())
        leg.sock.close()

    def frames_sent(self, leg_id: str) -> int:
        """RTP frames sent on the leg so far."""
        return self._leg(leg_id).frames_sent

    @property
    def leg_count(self) -> int:
        return len(self._legs)

    # -- internals --
    def _now(self) -> float:
        return self._loop.time() if self._loop is not None else 0.0

    def _leg(self, leg_id: str) -> RtpLeg:
        try:
            return self._legs[leg_id]
        except KeyError:
            raise UnknownCall("no media leg with this id", leg_id=leg_id) from None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        stats = self.stats
        while True:
            due += self.tick_s
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            lateness = max(loop.time() - due, 0.0)
            if lateness > 5 * self.tick_s:
                # A stall (e.g. the machine paused us): resynchronise rather than burst.
                due = loop.time()
            for conference in self._conferences:
                conference.tick()
            sent = self._send_frames()
            detect_tones(self._legs.values(), self._sink)
            if self._recorders:
                now = loop.time()
                for recorder in self._recorders:
                    recorder.tick(now)
            stats.ticks += 1
            stats.frames += sent
            stats.lateness.append(lateness)
            if lateness > self.tick_s:
                stats.late_frames += sent

    def _send_frames(self) -> int:
        """Send one frame on every connected leg; returns the number sent."""
        finished: list[RtpLeg] = []
        sent = 0
        for leg in self._legs.values():
            remote = leg.remote
            if remote is None:
                continue
            if leg.keys is not None:
                if send_key(leg):
                    finished.append(leg)
                sent += 1
                continue
            packet = leg.packet
            playing = leg.playing
            if playing is not None:
                pos = leg.play_pos
                chunk = playing[pos : pos + FRAME_BYTES]
                size = len(chunk)
                packet[HEADER : HEADER + size] = chunk
                if size < FRAME_BYTES:
                    packet[HEADER + size :] = leg.silence[size:]
                leg.play_pos = pos + FRAME_BYTES
                if leg.play_pos >= len(playing):
                    finished.append(leg)
            elif leg.conference_view is not None:
                packet[HEADER:] = leg.conference_view
            elif leg.mix is not None:
                mixed = leg.mix.frame()
                packet[HEADER:] = ulaw_encode(mixed) if leg.codec == "PCMU" else alaw_encode(mixed)
            elif leg.peer is not None:
                continue  # the peer's audio is forwarded as it arrives
            else:
                packet[HEADER:] = leg.silence
            self._send(leg, packet, FRAME_BYTES)
            sent += 1
        for leg in finished:
            if leg.keys is not None:
                leg.keys = None
                self._sink(MediaEnded(leg.leg_id, "digits"))
                continue
            leg.playing = None
            self._sink(MediaEnded(leg.leg_id, leg.play_tag))
        return sent

    def _send(self, leg: RtpLeg, packet: bytearray, samples: int) -> None:
        _PACK_SEQ_TS_SSRC.pack_into(packet, 2, leg.seq, leg.timestamp, leg.ssrc)
        leg.seq = (leg.seq + 1) & 0xFFFF
        leg.timestamp = (leg.timestamp + samples) & 0xFFFFFFFF
        try:
            leg.sock.sendto(packet, leg.remote)  # type: ignore[arg-type]
        except OSError:
            return  # a full buffer or an unreachable peer loses this frame only
        packet[1] &= 0x7F  # the marker only flags the first packet
        leg.frames_sent += 1

    def _on_readable(self, leg: RtpLeg) -> None:
        while True:
            try:
                data = leg.sock.recv(2048)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            self._on_packet(leg, data)

    def _on_packet(self, leg: RtpLeg, data: bytes) -> None:
        parsed = rtp_payload(data)
        if parsed is None:
            return
        payload, payload_type = parsed
        leg.frames_received += 1
        if leg.muted and payload_type in (0, 8):
            payload = _SILENCE[payload_type][: len(payload)]
        if payload_type in (0, 8) and payload:
            if leg.recorder is not None:
                leg.recorder.feed(leg.record_channel, payload, payload_type)
            for mix, side in leg.listened:
                mix.feed(side, payload, payload_type)
            if leg.conference is not None:
                leg.conference.feed(leg.conference_index, payload, payload_type)
        if payload_type == leg.dtmf_pt:
            event = parse_telephone_event(payload)
            timestamp = int.from_bytes(data[4:8], "big")
            # One key press is several packets sharing a timestamp (RFC 4733 §2.5.1.2);
            # the digit is part of the key because some senders reuse timestamps.
            if event is not None and (timestamp, event.digit) != leg.last_event:
                leg.last_event = (timestamp, event.digit)
                self._sink(DigitReceived(leg.leg_id, event.digit, "rfc4733"))
            return
        if payload_type not in (0, 8) or not payload:
            return
        if leg.dtmf_pt is None:
            # Keys arrive as tones only from callers without telephone-events; their audio
            # waits for the tick, which judges every such leg's blocks in one go.
            if payload_type != leg.tones_pt:
                leg.tones.clear()
                leg.tones_pt = payload_type
            leg.tones += payload
        if leg.peer is not None:
            forward(self._legs.get(leg.peer), payload, payload_type, self._send)
