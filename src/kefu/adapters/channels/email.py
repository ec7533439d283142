"""The e-mail channel, inbound: an SMTP listener (aiosmtpd) on a configurable host and port.

Each accepted message becomes an :class:`~kefu.service.channels.ports.Inbound` for the
sink, with its attachments stored first. SMTP answers:

* ``250`` accepted;
* ``550 5.1.1`` a recipient this listener does not serve (when ``recipients`` is set);
* ``550 5.1.7`` no usable sender address in From;
* ``451 4.7.1`` at ``MAIL FROM``: the sender has used up its quota
  (``max_bytes_per_sender_hour``) or declares (``SIZE=``) more than it has left; a message
  over what it has left is refused while being received (``552``) and not buffered past it;
* ``552 5.3.4`` the message (checked by the server while receiving, also via ``SIZE=``) or
  one attachment is over its limit, or there are too many attachments;
* ``554 5.6.0`` malformed message (broken MIME structure, corrupt base64);
* ``451 4.3.0`` the sink or the attachment store failed: the sender retries later.

In every refusal nothing is stored: attachments already written are deleted again.
Replies go out through :mod:`kefu.adapters.channels.email_send`.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass, field
from typing import Any

from kefu.adapters.channels.attachments import AttachmentStore
from kefu.adapters.channels.email_parse import EmailLimits, ParsedEmail, parse_email
from kefu.adapters.channels.email_quota import SenderQuota
from kefu.adapters.channels.errors import MalformedMessage, MessageTooLarge
from kefu.adapters.channels.ports import InboundSink
from kefu.adapters.clock import SystemClock
from kefu.domain.customers import AttachmentMeta, Identifier, IdentifierKind, InvalidIdentifier
from kefu.domain.model import Channel
from kefu.domain.time import Clock
from kefu.service.channels import Inbound

__all__ = ["EmailInboundConfig", "EmailListener"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EmailInboundConfig:
    """Where the listener binds (``port=0`` picks a free port), the name it greets with, the
    size limits, and which recipients it accepts: full addresses or ``@domain`` entries; empty
    accepts any. ``timeout_s``: an idle SMTP session is closed after this many seconds.
    ``max_bytes_per_sender_hour``: bytes accepted per envelope sender per hour (None: no
    cap)."""

    host: str = "127.0.0.1"
    port: int = 2525
    server_name: str = "kefu"
    limits: EmailLimits = field(default_factory=EmailLimits)
    recipients: tuple[str, ...] = ()
    timeout_s: float = 300.0
    max_bytes_per_sender_hour: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be 0–65535, got {self.port}")
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0 seconds, got {self.timeout_s}")
        if self.max_bytes_per_sender_hour is not None and self.max_bytes_per_sender_hour < 1:
            raise ValueError("max_bytes_per_sender_hour must be ≥ 1")
        object.__setattr__(self, "recipients", tuple(r.strip().lower() for r in self.recipients))

    def accepts(self, address: str) -> bool:
        if not self.recipients:
            return True
        address = address.strip().lower()
        domain = "@" + address.rpartition("@")[2]
        return address in self.recipients or domain in self.recipients


class _Handler:
    """aiosmtpd hooks: ``handle_MAIL``, ``handle_RCPT`` and ``handle_DATA``."""

    def __init__(
        self, config: EmailInboundConfig, sink: InboundSink, store: AttachmentStore, clock: Clock
    ) -> None:
        self._config, self._sink, self._store, self._clock = config, sink, store, clock
        cap = config.max_bytes_per_sender_hour
        self._quota = SenderQuota(cap) if cap is not None else None

    async def handle_MAIL(
        self, server: Any, _session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        limit = self._config.limits.max_message_bytes
        if self._quota is not None:
            left = self._quota.remaining(address, self._clock.now())
            declared = _declared_size(mail_options)
            if left <= 0 or (declared is not None and declared > left):
                return "451 4.7.1 Too much mail from this sender this hour, try again later"
            limit = min(limit, left)
        # aiosmtpd stops buffering a message past this many bytes (and answers 552).
        server.data_size_limit = limit
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, _server: Any, _session: Any, envelope: Any, address: str, _rcpt_options: list[str]
    ) -> str:
        if not self._config.accepts(address):
            return "550 5.1.1 Recipient not served here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            parsed = parse_email(raw, self._config.limits)
            sender = Identifier(IdentifierKind.EMAIL, parsed.from_address)
        except MessageTooLarge as exc:
            return f"552 5.3.4 {_ascii(exc.message)}"
        except InvalidIdentifier:
            return "550 5.1.7 Invalid sender address in From"
        except MalformedMessage as exc:
            if exc.details.get("header") == "From":
                return "550 5.1.7 No valid sender address in From"
            return f"554 5.6.0 {_ascii(exc.message)}"
        stored: list[str] = []
        try:
            metas = []
            for item in parsed.attachments:
                key = await asyncio.to_thread(
                    self._store.put,
                    item.data,
                    filename=item.filename,
                    content_type=item.content_type,
                )
                stored.append(key)
                metas.append(AttachmentMeta(item.filename, item.content_type, len(item.data), key))
            self._sink.on_message(self._message(parsed, sender, envelope, tuple(metas)))
        except Exception:
            log.exception("inbound e-mail %s refused for now", parsed.message_id)
            for key in stored:
                try:
                    self._store.delete(key)
                except Exception:
                    log.exception("could not delete attachment %s", key)
            return "451 4.3.0 Temporary failure, please try again later"
        if self._quota is not None:
            self._quota.add(envelope.mail_from or "", len(raw), self._clock.now())
        return "250 2.0.0 Message accepted"

    def _message(
        self,
        parsed: ParsedEmail,
        sender: Identifier,
        envelope: Any,
        attachments: tuple[AttachmentMeta, ...],
    ) -> Inbound:
        return Inbound(
            channel=Channel.EMAIL,
            sender=(sender,),
            text=parsed.text,
            at=self._clock.now(),
            external_id=parsed.message_id,
            sender_name=parsed.from_name,
            subject=parsed.subject,
            thread_refs=parsed.thread_refs,
            recipients=tuple(envelope.rcpt_tos),
            attachments=attachments,
            sent_at=parsed.date,
        )


def _declared_size(mail_options: list[str]) -> int | None:
    """The ``SIZE=`` a client declared at ``MAIL FROM``, bytes."""
    for option in mail_options:
        name, _, value = option.partition("=")
        if name.upper() == "SIZE" and value.isdigit():
            return int(value)
    return None


def _ascii(text: str) -> str:
    """SMTP replies are ASCII, one line."""
    return " ".join(text.encode("ascii", "replace").decode("ascii").split())[:400]


class EmailListener:
    """An SMTP server on the running event loop. Use ``async with`` or :meth:`start` and
    :meth:`stop`; :attr:`port` is the bound port (useful with ``port=0``)."""

    def __init__(
        self,
        config: EmailInboundConfig,
        sink: InboundSink,
        store: AttachmentStore,
        *,
        clock: Clock | None = None,
    ) -> None:
        self._config = config
        self._handler = _Handler(config, sink, store, clock or SystemClock())
        self._server: asyncio.Server | None = None
        self._sessions: weakref.WeakSet[Any] = weakref.WeakSet()
        self.port: int = config.port

    async def start(self) -> None:
        from aiosmtpd.smtp import SMTP

        if self._server is not None:
            raise RuntimeError("the SMTP listener is already running")
        config = self._config
        loop = asyncio.get_running_loop()

        def protocol() -> SMTP:
            session = SMTP(
                self._handler,
                data_size_limit=config.limits.max_message_bytes,
                enable_SMTPUTF8=True,
                hostname=config.server_name,
                ident="kefu ESMTP",
                timeout=config.timeout_s,
                loop=loop,
            )
            self._sessions.add(session)
            return session

        self._server = await loop.create_server(protocol, host=config.host, port=config.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("SMTP listener on %s:%s", config.host, self.port)

    async def stop(self) -> None:
        """Stop listening, close the open sessions and wait for their handlers to end, so no
        session task outlives the listener (``Server.wait_closed`` does not wait for them
        before Python 3.12)."""
        if self._server is None:
            return
        self._server.close()
        await self._server.wait_closed()
        self._server = None
        tasks = []
        for session in list(self._sessions):
            if session.transport is not None:
                session.transport.close()
            # aiosmtpd keeps each session's handler task here and has no public name for it.
            task = session._handler_coroutine
            if task is not None and not task.done():
                task.cancel()
                tasks.append(task)
        await asyncio.gather(*tasks, return_exceptions=True)

    async def __aenter__(self) -> EmailListener:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
