"""G.711 µ-law (PCMU) and A-law (PCMA) codecs as numpy lookup tables (ITU-T G.711).

Encoding and decoding are table look-ups, so a whole 20 ms frame (160 samples at 8 kHz) or a
whole prompt converts in one vectorised call; µ-law ↔ A-law transcoding is ``bytes.translate``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = [
    "ALAW_SILENCE",
    "DECODE_TABLES",
    "ENCODE_TABLES",
    "ULAW_SILENCE",
    "alaw_decode",
    "alaw_encode",
    "ulaw_decode",
    "ulaw_encode",
    "ulaw_to_alaw",
]

ULAW_SILENCE = 0xFF
ALAW_SILENCE = 0xD5
_ULAW_BIAS = 0x84
_ULAW_CLIP = 32635


def _ulaw_decode_byte(code: int) -> int:
    code = ~code & 0xFF
    exponent = (code >> 4) & 0x07
    magnitude = (((code & 0x0F) << 3) + _ULAW_BIAS) << exponent
    magnitude -= _ULAW_BIAS
    return -magnitude if code & 0x80 else magnitude


def _alaw_decode_byte(code: int) -> int:
    code ^= 0x55
    magnitude = (code & 0x0F) << 4
    segment = (code & 0x70) >> 4
    if segment == 0:
        magnitude += 8
    else:
        magnitude = (magnitude + 0x108) << (segment - 1)
    return magnitude if code & 0x80 else -magnitude


def _ulaw_encode_sample(sample: int) -> int:
    sign = 0x80 if sample < 0 else 0
    magnitude = min(-sample if sign else sample, _ULAW_CLIP) + _ULAW_BIAS
    exponent = max(magnitude.bit_length() - 8, 0)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def _alaw_encode_sample(sample: int) -> int:
    if sample >= 0:
        mask = 0xD5
        magnitude = sample
    else:
        mask = 0x55
        magnitude = -sample - 1
    magnitude = min(magnitude, 32767)
    if magnitude < 256:
        code = magnitude >> 4
    else:
        segment = magnitude.bit_length() - 8
        code = (segment << 4) | ((magnitude >> (segment + 3)) & 0x0F)
    return code ^ mask


_ULAW_DECODE = np.array([_ulaw_decode_byte(c) for c in range(256)], dtype=np.int16)
_ALAW_DECODE = np.array([_alaw_decode_byte(c) for c in range(256)], dtype=np.int16)
# Indexed by sample + 32768 over the whole int16 range.
_ULAW_ENCODE = np.array([_ulaw_encode_sample(s) for s in range(-32768, 32768)], dtype=np.uint8)
_ALAW_ENCODE = np.array([_alaw_encode_sample(s) for s in range(-32768, 32768)], dtype=np.uint8)
_ULAW_TO_ALAW = bytes(int(_ALAW_ENCODE[int(v) + 32768]) for v in _ULAW_DECODE)


def ulaw_decode(data: bytes) -> npt.NDArray[np.int16]:
    """µ-law bytes → 16-bit linear samples."""
    return _ULAW_DECODE[np.frombuffer(data, dtype=np.uint8)]


def alaw_decode(data: bytes) -> npt.NDArray[np.int16]:
    """A-law bytes → 16-bit linear samples."""
    return _ALAW_DECODE[np.frombuffer(data, dtype=np.uint8)]


def _index(samples: npt.ArrayLike) -> npt.NDArray[np.int32]:
    clipped = np.clip(np.asarray(samples, dtype=np.int32), -32768, 32767)
    return clipped + 32768


def ulaw_encode(samples: npt.ArrayLike) -> bytes:
    """16-bit linear samples (clipped to int16) → µ-law bytes."""
    return _ULAW_ENCODE[_index(samples)].tobytes()


def alaw_encode(samples: npt.ArrayLike) -> bytes:
    """16-bit linear samples (clipped to int16) → A-law bytes."""
    return _ALAW_ENCODE[_index(samples)].tobytes()


def ulaw_to_alaw(data: bytes) -> bytes:
    """Transcode µ-law bytes to A-law (one table look-up per byte)."""
    return data.translate(_ULAW_TO_ALAW)


DECODE_TABLES: dict[int, npt.NDArray[np.int16]] = {0: _ULAW_DECODE, 8: _ALAW_DECODE}
"""RTP payload type (0 µ-law, 8 A-law) → its 256-entry decoding table (code → sample)."""
ENCODE_TABLES: dict[str, npt.NDArray[np.uint8]] = {"PCMU": _ULAW_ENCODE, "PCMA": _ALAW_ENCODE}
"""Codec → its 65,536-entry encoding table (sample + 32768 → code)."""
