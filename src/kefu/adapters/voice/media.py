"""RTP media legs: G.711 out in 20 ms frames paced by one clock, digits and audio in.

One :class:`MediaEngine` carries many legs on one asyncio loop. Every tick (20 ms) it sends
one frame per leg in a single pass — a preallocated packet buffer per leg, the header
patched in place, the payload copied from the playing clip (or silence) — so no Python
object is made per frame. Inbound packets are read straight from non-blocking sockets:
RFC 4733 telephone-events become digits; audio goes through the in-band tone detector when
the caller did not negotiate telephone-events and, when the leg is bridged, to the other leg.
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

import numpy as np
import numpy.typing as npt

from kefu.adapters.voice.dtmf import BLOCK, classify_blocks, parse_telephone_event
from kefu.adapters.voice.g711 import (
    ALAW_SILENCE,
    ULAW_SILENCE,
    alaw_decode,
    alaw_encode,
    ulaw_decode,
    ulaw_encode,
    ulaw_to_alaw,
)
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

    def stop_playing(self, leg_id: str) -> None:
        """Stop the playing audio without a playback-ended event."""
        self._leg(leg_id).playing = None

    def bridge(self, leg_a: str, leg_b: str) -> None:
        """Forward each leg's received audio to the other (transcoded when codecs differ)."""
        a, b = self._leg(leg_a), self._leg(leg_b)
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

    def close_leg(self, leg_id: str) -> None:
        """Close the leg's socket; a bridged peer goes back to silence; a recording of the
        leg ends."""
        leg = self._legs.pop(leg_id, None)
        if leg is None:
            return
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
            sent = self._send_frames()
            self._detect_tones()
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
        if len(data) < HEADER or data[0] >> 6 != 2:
            return
        start = HEADER + 4 * (data[0] & 0x0F)
        if data[0] & 0x10 and len(data) >= start + 4:  # header extension
            start += 4 + 4 * int.from_bytes(data[start + 2 : start + 4], "big")
        end = len(data) - (data[-1] if data[0] & 0x20 else 0)
        payload = data[start:end]
        payload_type = data[1] & 0x7F
        leg.frames_received += 1
        if leg.muted and payload_type in (0, 8):
            payload = _SILENCE[payload_type][: len(payload)]
        if payload_type in (0, 8) and payload:
            if leg.recorder is not None:
                leg.recorder.feed(leg.record_channel, payload, payload_type)
            for mix, side in leg.listened:
                mix.feed(side, payload, payload_type)
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
            self._forward(leg.peer, payload, payload_type)

    def _detect_tones(self) -> None:
        """Run the in-band detector over every leg's complete blocks in one batch."""
        ready = [leg for leg in self._legs.values() if len(leg.tones) >= BLOCK]
        if not ready:
            return
        chunks: list[npt.NDArray[np.int16]] = []
        counts: list[int] = []
        for leg in ready:
            whole = len(leg.tones) // BLOCK * BLOCK
            data = bytes(leg.tones[:whole])
            del leg.tones[:whole]
            chunks.append(ulaw_decode(data) if leg.tones_pt == 0 else alaw_decode(data))
            counts.append(whole // BLOCK)
        symbols = classify_blocks(np.concatenate(chunks).astype(np.float64).reshape(-1, BLOCK))
        start = 0
        for leg, count in zip(ready, counts, strict=True):
            for digit in leg.detector.advance(symbols[start : start + count]):
                self._sink(DigitReceived(leg.leg_id, digit, "inband"))
            start += count

    def _forward(self, peer_id: str, payload: bytes, payload_type: int) -> None:
        peer = self._legs.get(peer_id)
        if peer is None or peer.remote is None or peer.playing is not None or peer.mix is not None:
            return  # (a leg hearing a mix gets its peer's audio through the mix)
        if payload_type != PAYLOAD_TYPE[peer.codec]:
            samples = ulaw_decode(payload) if payload_type == 0 else alaw_decode(payload)
            payload = ulaw_encode(samples) if peer.codec == "PCMU" else alaw_encode(samples)
        size = len(payload)
        packet = bytearray(HEADER + size)
        packet[:2] = peer.packet[:2]
        packet[1] = (packet[1] & 0x80) | PAYLOAD_TYPE[peer.codec]
        packet[HEADER:] = payload
        self._send(peer, packet, size)
