"""Telephone keypad digits: RFC 4733 telephone-events, SIP INFO bodies and in-band tones.

The in-band detector measures, per block of 205 samples (25.6 ms at 8 kHz), the power of the
eight DTMF frequencies — the single-bin DFT power the Goertzel recursion computes, evaluated
as one matrix product over many blocks, of many legs at once — and accepts a digit when one
low and one high tone dominate the block, with bounded twist, in two consecutive blocks.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from kefu.adapters.voice.g711 import ulaw_encode

__all__ = [
    "BLOCK",
    "DIGITS",
    "KeyFrame",
    "TelephoneEvent",
    "ToneDetector",
    "classify_blocks",
    "digit_from_info",
    "digit_tones",
    "dtmf_tone",
    "parse_telephone_event",
    "telephone_events",
]

SAMPLE_RATE = 8000
DIGITS = "0123456789*#ABCD"
_LOW = (697.0, 770.0, 852.0, 941.0)
_HIGH = (1209.0, 1336.0, 1477.0, 1633.0)
_KEYPAD = ("123A", "456B", "789C", "*0#D")
BLOCK = 205  # samples judged together: 25.6 ms at 8 kHz
# Share of the block's energy the two tones must carry (1.0 is a clean tone pair).
_MIN_TONE_SHARE = 0.55
# Quietest block considered, mean square of int16 samples (about -50 dBFS).
_MIN_MEAN_SQUARE = 1.0e2
# Twist: high-group power over low-group power, within [-8 dB, +4 dB].
_MIN_TWIST = 10 ** (-8 / 10)
_MAX_TWIST = 10 ** (4 / 10)
# The strongest tone of a group must beat the runner-up by this power ratio (~8 dB).
_GROUP_MARGIN = 6.0

_FREQS = np.array(_LOW + _HIGH)
_ANGLES = 2 * np.pi * np.outer(_FREQS, np.arange(BLOCK)) / SAMPLE_RATE
# Cosine and sine rows: one real matrix product gives every frequency's DFT bin.
_BASIS = np.vstack([np.cos(_ANGLES), np.sin(_ANGLES)]).T.copy()


@dataclass(frozen=True, slots=True)
class TelephoneEvent:
    """One RFC 4733 payload: the digit, whether it is the end packet, its duration in samples."""

    digit: str
    end: bool
    duration: int


def parse_telephone_event(payload: bytes) -> TelephoneEvent | None:
    """Decode an RFC 4733 telephone-event payload; ``None`` for non-keypad events or junk."""
    if len(payload) < 4:
        return None
    event, flags, duration = struct.unpack_from("!BBH", payload)
    if event >= len(DIGITS):
        return None
    return TelephoneEvent(DIGITS[event], bool(flags & 0x80), duration)


_INFO_SIGNAL = re.compile(r"^\s*signal\s*=\s*(\S+)", re.IGNORECASE | re.MULTILINE)
# Some phones send * and # as their telephone-event numbers.
_EVENT_NUMBERS = {"10": "*", "11": "#"}


def digit_from_info(content_type: str | None, body: str) -> str | None:
    """The digit of a SIP INFO body (``application/dtmf-relay`` or ``application/dtmf``)."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind == "application/dtmf-relay":
        match = _INFO_SIGNAL.search(body)
        value = match.group(1) if match else ""
    elif kind == "application/dtmf":
        value = body.strip()
    else:
        return None
    value = _EVENT_NUMBERS.get(value, value.upper())
    return value if len(value) == 1 and value in DIGITS else None


def dtmf_tone(digit: str, seconds: float, amplitude: float = 8000.0) -> npt.NDArray[np.float64]:
    """The two-tone signal of *digit*, *seconds* long at 8 kHz (for tests and prompts)."""
    row = next(i for i, keys in enumerate(_KEYPAD) if digit in keys)
    col = _KEYPAD[row].index(digit)
    t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return amplitude * (np.sin(2 * np.pi * _LOW[row] * t) + np.sin(2 * np.pi * _HIGH[col] * t))


