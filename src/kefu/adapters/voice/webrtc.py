"""The browser softphone's media: a WebRTC peer (aiortc) bridged to a plain RTP leg.

:class:`BrowserPhone` looks to the media engine like any SIP phone: it owns a UDP socket
that receives the engine's RTP (8 kHz µ-law, 20 ms frames) and sends the browser's audio
back as RTP to the engine's leg. Towards the browser it is an ``RTCPeerConnection`` whose
offer carries PCMU only, so nothing is transcoded through Opus: the engine's µ-law
payloads go to aiortc as already encoded packets (no decoding, resampling or encoding in
a thread per frame), and the browser's PCMU comes back as 8 kHz samples, encoded to µ-law.

It runs in the softphone worker process (:mod:`~kefu.adapters.voice.softphone_worker`),
never on the server's loop: aiortc's ICE, DTLS and SRTP are per-packet Python work, about
ten times a bridged SIP call's CPU (bench/softphone.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
import os
import socket
import struct
import time
from collections import deque
from typing import Any

import numpy as np
import numpy.typing as npt
from aiortc import (
    MediaStreamTrack,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame, AudioResampler, Packet

from kefu.adapters.voice.g711 import ulaw_encode
from kefu.adapters.voice.rtp_leg import FRAME_BYTES, HEADER

__all__ = ["PCMU_ONLY", "BrowserPhone"]

log = logging.getLogger(__name__)

PCMU_ONLY = "audio/PCMU"
"""The one codec offered to the browser (RFC 3551 payload type 0)."""
_RATE = 8000  # samples a second
_FRAME_S = FRAME_BYTES / _RATE  # 20 ms
_TIME_BASE = fractions.Fraction(1, _RATE)
_BACKLOG = 10  # frames (200 ms) kept for the browser; older ones are dropped after a stall
_RTP = struct.Struct("!BBHII")
_PT_PCMU = 0
_SILENCE = b"\xff" * FRAME_BYTES  # µ-law of zero


class _EngineTrack(MediaStreamTrack):
    """The audio sent to the browser: the engine's µ-law frames at the 20 ms pace,
    silence when none arrived in time, as encoded PCMU packets (aiortc sends a packet as
    it is; a frame of samples would be resampled and encoded in a thread, 20 ms by 20 ms)."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.frames: deque[bytes] = deque(maxlen=_BACKLOG)
        self._start: float | None = None
        self._sent = 0

    async def recv(self) -> Packet[Any]:
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        due = self._start + self._sent * _FRAME_S
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        packet = Packet(self.frames.popleft() if self.frames else _SILENCE)
        packet.pts = self._sent * FRAME_BYTES
        packet.time_base = _TIME_BASE
        self._sent += 1
        return packet


def _samples(frame: AudioFrame, resampler: AudioResampler) -> list[npt.NDArray[np.int16]]:
    """*frame* as 8 kHz mono 16-bit samples: PCMU decoded already is (no resampling)."""
    if frame.sample_rate == _RATE and frame.format.name == "s16" and frame.layout.name == "mono":
        return [frame.to_ndarray().reshape(-1).astype(np.int16, copy=False)]
    return [out.to_ndarray().reshape(-1).astype(np.int16) for out in resampler.resample(frame)]


class _RtpSide(asyncio.DatagramProtocol):
    """The engine-facing UDP socket: inbound RTP payloads go to the browser's track."""

    def __init__(self, track: _EngineTrack) -> None:
        self.track = track
        self.received = 0

    def datagram_received(self, data: bytes, _addr: tuple[str, int]) -> None:
        if len(data) <= HEADER or data[1] & 0x7F != _PT_PCMU:
            return  # telephone-events and other payloads are not the browser's audio
        self.track.frames.append(data[HEADER:])
        self.received += 1


