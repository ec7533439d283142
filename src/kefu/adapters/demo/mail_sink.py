"""The demo's outgoing mail server: a local SMTP relay (aiosmtpd, a thread of its own) that
delivers nothing but keeps every message kefu sends, in memory and as ``.eml`` files in an
outbox folder, so an agent's e-mail reply can be seen end to end without a real relay."""

from __future__ import annotations

import logging
import socket
import threading
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

__all__ = ["MailSink", "free_port", "port_is_free"]

log = logging.getLogger(__name__)
KEEP = 200
"""Messages kept in memory (the outbox folder keeps them all)."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port of ``host`` nobody listens on now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class MailSink:
    """An SMTP server on ``host`` (a free port unless ``port``) keeping what it receives;
    ``outbox`` (a folder, created) gets one ``NNNN.eml`` file per message."""

    def __init__(self, outbox: Path | None = None, host: str = "127.0.0.1", port: int = 0):
        self.outbox = outbox
        self.host = host
        self.port = port or free_port(host)
        self.messages: list[EmailMessage] = []
        self.count = 0
        self._lock = threading.Lock()
        self._controller: Any = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        if self.outbox is not None:
            self.outbox.mkdir(parents=True, exist_ok=True)
            self.count = len(list(self.outbox.glob("*.eml")))
        self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """aiosmtpd's hook: keep the message and accept it."""
        raw = bytes(envelope.original_content or envelope.content or b"")
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.count += 1
            number = self.count
            self.messages = [*self.messages[-(KEEP - 1) :], message]
        if self.outbox is not None:
            path = self.outbox / f"{number:04d}.eml"
            try:
                path.write_bytes(raw)
            except OSError as exc:  # the reply was sent; only the copy is missing
                log.warning("could not keep %s: %s", path, exc)
        log.info("demo mail to %s: %s", ", ".join(envelope.rcpt_tos), message["Subject"])
        return "250 OK kept by the kefu demo"


def port_is_free(host: str, port: int) -> bool:
    """True when a TCP server could listen on ``host:port`` now."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True