def digit_tones(digits: str, tone_s: float = 0.1, gap_s: float = 0.1) -> bytes:
    """*digits* as 8 kHz µ-law keypad tones, each *tone_s* seconds followed by *gap_s*
    seconds of silence (100 ms each: twice the shortest a receiver must accept)."""
    gap = np.zeros(round(gap_s * SAMPLE_RATE))
    parts = [part for digit in digits for part in (dtmf_tone(digit, tone_s), gap)]
    return ulaw_encode(np.concatenate(parts)) if parts else b""


KeyFrame = tuple[bytes, bool] | None
"""One 20 ms frame of keys sent as telephone-events: an RFC 4733 payload and whether it
starts its event (a new timestamp, the marker bit), or None for a frame of silence."""


def telephone_events(digits: str, tone_s: float = 0.1, gap_s: float = 0.1) -> list[KeyFrame]:
    """*digits* as RFC 4733 telephone-events, one item per 20 ms frame: each key *tone_s*
    long (its duration growing by 160 samples a frame, volume -10 dBm0), its end packet
    sent three times (§2.5.1.4), then silence to make up *gap_s* (the same pacing as
    :func:`digit_tones`)."""
    frames: list[KeyFrame] = []
    tone = max(1, round(tone_s / 0.02))
    gap = max(2, round(gap_s / 0.02))
    for digit in digits:
        event = DIGITS.index(digit)
        for n in range(1, tone + 1):
            end = 0x80 if n == tone else 0
            frames.append((struct.pack("!BBH", event, end | 10, n * 160), n == 1))
        last = frames[-1]
        assert last is not None
        frames += [(last[0], False)] * 2
        frames += [None] * (gap - 2)
    return frames


@dataclass(slots=True)
class ToneDetector:
    """Streaming in-band DTMF detector for one 8 kHz audio leg.

    Feed it linear samples in any chunk size; :meth:`feed` returns the digits that started in
    them. A digit is reported once per key press: it must be present in two consecutive
    blocks, and must disappear for a block before the same digit is reported again.
    """

    _pending: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    _candidate: str | None = None
    _reported: str | None = None

    def feed(self, samples: npt.ArrayLike) -> list[str]:
        """Append samples (int16 range) and return digits detected in the completed blocks."""
        data = np.concatenate([self._pending, np.asarray(samples, dtype=np.float64)])
        whole = len(data) // BLOCK * BLOCK
        self._pending = data[whole:]
        if whole == 0:
            return []
        return self.advance(classify_blocks(data[:whole].reshape(-1, BLOCK)))

    def advance(self, symbols: list[str | None]) -> list[str]:
        """Take the symbols of this leg's next blocks (from :func:`classify_blocks`, which
        can judge many legs' blocks in one call) and return the key presses they complete."""
        found: list[str] = []
        for symbol in symbols:
            if symbol is not None and symbol == self._candidate and symbol != self._reported:
                found.append(symbol)
                self._reported = symbol
            if symbol is None:
                self._reported = None
            self._candidate = symbol
        return found


def classify_blocks(blocks: npt.NDArray[np.float64]) -> list[str | None]:
    """The keypad symbol present in each block (``None`` when none dominates), all blocks
    judged at once."""
    energy = np.einsum("ij,ij->i", blocks, blocks)
    projections = blocks @ _BASIS
    powers = (projections[:, :8] ** 2 + projections[:, 8:] ** 2) * (2.0 / BLOCK)
    low, high = powers[:, :4], powers[:, 4:]
    rows = np.arange(len(blocks))
    lo_index, hi_index = low.argmax(axis=1), high.argmax(axis=1)
    lo_best, hi_best = low[rows, lo_index], high[rows, hi_index]
    lo_next = np.partition(low, 2, axis=1)[:, 2]
    hi_next = np.partition(high, 2, axis=1)[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        twist = hi_best / lo_best
    present = (
        (energy >= _MIN_MEAN_SQUARE * BLOCK)
        & (lo_best >= _GROUP_MARGIN * lo_next)
        & (hi_best >= _GROUP_MARGIN * hi_next)
        & (lo_best + hi_best >= _MIN_TONE_SHARE * energy)
        & (twist >= _MIN_TWIST)
        & (twist <= _MAX_TWIST)
    )
    return [
        _KEYPAD[int(lo)][int(hi)] if ok else None
        for ok, lo, hi in zip(present.tolist(), lo_index.tolist(), hi_index.tolist(), strict=True)
    ]
