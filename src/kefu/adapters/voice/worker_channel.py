"""The control channel between kefu and its media worker processes, and starting one.

Commands and events are pickled plain data, length-prefixed, on one Unix stream socket;
a message may carry open descriptors (``SCM_RIGHTS``), e.g. an RTP socket bound by the
SIP process. Both ends are kefu's own processes, so unpickling trusts the peer.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import pickle
import socket
import struct
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Any

__all__ = ["MAX_MESSAGE", "MessageReader", "raise_priority", "send_message", "spawn_worker"]

_log = logging.getLogger(__name__)
# Low among real-time priorities: above every normal process, below the kernel's own.
_REALTIME_PRIORITY = 10

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


async def spawn_worker(
    target: Callable[..., None], name: str, *args: Any
) -> tuple[BaseProcess, socket.socket]:
    """Start ``target(control, *args)`` in a worker process named *name*, its own
    interpreter (spawn, not fork); returns the process and kefu's end of the control
    channel, non-blocking."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    context = multiprocessing.get_context("spawn")
    process = context.Process(target=target, args=(theirs, *args), name=name, daemon=True)
    await asyncio.get_running_loop().run_in_executor(None, process.start)
    theirs.close()
    ours.setblocking(False)
    return process, ours


def raise_priority(worker: str) -> None:
    """Real-time scheduling (SCHED_FIFO) for the calling *worker* process, as media
    servers use: its audio needs little CPU but must get it on time on a busy machine.
    Needs CAP_SYS_NICE; without it the worker runs at normal priority and says so."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(_REALTIME_PRIORITY))
    except (PermissionError, AttributeError, OSError) as exc:
        _log.warning("%s worker keeps normal priority (no SCHED_FIFO: %s)", worker, exc)
