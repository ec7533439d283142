"""Two callers bridged through the front door: each hears the other, in its own codec."""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass, field

from voice_helpers import VoiceServer, voice_server

from kefu.adapters.voice.g711 import alaw_decode, alaw_encode, ulaw_encode, ulaw_to_alaw
from kefu.adapters.voice.port import CallStarted, VoiceEvent, VoicePort


@dataclass
class BridgeTwo:
    """A flow that answers every call and bridges calls two by two."""

    port: VoicePort | None = None
    waiting: list[str] = field(default_factory=list)
    events: list[VoiceEvent] = field(default_factory=list)

    def __call__(self, event: VoiceEvent) -> None:
        self.events.append(event)
        if isinstance(event, CallStarted) and self.port is not None:
            self.port.answer(event.call_id)
            self.waiting.append(event.call_id)
            if len(self.waiting) == 2:
                self.port.bridge(*self.waiting)
                self.waiting.clear()


def _dial(server: VoiceServer, rtp: socket.socket, codec: int, name: str) -> int:
    """Call kefu from a fresh SIP socket offering *codec*; returns kefu's RTP port."""
    sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sip.bind(("127.0.0.1", 0))
    sip.settimeout(2.0)
    sdp = (
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        f"m=audio {rtp.getsockname()[1]} RTP/AVP {codec}\r\n"
    )
    invite = (
        f"INVITE sip:10086@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{sip.getsockname()[1]};branch=z9hG4bK-{name}\r\n"
        f"From: <sip:{name}@127.0.0.1>;tag={name}\r\nTo: <sip:10086@127.0.0.1>\r\n"
        f"Call-ID: bridge-{name}-{time.monotonic_ns()}\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
        f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}"
    )
    with sip:
        sip.sendto(invite.encode(), ("127.0.0.1", server.port))
        while True:
            answer = sip.recv(65535).decode()
            if answer.startswith("SIP/2.0 200"):
                break
    media = next(line for line in answer.split("\r\n") if line.startswith("m=audio"))
    return int(media.split()[1])


def _drain(sock: socket.socket) -> list[bytes]:
    got = []
    sock.settimeout(0.15)
    try:
        while True:
            got.append(sock.recv(2048))
    except TimeoutError:
        return got


def test_given_two_callers_when_bridged_then_each_hears_the_other_transcoded_as_needed() -> None:
    flow = BridgeTwo()
    with (
        voice_server(lambda _name: b"", flow=flow) as server,  # type: ignore[arg-type]
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b,
    ):
        a.bind(("127.0.0.1", 0))
        b.bind(("127.0.0.1", 0))
        kefu_a = _dial(server, a, 0, "alice")  # PCMU
        kefu_b = _dial(server, b, 8, "bob")  # PCMA
        _drain(a), _drain(b)  # silence sent before the bridge
        voice = ulaw_encode([2000, -2000, 8000, -8000] * 40)
        header = struct.pack("!BBHII", 0x80, 0, 1, 160, 11)
        a.sendto(header + voice, ("127.0.0.1", kefu_a))
        heard_by_b = [p for p in _drain(b) if len(p) > 12]
        reply = alaw_encode([5000, 0, -5000, 0] * 40)
        b.sendto(struct.pack("!BBHII", 0x80, 8, 1, 160, 12) + reply, ("127.0.0.1", kefu_b))
        heard_by_a = [p for p in _drain(a) if len(p) > 12]
    assert [(p[1] & 0x7F, p[12:]) for p in heard_by_b] == [(8, ulaw_to_alaw(voice))]
    assert [(p[1] & 0x7F, p[12:]) for p in heard_by_a] == [(0, ulaw_encode(alaw_decode(reply)))]
