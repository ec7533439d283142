"""Call recording: a bridged call's two legs as one stereo WAV file, written by the media
engine as the audio arrives.

Left channel: what the caller said (the audio received on the caller's leg); right channel:
what the agent said (received on the agent's leg); 16-bit linear PCM at 8 kHz. The media
clock writes one 20 ms frame per channel for every tick since the recording began (a leg
with nothing received in that frame gets silence), so the file's length is the time the
call was bridged and the two channels stay aligned to the clock rather than to the senders'
timestamps. While paused (the agent's pause for a card number) nothing received is kept:
the paused span is silence of its length. Each side is played out 40 ms behind the clock (a
small jitter buffer), so packets arriving a little late on a busy machine keep their place.
"""

from __future__ import annotations

import logging
import wave
from pathlib import Path

import numpy as np

from kefu.adapters.voice.g711 import alaw_decode, ulaw_decode

__all__ = ["CHANNELS", "RATE_HZ", "THIRD", "CallRecorder"]

_log = logging.getLogger(__name__)

RATE_HZ = 8000
CHANNELS = 2  # 0: the caller, 1: the agent
THIRD = 2
"""The input of a conference's third party, added to the agent's channel (the right)."""
_FRAME = 160  # samples per 20 ms
_FRAME_BYTES = 2 * _FRAME  # 16-bit samples
# More buffered than this (a burst after a stall) is dropped oldest first, so a leg's
# audio never lags the clock by more than 200 ms.
_MAX_BUFFERED = 10 * _FRAME_BYTES
_FLUSH_FRAMES = 50  # write to the file about once a second
# A side starts (and restarts after running dry) once this much is buffered: a packet up
# to 40 ms late then still lands in its place instead of leaving a gap and a shift.
_PRIME_BYTES = 3 * _FRAME_BYTES


class CallRecorder:
    """Records two legs into *path* (a stereo WAV) from *start_s* (the media clock, s)."""

    def __init__(self, path: Path, start_s: float, frame_s: float = 0.02) -> None:
        self.path = path
        self.start_s = start_s
        self.frame_s = frame_s
        self.frames = 0
        self.paused = False
        """While True, received audio is dropped (the file gets silence)."""
        self._buffers = (bytearray(), bytearray(), bytearray())  # caller, agent, third
        self._primed = [False, False, False]
        self._pending = bytearray()
        self._out = np.zeros(CHANNELS * _FRAME, dtype="<i2")
        self._file: wave.Wave_write | None = wave.open(str(path), "wb")  # noqa: SIM115
        self._file.setnchannels(CHANNELS)
        self._file.setsampwidth(2)
        self._file.setframerate(RATE_HZ)

    def feed(self, channel: int, payload: bytes, payload_type: int) -> None:
        """Audio received on the leg of *channel* (G.711: payload type 0 µ-law, 8 A-law;
        :data:`THIRD`: a conference's third party, mixed into the agent's channel)."""
        if self.paused:
            return
        samples = ulaw_decode(payload) if payload_type == 0 else alaw_decode(payload)
        buffer = self._buffers[channel]
        buffer += samples.astype("<i2").tobytes()
        if len(buffer) > _MAX_BUFFERED:
            del buffer[: len(buffer) - _MAX_BUFFERED]

    def tick(self, now_s: float) -> None:
        """Write the frames due by *now_s* (media clock, s)."""
        due = int((now_s - self.start_s) / self.frame_s)
        while self.frames < due:
            self._frame()
        if len(self._pending) >= _FLUSH_FRAMES * CHANNELS * _FRAME_BYTES:
            self._flush()

    def close(self, now_s: float) -> None:
        """Write what is due and finish the file (its header gets the final length)."""
        if self._file is None:
            return
        self.tick(now_s)
        self._flush()
        self._file.close()
        self._file = None

    def _frame(self) -> None:
        out = self._out
        for channel, buffer in enumerate(self._buffers):
            if channel == THIRD and not buffer and not self._primed[THIRD]:
                continue  # no conference: nothing to add
            if not self._primed[channel]:
                self._primed[channel] = len(buffer) >= _PRIME_BYTES
            take = min(len(buffer), _FRAME_BYTES) if self._primed[channel] else 0
            if self._primed[channel] and not buffer:
                self._primed[channel] = False  # ran dry: buffer again before going on
            column = np.zeros(_FRAME, dtype="<i2")
            if take:
                column[: take // 2] = np.frombuffer(bytes(buffer[:take]), dtype="<i2")
                del buffer[:take]
            if channel == THIRD:  # the third party is heard on the agent's side
                mixed = out[1::CHANNELS].astype(np.int32) + column
                out[1::CHANNELS] = np.clip(mixed, -32768, 32767)
            else:
                out[channel::CHANNELS] = column
        self._pending += out.tobytes()
        self.frames += 1

    def _flush(self) -> None:
        if self._file is None or not self._pending:
            return
        try:
            self._file.writeframesraw(bytes(self._pending))
        except OSError:
            _log.exception("call recording %s: write failed", self.path)
        self._pending.clear()
