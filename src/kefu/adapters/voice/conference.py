"""A conference on the media engine: each member leg hears the sum of the others.

Each member's received G.711 is decoded by table lookup straight into its ring buffer (a
preallocated int16 row, 200 ms). Every media tick takes the next 20 ms of each member into
one (members × 160) int32 matrix, adds its rows once and gives each member the total
minus its own row, clipped and encoded by table lookup into a preallocated byte row that
the engine copies into the member's packet (through a memoryview made once). Nothing is
allocated per member per frame but numpy's temporaries of the one batch. A member starts
being heard once 60 ms are buffered, and again after it ran dry (the jitter slack of
:mod:`~kefu.adapters.voice.listen`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from kefu.adapters.voice.g711 import DECODE_TABLES, ENCODE_TABLES

__all__ = ["FRAME", "ConferenceMix"]

FRAME = 160  # samples per 20 ms at 8 kHz
_CAPACITY = 10 * FRAME  # a burst after a stall keeps only its newest 200 ms
_PRIMED = 3 * FRAME


class ConferenceMix:
    """The mix of the legs *members* (their codecs ``PCMU``/``PCMA`` in *codecs*), one
    frame per tick: :meth:`feed` as audio arrives, :meth:`tick` once per tick, then
    ``views[i]`` is the encoded 20 ms member *i* hears."""

    def __init__(self, members: Sequence[str], codecs: Sequence[str]) -> None:
        n = len(members)
        self.members = tuple(members)
        self._ring = np.zeros((n, _CAPACITY), dtype=np.int16)
        self._head = [0] * n  # samples played out (monotonic)
        self._tail = [0] * n  # samples received (monotonic)
        self._playing = [False] * n
        self._frames = np.zeros((n, FRAME), dtype=np.int32)
        self._total = np.zeros(FRAME, dtype=np.int32)
        self._heard = np.zeros((n, FRAME), dtype=np.int32)
        self._alaw = [i for i, codec in enumerate(codecs) if codec == "PCMA"]
        self.out: npt.NDArray[np.uint8] = np.full((n, FRAME), 0xFF, dtype=np.uint8)
        self.views = [memoryview(self.out[i]) for i in range(n)]

    def feed(self, member: int, payload: bytes, payload_type: int) -> None:
        """Audio received from *member* (payload type 0 µ-law, 8 A-law)."""
        codes = np.frombuffer(payload, dtype=np.uint8)[-_CAPACITY:]
        count = len(codes)
        table = DECODE_TABLES[payload_type]
        ring = self._ring[member]
        tail = self._tail[member]
        start = tail % _CAPACITY
        first = min(count, _CAPACITY - start)
        np.take(table, codes[:first], out=ring[start : start + first])
        if first < count:
            np.take(table, codes[first:], out=ring[: count - first])
        tail += count
        self._tail[member] = tail
        if tail - self._head[member] > _CAPACITY:  # overrun: the oldest is dropped
            self._head[member] = tail - _CAPACITY

    def tick(self) -> None:
        """Mix the next 20 ms: ``views[i]`` then holds what member *i* hears."""
        frames = self._frames
        frames.fill(0)
        for i in range(len(self.members)):
            head = self._head[i]
            available = self._tail[i] - head
            if not self._playing[i]:
                if available < _PRIMED:
                    continue
                self._playing[i] = True
            if available <= 0:
                self._playing[i] = False  # ran dry: buffer again before going on
                continue
            take = min(available, FRAME)
            start = head % _CAPACITY
            first = min(take, _CAPACITY - start)
            frames[i, :first] = self._ring[i, start : start + first]
            if first < take:
                frames[i, first:take] = self._ring[i, : take - first]
            self._head[i] = head + take
        np.sum(frames, axis=0, out=self._total)
        heard = self._heard
        np.subtract(self._total, frames, out=heard)
        np.clip(heard, -32768, 32767, out=heard)
        heard += 32768
        np.take(ENCODE_TABLES["PCMU"], heard, out=self.out)
        for i in self._alaw:
            np.take(ENCODE_TABLES["PCMA"], heard[i], out=self.out[i])
