"""Keys the media engine sends to a leg as RFC 4733 telephone-events, one packet per clock
tick: every packet of one key carries the key's start timestamp (§2.3.1) while the leg's
clock runs on, so the audio after the keys keeps its timing."""

from __future__ import annotations

import contextlib
import struct

from kefu.adapters.voice.rtp_leg import FRAME_BYTES, HEADER, RtpLeg

__all__ = ["send_key"]

_PACK_SEQ_TS_SSRC = struct.Struct("!HII")


def send_key(leg: RtpLeg) -> bool:
    """Send the leg's next 20 ms frame of keys (:attr:`RtpLeg.keys`): a telephone-event
    packet, or silence between keys. Returns whether it was the last."""
    assert leg.keys is not None and leg.remote is not None
    frame = leg.keys[leg.key_pos]
    leg.key_pos += 1
    if frame is None:
        packet = leg.packet
        packet[HEADER:] = leg.silence
        timestamp = leg.timestamp
    else:
        payload, start = frame
        if start:
            leg.key_timestamp = leg.timestamp
        packet = bytearray(HEADER + len(payload))
        packet[0] = 0x80
        packet[1] = (0x80 if start else 0) | (leg.dtmf_pt or 0)  # the marker starts a key
        packet[HEADER:] = payload
        timestamp = leg.key_timestamp
    _PACK_SEQ_TS_SSRC.pack_into(packet, 2, leg.seq, timestamp, leg.ssrc)
    leg.seq = (leg.seq + 1) & 0xFFFF
    leg.timestamp = (leg.timestamp + FRAME_BYTES) & 0xFFFFFFFF
    with contextlib.suppress(OSError):  # a full buffer loses this packet only
        leg.sock.sendto(packet, leg.remote)
        leg.frames_sent += 1
    return leg.key_pos == len(leg.keys)
