"""Bad and unusual SIP sent by hand over UDP and TCP: every request gets a clear answer."""

from __future__ import annotations

import contextlib
import re
import socket
from collections.abc import Iterator

import pytest
from voice_helpers import VoiceServer, voice_server

from kefu.adapters.voice.demo_flow import DemoFlow
from kefu.adapters.voice.port import CallEnded, CallStarted
from kefu.adapters.voice.routes import NumberRoute


def _silence(_name: str) -> bytes:
    return b"\xff" * 1600


@pytest.fixture
def server() -> Iterator[VoiceServer]:
    numbers = {"95555": NumberRoute("card", "shanghai")}
    with voice_server(_silence, numbers=numbers) as made:
        yield made


def _request(
    method: str = "INVITE",
    *,
    uri: str = "sip:95555@127.0.0.1",
    version: str = "SIP/2.0",
    cseq: str | None = None,
    sdp: str | None = None,
    content_type: str = "application/sdp",
    port: int = 5999,
    transport: str = "UDP",
) -> bytes:
    body = sdp or ""
    lines = [
        f"{method} {uri} {version}",
        f"Via: SIP/2.0/{transport} 127.0.0.1:{port};branch=z9hG4bK-{method.lower()}-1;rport",
        "From: <sip:caller@127.0.0.1>;tag=abc",
        "To: <sip:95555@127.0.0.1>",
        f"Call-ID: edge-{method.lower()}-{abs(hash((uri, version, cseq, body)))}@127.0.0.1",
        f"CSeq: {cseq or f'1 {method}'}",
        "Max-Forwards: 70",
        "Contact: <sip:caller@127.0.0.1>",
    ]
    if body:
        lines.append(f"Content-Type: {content_type}")
    lines.append(f"Content-Length: {len(body.encode())}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def _sdp(media: str = "m=audio 40000 RTP/AVP 0 101", connection: bool = True) -> str:
    lines = ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-"]
    if connection:
        lines.append("c=IN IP4 127.0.0.1")
    lines += ["t=0 0", media, "a=rtpmap:101 telephone-event/8000"]
    return "\r\n".join(lines) + "\r\n"


def _udp_exchange(server: VoiceServer, data: bytes) -> list[str]:
    """Send *data* from a fresh socket; the status lines received within 1 s."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(1.0)
        sock.sendto(data, ("127.0.0.1", server.port))
        lines: list[str] = []
        try:
            while True:
                lines.append(sock.recv(65535).decode().split("\r\n", 1)[0])
        except TimeoutError:
            return lines


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_request(version="SIP/3.0"), "SIP/2.0 400 Bad Request - Malformed Request Line"),
        (_request(uri="nonsense"), "SIP/2.0 400 Bad Request - Malformed Request Line"),
        (_request(cseq="one INVITE"), "SIP/2.0 400 Bad Request - Malformed CSeq"),
        (_request(cseq="1 BYE"), "SIP/2.0 400 Bad Request - Malformed CSeq"),
        (
            _request(sdp=_sdp("m=audio x RTP/AVP 0")),
            "SIP/2.0 400 Bad Request - Malformed SDP",
        ),
        (
            _request(sdp=_sdp(connection=False)),
            "SIP/2.0 400 Bad Request - SDP Without Connection Address",
        ),
        (
            _request(sdp=_sdp("m=video 40000 RTP/AVP 96")),
            "SIP/2.0 488 Not Acceptable Here - No Audio Stream",
        ),
        (
            _request(sdp="hello", content_type="text/plain"),
            "SIP/2.0 415 Unsupported Media Type - SDP Expected",
        ),
        (_request(), "SIP/2.0 488 Not Acceptable Here - SDP Offer Required"),
        (
            _request(uri="sip:10086@127.0.0.1", sdp=_sdp()),
            "SIP/2.0 404 Not Found - Number Not In Service",
        ),
        (_request("OPTIONS", sdp=None), "SIP/2.0 200 OK"),
        (_request("BYE"), "SIP/2.0 481 Call/Transaction Does Not Exist"),
        (_request("INFO"), "SIP/2.0 481 Call/Transaction Does Not Exist"),
    ],
)
def test_given_a_bad_or_stray_request_when_sent_over_udp_then_one_clear_final_answer(
    server: VoiceServer, data: bytes, expected: str
) -> None:
    lines = _udp_exchange(server, data)
    finals = [line for line in lines if not line.startswith("SIP/2.0 1")]
    assert finals == [expected]
    assert server.flow.events == []
    assert server.call(lambda: (server.door.active_calls, server.door.media.leg_count)) == (0, 0)


def test_given_garbage_bytes_with_a_via_when_sent_then_400_and_without_a_via_then_silence(
    server: VoiceServer,
) -> None:
    garbage = b"\x00\x01 not sip at all\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-g\r\n\r\n"
    assert _udp_exchange(server, garbage) == ["SIP/2.0 400 Bad Request - Malformed Request Line"]
    assert _udp_exchange(server, b"\xff\xfe\x00junk") == []
    assert _udp_exchange(server, b"SIP/2.0 200 OK\r\nVia: x\r\n\r\n") == []  # never answer answers


def test_given_a_malformed_request_over_tcp_when_sent_then_400_on_the_same_connection(
    server: VoiceServer,
) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=2) as sock:
        sock.sendall(_request(cseq="x INVITE", transport="TCP"))
        assert sock.recv(65535).decode().startswith("SIP/2.0 400 Bad Request - Malformed CSeq")
        sock.sendall(_request("OPTIONS", transport="TCP", port=1))  # Via port unreachable
        assert sock.recv(65535).decode().startswith("SIP/2.0 200 OK")


def test_given_a_mapped_number_when_invited_then_the_call_names_its_flow_and_site(
    server: VoiceServer,
) -> None:
    lines = _udp_exchange(server, _request(sdp=_sdp()))
    assert lines[:2] == ["SIP/2.0 100 Trying", "SIP/2.0 180 Ringing"]
    started = server.flow.events[0]
    assert isinstance(started, CallStarted)
    assert (started.flow, started.site, started.dialled, started.codec) == (
        "card",
        "shanghai",
        "95555",
        "PCMU",
    )


def _header(message: str, name: str) -> str:
    return next(
        line.split(":", 1)[1].strip()
        for line in message.split("\r\n")
        if line.lower().startswith(name.lower() + ":")
    )


def test_given_an_answered_call_when_re_invited_then_same_answer_and_media_follows_the_offer(
    server: VoiceServer,
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sip, _rtp_socket() as first, \
            _rtp_socket() as moved:  # fmt: skip
        sip.bind(("127.0.0.1", 0))
        sip.settimeout(2.0)
        port = sip.getsockname()[1]
        media = _sdp(f"m=audio {first.getsockname()[1]} RTP/AVP 0 101")
        sip.sendto(_request(sdp=media, port=port), ("127.0.0.1", server.port))
        ok = ""
        while not ok.startswith("SIP/2.0 200"):
            ok = sip.recv(65535).decode()
        to, call_id = _header(ok, "To"), _header(ok, "Call-ID")
        answer_media = next(line for line in ok.split("\r\n") if line.startswith("m=audio"))

        def in_dialog(method: str, cseq: int, sdp: str = "") -> bytes:
            text = _request(method, cseq=f"{cseq} {method}", sdp=sdp or None, port=port).decode()
            text = text.replace("To: <sip:95555@127.0.0.1>", f"To: {to}")
            return re.sub(r"Call-ID: .*", f"Call-ID: {call_id}", text).encode()

        sip.sendto(in_dialog("ACK", 1), ("127.0.0.1", server.port))
        assert first.recv(2048)  # the greeting flows to the first address
        reinvite = _sdp(f"m=audio {moved.getsockname()[1]} RTP/AVP 0 101")
        sip.sendto(in_dialog("INVITE", 2, reinvite), ("127.0.0.1", server.port))
        again = sip.recv(65535).decode()
        assert again.startswith("SIP/2.0 200 OK")
        assert answer_media in again
        sip.sendto(in_dialog("ACK", 2), ("127.0.0.1", server.port))
        assert moved.recv(2048)[1] & 0x7F == 0  # media now goes where the re-INVITE said
        sip.sendto(
            in_dialog("INVITE", 3, _sdp("m=audio 4000 RTP/AVP 18")), ("127.0.0.1", server.port)
        )
        assert sip.recv(65535).decode().startswith("SIP/2.0 488 Not Acceptable Here")
    assert server.call(lambda: server.door.active_calls) == 1  # the call went on


def _rtp_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2.0)
    return sock


def test_given_the_call_limit_and_a_ring_timeout_when_calls_ring_unanswered_then_503_then_480() -> (
    None
):
    flow = DemoFlow(ring_s=100.0)  # never answers within the test
    with voice_server(_silence, flow=flow, max_calls=1, ring_timeout_s=0.5) as server:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as first:
            first.bind(("127.0.0.1", 0))
            first.settimeout(2.0)
            first.sendto(
                _request(uri="sip:1@127.0.0.1", sdp=_sdp(), port=first.getsockname()[1]),
                ("127.0.0.1", server.port),
            )
            assert first.recv(65535).startswith(b"SIP/2.0 100")
            assert first.recv(65535).startswith(b"SIP/2.0 180")
            second = _udp_exchange(server, _request(uri="sip:2@127.0.0.1", sdp=_sdp()))
            assert second[-1] == "SIP/2.0 503 Service Unavailable - Too Many Calls"
            assert first.recv(65535).startswith(b"SIP/2.0 480 Temporarily Unavailable")
        assert server.wait_for(lambda: server.door.active_calls == 0, timeout_s=2)
        assert server.call(lambda: server.door.media.leg_count) == 0
    started, ended = flow.events
    assert isinstance(started, CallStarted)
    assert ended == CallEnded(started.call_id, "unanswered")


def test_given_an_answered_call_when_its_initial_invite_is_retransmitted_then_no_481(
    server: VoiceServer,
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sip:
        sip.bind(("127.0.0.1", 0))
        sip.settimeout(1.0)
        invite = _request(sdp=_sdp(), port=sip.getsockname()[1])
        sip.sendto(invite, ("127.0.0.1", server.port))
        assert server.wait_for(lambda: server.door.active_calls == 1)
        sip.sendto(invite, ("127.0.0.1", server.port))  # as if our 200 OK had been lost
        statuses: list[str] = []
        with contextlib.suppress(TimeoutError):
            while True:
                statuses.append(sip.recv(65535).decode().split("\r\n", 1)[0])
    assert "SIP/2.0 481 Call/Transaction Does Not Exist" not in statuses
    assert "SIP/2.0 200 OK" in statuses
    assert server.call(lambda: server.door.active_calls) == 1
