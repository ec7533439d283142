"""The control channel between kefu and its media worker processes.

Commands and events are pickled plain data, length-prefixed, on one Unix stream socket;
a message may carry open descriptors (``SCM_RIGHTS``), e.g. an RTP socket bound by the
SIP process. Both ends are kefu's own processes, so unpickling trusts the peer.
"""

from __future__ import annotations

import pickle
import socket
import struct
from typing import Any

__all__ = ["MAX_MESSAGE", "MessageReader", "send_message"]

_LENGTH = struct.Struct("!I")
MAX_MESSAGE = 16 * 1024 * 1024
"""Largest message (bytes): a prompt to play (µ-law, 8000 bytes a second) plus framing."""


def send_message(sock: socket.socket, message: Any, fds: list[int] | None = None) -> None:
    """Send *message* (and the descriptors *fds*) on the blocking stream socket *sock*."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    frame = _LENGTH.pack(len(data)) + data
    if fds:
        sent = socket.send_fds(sock, [frame], fds)
        frame = frame[sent:]
    sock.sendall(frame)


class MessageReader:
    """Reassembles length-prefixed messages (and received descriptors) from a stream."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()
        self.fds: list[int] = []

    def read(self) -> list[Any] | None:
        """Messages now complete; ``None`` when the peer closed the socket."""
        try:
            data, fds, _flags, _addr = socket.recv_fds(self.sock, 1 << 16, 16)
        except BlockingIOError:
            return []
        if not data:
            return None
        self.buffer += data
        self.fds += fds
        messages = []
        while len(self.buffer) >= _LENGTH.size:
            (size,) = _LENGTH.unpack_from(self.buffer)
            if size > MAX_MESSAGE:
                raise ValueError("media control message too large")
            if len(self.buffer) < _LENGTH.size + size:
                break
            body = bytes(self.buffer[_LENGTH.size : _LENGTH.size + size])
            del self.buffer[: _LENGTH.size + size]
            messages.append(pickle.loads(body))  # our own process's data only
        return messages