class BrowserPhone:
    """One agent's browser softphone on a call. Use :meth:`start` (binds the RTP socket;
    returns its port for the engine's leg to send to), :meth:`offer` (the SDP offer for
    the browser, PCMU only), :meth:`answer` (the browser's SDP answer), then
    :meth:`connect` (where the engine's leg listens); :meth:`close` ends it."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.pc = RTCPeerConnection()
        self.to_browser = _EngineTrack()
        self.remote: tuple[str, int] | None = None
        """The engine leg's RTP address the browser's audio is sent to."""
        self.sent_frames = 0
        """Frames of the browser's audio sent to the engine."""
        self._socket: socket.socket | None = None
        self._transport: asyncio.DatagramTransport | None = None
        self._rtp: _RtpSide | None = None
        self._pump: asyncio.Task[None] | None = None
        self._ssrc = int.from_bytes(os.urandom(4), "big")

        @self.pc.on("track")
        def _on_track(track: MediaStreamTrack) -> None:
            if track.kind == "audio" and self._pump is None:
                self._pump = asyncio.ensure_future(self._from_browser(track))

    @property
    def received_frames(self) -> int:
        """Frames of the engine's audio received for the browser."""
        return 0 if self._rtp is None else self._rtp.received

    async def start(self) -> int:
        """Bind the engine-facing RTP socket; returns its UDP port."""
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((self.host, 0))
        sock.setblocking(False)
        self._socket = sock
        self._rtp = _RtpSide(self.to_browser)
        transport, _ = await loop.create_datagram_endpoint(lambda: self._rtp_side(), sock=sock)
        self._transport = transport
        return int(sock.getsockname()[1])

    def _rtp_side(self) -> _RtpSide:
        assert self._rtp is not None
        return self._rtp

    def connect(self, host: str, port: int) -> None:
        """Send the browser's audio to the engine leg at *host*:*port*."""
        self.remote = (host, port)

    async def offer(self) -> str:
        """The SDP offer for the browser: one send-receive audio stream, PCMU only, with
        the ICE candidates gathered (no trickle)."""
        transceiver = self.pc.addTransceiver(self.to_browser, direction="sendrecv")
        codecs = RTCRtpSender.getCapabilities("audio").codecs
        transceiver.setCodecPreferences([c for c in codecs if c.mimeType == PCMU_ONLY])
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def answer(self, sdp: str) -> None:
        """Apply the browser's SDP answer (ICE and DTLS start)."""
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def _from_browser(self, track: MediaStreamTrack) -> None:
        """The browser's microphone as µ-law RTP to the engine leg, 20 ms a packet."""
        resampler = AudioResampler(format="s16", layout="mono", rate=_RATE)
        pending = np.zeros(0, dtype=np.int16)
        seq, stamp = int.from_bytes(os.urandom(2), "big"), int(time.time()) & 0xFFFFFFFF
        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                frame = await track.recv()
                if not isinstance(frame, AudioFrame):
                    continue
                pending = np.concatenate([pending, *_samples(frame, resampler)])
                while len(pending) >= FRAME_BYTES:
                    chunk, pending = pending[:FRAME_BYTES], pending[FRAME_BYTES:]
                    if self._transport is None or self.remote is None:
                        continue  # not bridged yet: the browser's audio goes nowhere
                    header = _RTP.pack(0x80, _PT_PCMU, seq & 0xFFFF, stamp, self._ssrc)
                    self._transport.sendto(header + ulaw_encode(chunk), self.remote)
                    seq, stamp = seq + 1, (stamp + FRAME_BYTES) & 0xFFFFFFFF
                    self.sent_frames += 1

    async def stats(self) -> dict[str, Any]:
        """aiortc's statistics of the peer connection (by report id)."""
        report = await self.pc.getStats()
        return {key: vars(value) for key, value in report.items()}

    async def close(self) -> None:
        """End the peer connection and the RTP socket."""
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        await self.pc.close()
        if self._transport is not None:
            self._transport.close()
        self._transport = None
