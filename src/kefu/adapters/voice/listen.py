"""Silent listening: a supervisor's leg hears the sum of what two bridged legs say.

Each leg's received audio is decoded into its side's buffer as it arrives; every media
tick the listener's frame is the two sides' next 20 ms added (clipped to 16 bits), so the
supervisor hears both at once. A side starts being played once 60 ms are buffered (and
again after it ran dry): packets arrive out of step with the tick, and without this slack
one early tick would cut a gap into the stream every few frames. Whisper and barge use the
same mix for the agent (and the customer), fed by the other party and the supervisor.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kefu.adapters.voice.g711 import alaw_decode, ulaw_decode

__all__ = ["ListenMix"]

_FRAME = 160  # samples per 20 ms at 8 kHz
_MAX_BUFFERED = 10 * _FRAME  # a burst after a stall keeps only its newest 200 ms
_PRIMED = 3 * _FRAME  # buffered before a side is played (a 60 ms jitter buffer)


class ListenMix:
    """The two sides (0 and 1) of a call, mixed for a listener, one frame per tick."""

    def __init__(self) -> None:
        self._sides: tuple[list[npt.NDArray[np.int16]], list[npt.NDArray[np.int16]]] = ([], [])
        self._sizes = [0, 0]
        self._playing = [False, False]

    def feed(self, side: int, payload: bytes, payload_type: int) -> None:
        """Audio received from *side* (G.711: payload type 0 µ-law, 8 A-law)."""
        samples = ulaw_decode(payload) if payload_type == 0 else alaw_decode(payload)
        chunks = self._sides[side]
        chunks.append(samples)
        self._sizes[side] += len(samples)
        while self._sizes[side] > _MAX_BUFFERED and len(chunks) > 1:
            self._sizes[side] -= len(chunks.pop(0))

    def frame(self) -> npt.NDArray[np.int16]:
        """The next 20 ms of both sides added (silence where a side sent nothing)."""
        total = np.zeros(_FRAME, dtype=np.int32)
        for side, chunks in enumerate(self._sides):
            if not self._playing[side]:
                if self._sizes[side] < _PRIMED:
                    continue
                self._playing[side] = True
            if not chunks:
                self._playing[side] = False
                continue
            filled = 0
            while chunks and filled < _FRAME:
                head = chunks[0]
                take = min(_FRAME - filled, len(head))
                total[filled : filled + take] += head[:take]
                filled += take
                if take == len(head):
                    chunks.pop(0)
                else:
                    chunks[0] = head[take:]
                self._sizes[side] -= take
        return np.clip(total, -32768, 32767).astype(np.int16)
