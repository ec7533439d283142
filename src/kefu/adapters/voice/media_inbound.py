"""The media engine's inbound half, apart from its clock: an RTP packet's payload, the
in-band key detector run over every leg's complete blocks at once, and a payload
forwarded to the bridged leg (transcoded when the two codecs differ)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import numpy.typing as npt

from kefu.adapters.voice.dtmf import BLOCK, classify_blocks
from kefu.adapters.voice.g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from kefu.adapters.voice.port import DigitReceived, EventSink
from kefu.adapters.voice.rtp_leg import HEADER, PAYLOAD_TYPE, RtpLeg

__all__ = ["detect_tones", "forward", "rtp_payload"]


def rtp_payload(data: bytes) -> tuple[bytes, int] | None:
    """The payload and payload type of an RTP version 2 packet (CSRCs, a header extension
    and padding skipped); ``None`` for what is not one."""
    if len(data) < HEADER or data[0] >> 6 != 2:
        return None
    start = HEADER + 4 * (data[0] & 0x0F)
    if data[0] & 0x10 and len(data) >= start + 4:  # header extension
        start += 4 + 4 * int.from_bytes(data[start + 2 : start + 4], "big")
    end = len(data) - (data[-1] if data[0] & 0x20 else 0)
    return data[start:end], data[1] & 0x7F


def detect_tones(legs: Iterable[RtpLeg], sink: EventSink) -> None:
    """Run the in-band detector over every leg's complete 25.6 ms blocks in one batch."""
    ready = [leg for leg in legs if len(leg.tones) >= BLOCK]
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
            sink(DigitReceived(leg.leg_id, digit, "inband"))
        start += count


def forward(
    peer: RtpLeg | None,
    payload: bytes,
    payload_type: int,
    send: Callable[[RtpLeg, bytearray, int], None],
) -> None:
    """Send ``payload`` on to the bridged ``peer`` in its codec, unless it hears something
    else now (a prompt, a mix, keys being sent)."""
    if peer is None or peer.remote is None or peer.playing is not None or peer.mix is not None:
        return  # (a leg hearing a mix gets its peer's audio through the mix)
    if peer.keys is not None:
        return  # keys being sent: silence between them
    if payload_type != PAYLOAD_TYPE[peer.codec]:
        samples = ulaw_decode(payload) if payload_type == 0 else alaw_decode(payload)
        payload = ulaw_encode(samples) if peer.codec == "PCMU" else alaw_encode(samples)
    size = len(payload)
    packet = bytearray(HEADER + size)
    packet[:2] = peer.packet[:2]
    packet[1] = (packet[1] & 0x80) | PAYLOAD_TYPE[peer.codec]
    packet[HEADER:] = payload
    send(peer, packet, size)
