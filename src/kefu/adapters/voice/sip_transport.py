"""SIP over UDP and TCP with kefu's checks in front of the SIP library.

Everything the library would drop in silence gets a clear answer here: an unparsable
message or a malformed request line, CSeq or SDP gets ``400`` with the reason in the
phrase; an SDP offer without audio gets ``488``. Requests over TCP are answered on the
connection they came in on (RFC 3261 §18.2.2), whatever their Via says.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiosipua import (
    SipMessage,
    SipRequest,
    SipResponse,
    SipTransport,
    TcpSipTransport,
    UdpSipTransport,
    parse_sdp,
    parse_via,
    stringify_via,
)

__all__ = ["Problem", "TcpTransport", "UdpTransport", "check_request", "reply"]

_log = logging.getLogger(__name__)
_CSEQ = re.compile(r"^\s*(\d{1,10})\s+([A-Za-z]+)\s*$")
_ECHOED = {"via", "v", "from", "f", "to", "t", "call-id", "i", "cseq"}
RequestFilter = Callable[[SipTransport, SipRequest], bool]


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a request is refused: the status and its reason phrase."""

    status: int
    reason: str


def check_request(start_line: str, request: SipRequest) -> Problem | None:
    """Checks the SIP library leaves out: request line, CSeq and the INVITE's SDP offer."""
    parts = start_line.split()
    if len(parts) != 3 or parts[2].upper() != "SIP/2.0" or ":" not in parts[1]:
        return Problem(400, "Bad Request - Malformed Request Line")
    cseq = _CSEQ.match(request.get_header("cseq") or "")
    if cseq is None or cseq.group(2).upper() != request.method.upper():
        return Problem(400, "Bad Request - Malformed CSeq")
    if request.method.upper() != "INVITE" or not request.body:
        return None
    if (request.content_type or "").split(";")[0].strip().lower() != "application/sdp":
        return Problem(415, "Unsupported Media Type - SDP Expected")
    try:
        offer = parse_sdp(request.text)
    except (ValueError, IndexError):
        return Problem(400, "Bad Request - Malformed SDP")
    if offer.audio is None:
        return Problem(488, "Not Acceptable Here - No Audio Stream")
    if offer.rtp_address is None:
        return Problem(400, "Bad Request - SDP Without Connection Address")
    return None


def stateless_reply(data: bytes, problem: Problem) -> bytes | None:
    """A response echoing the request's Via/From/To/Call-ID/CSeq lines, from its raw text.

    ``None`` when the message is a response (never answered) or has no Via to route to.
    """
    head = re.split(rb"\r?\n\r?\n", data, maxsplit=1)[0].decode("utf-8", "replace")
    lines = head.splitlines()
    if not lines or lines[0].startswith("SIP/"):
        return None
    echoed = [
        line.strip() for line in lines[1:] if line.split(":", 1)[0].strip().lower() in _ECHOED
    ]
    if not any(line.split(":", 1)[0].strip().lower() in ("via", "v") for line in echoed):
        return None
    text = f"SIP/2.0 {problem.status} {problem.reason}\r\n"
    text += "".join(f"{line}\r\n" for line in echoed)
    return (text + "Content-Length: 0\r\n\r\n").encode()


def reply(transport: SipTransport, request: SipRequest, status: int, reason: str) -> None:
    """Answer a request outside the library's transactions (in-dialog INFO, 481, 488)."""
    response = SipResponse(status_code=status, reason_phrase=reason)
    for via in request.headers.get("via"):
        response.headers.append("Via", via)
    for name in ("From", "To", "Call-ID", "CSeq"):
        value = request.headers.get_first(name.lower())
        if value:
            response.headers.set_single(name, value)
    response.headers.set_single("User-Agent", "kefu")
    transport.send_reply(response)


def _stamp_source(request: SipRequest, addr: tuple[str, int], force_rport: bool) -> None:
    """Record the source address in the top Via (RFC 3581) so replies find their way back."""
    raw = request.headers.get("via")
    if not raw:
        return
    via = parse_via(raw[0])
    wants_rport = "rport" in via.params and not via.params["rport"]
    via.params["received"] = addr[0]
    if wants_rport or force_rport:
        via.params["rport"] = str(addr[1])
    request.headers.remove("Via")
    for value in [stringify_via(via), *raw[1:]]:
        request.headers.append("Via", value)


class _Guard:
    """The parse-check-dispatch step both transports share."""

    force_rport = False
    # Runs before the library sees a request; True means it was handled here.
    pre_filter: RequestFilter | None = None

    def _send_raw(self, data: bytes, addr: tuple[str, int]) -> None:
        raise NotImplementedError

    def _guarded_dispatch(
        self,
        data: bytes,
        addr: tuple[str, int],
        on_message: Callable[[SipRequest | SipResponse, tuple[str, int]], None] | None,
    ) -> None:
        if not data.strip():
            return  # keep-alive CRLFs (RFC 5626 §3.5.1)
        start_line = data.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
        try:
            message = SipMessage.parse(data)
            problem = (
                check_request(start_line, message) if isinstance(message, SipRequest) else None
            )
        except (ValueError, IndexError):
            message, problem = None, Problem(400, "Bad Request - Unparsable Message")
        if problem is not None:
            _log.info("refused SIP message from %s: %s %s", addr, problem.status, problem.reason)
            reply = stateless_reply(data, problem)
            if reply is not None:
                self._send_raw(reply, addr)
            return
        if message is None or on_message is None:
            return
        try:
            if isinstance(message, SipRequest):
                _stamp_source(message, addr, self.force_rport)
                if self.pre_filter is not None and self.pre_filter(self, message):  # type: ignore[arg-type]
                    return
            on_message(message, addr)
        except Exception:
            _log.exception("error handling a SIP message from %s", addr)


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, owner: UdpTransport) -> None:
        self._owner = owner

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self._owner._dispatch(data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        _log.debug("UDP error on the SIP socket: %s", exc)


class UdpTransport(_Guard, UdpSipTransport):
    """SIP over UDP; binds its own endpoint and learns the bound port (port 0: any free)."""

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _UdpProtocol(self), local_addr=self.local_addr
        )
        self._udp_transport = transport
        bound = transport.get_extra_info("sockname")
        self.local_addr = (str(bound[0]), int(bound[1]))

    def _dispatch(self, data: bytes, addr: tuple[str, int]) -> None:
        self._guarded_dispatch(data, addr, self.on_message)

    def _send_raw(self, data: bytes, addr: tuple[str, int]) -> None:
        if self._udp_transport is not None:
            self._udp_transport.sendto(data, addr)


class TcpTransport(_Guard, TcpSipTransport):
    """SIP over TCP; replies go back on the request's connection."""

    force_rport = True

    async def start(self) -> None:
        await super().start()
        assert self._server is not None
        bound = self._server.sockets[0].getsockname()
        self.local_addr = (str(bound[0]), int(bound[1]))

    def _dispatch(self, data: bytes, addr: tuple[str, int]) -> None:
        self._guarded_dispatch(data, addr, self.on_message)

    def _send_raw(self, data: bytes, addr: tuple[str, int]) -> None:
        connection = self._connections.get(addr)
        if connection is not None:
            connection[1].write(data)
