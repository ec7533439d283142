"""The e-mail channel, outbound: replies through a configurable SMTP relay.

A reply gets a fresh ``Message-ID``, ``In-Reply-To`` = the latest message of the thread and
``References`` = the thread's ids (the first and the last nine when longer, as RFC 5322
suggests trimming), so the customer's mail client shows it in the same thread and the
customer's next answer threads back onto the conversation. Chinese subjects, names and bodies
are encoded by the ``email`` package (RFC 2047 headers, UTF-8 body). ``smtplib`` runs in a
worker thread so the event loop never blocks.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from kefu.adapters.channels.email_parse import header_text
from kefu.adapters.channels.errors import DeliveryFailed
from kefu.adapters.clock import SystemClock
from kefu.domain.time import Clock

__all__ = ["EmailSender", "OutboundAttachment", "SentEmail", "SmtpRelayConfig", "reply_subject"]

_REPLY_PREFIXES = ("re:", "回复:", "回复：", "答复:", "答复：")
MAX_REFERENCES = 10


@dataclass(frozen=True, slots=True)
class SmtpRelayConfig:
    """The relay: host, port, TLS (``starttls`` or implicit ``use_tls``), optional login, and
    the sender kefu writes as. ``timeout_s`` bounds each SMTP exchange, in seconds."""

    host: str
    port: int
    from_address: str
    from_name: str = ""
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    use_tls: bool = False
    timeout_s: float = 30.0

    def __post_init__(self) -> None:
        if not 1 <= self.port <= 65535:
            raise ValueError(f"port must be 1–65535, got {self.port}")
        if "@" not in self.from_address:
            raise ValueError(f"from_address must be an e-mail address, got {self.from_address!r}")
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0 seconds, got {self.timeout_s}")
        if self.starttls and self.use_tls:
            raise ValueError("choose starttls or use_tls, not both")

    @property
    def domain(self) -> str:
        return self.from_address.rpartition("@")[2]


@dataclass(frozen=True, slots=True)
class OutboundAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class SentEmail:
    """What was sent: its Message-ID (to register on the conversation) and References."""

    message_id: str
    in_reply_to: str | None
    references: tuple[str, ...]


def reply_subject(subject: str) -> str:
    """``Re: subject`` unless it already is a reply (English or Chinese prefix)."""
    subject = subject.strip()
    if subject.lower().startswith(_REPLY_PREFIXES):
        return subject
    return f"Re: {subject}" if subject else "Re:"


def _trim(refs: Sequence[str]) -> tuple[str, ...]:
    refs = tuple(dict.fromkeys(refs))
    if len(refs) <= MAX_REFERENCES:
        return refs
    return (refs[0], *refs[-(MAX_REFERENCES - 1) :])


class EmailSender:
    """Composes and sends e-mail through the relay."""

    def __init__(self, config: SmtpRelayConfig, *, clock: Clock | None = None) -> None:
        self._config = config
        self._clock = clock or SystemClock()

    def compose(
        self,
        *,
        to: str,
        subject: str,
        text: str,
        thread: Sequence[str] = (),
        to_name: str = "",
        attachments: Sequence[OutboundAttachment] = (),
    ) -> EmailMessage:
        """A message to ``to``; ``thread`` is the conversation's message ids, oldest first
        (empty for a first message)."""
        config = self._config
        message = EmailMessage()
        message["From"] = Address(config.from_name, addr_spec=config.from_address)
        # Names and subjects come from customers: one line each, whatever was stored.
        message["To"] = Address(header_text(to_name), addr_spec=to)
        subject = header_text(subject)
        message["Subject"] = reply_subject(subject) if thread else subject
        message["Date"] = formatdate(self._clock.now(), usegmt=True)
        message["Message-ID"] = make_msgid(domain=config.domain)
        refs = _trim(thread)
        if refs:
            message["In-Reply-To"] = refs[-1]
            message["References"] = " ".join(refs)
        message.set_content(text)
        for item in attachments:
            maintype, _, subtype = item.content_type.partition("/")
            message.add_attachment(
                item.data,
                maintype=maintype or "application",
                subtype=subtype or "octet-stream",
                filename=item.filename,
            )
        return message

    async def send(self, message: EmailMessage) -> SentEmail:
        """Send through the relay; :class:`DeliveryFailed` with ``transient`` set for 4xx
        answers and connection problems, unset for 5xx refusals."""
        await asyncio.to_thread(self._send_blocking, message)
        return SentEmail(
            str(message["Message-ID"]),
            str(message["In-Reply-To"]) if message["In-Reply-To"] else None,
            tuple(str(message["References"] or "").split()),
        )

    async def reply(
        self,
        *,
        to: str,
        subject: str,
        text: str,
        thread: Sequence[str],
        to_name: str = "",
        attachments: Sequence[OutboundAttachment] = (),
    ) -> SentEmail:
        """Compose a threaded reply and send it."""
        message = self.compose(
            to=to,
            subject=subject,
            text=text,
            thread=thread,
            to_name=to_name,
            attachments=attachments,
        )
        return await self.send(message)

    def _send_blocking(self, message: EmailMessage) -> None:
        config = self._config
        where = f"{config.host}:{config.port}"
        try:
            client: smtplib.SMTP
            if config.use_tls:
                client = smtplib.SMTP_SSL(
                    config.host,
                    config.port,
                    timeout=config.timeout_s,
                    context=ssl.create_default_context(),
                )
            else:
                client = smtplib.SMTP(config.host, config.port, timeout=config.timeout_s)
            with client:
                if config.starttls:
                    client.starttls(context=ssl.create_default_context())
                if config.username is not None:
                    client.login(config.username, config.password or "")
                client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryFailed(
                f"relay {where} refused the recipient(s) {sorted(exc.recipients)}",
                codes=codes,
                transient=all(400 <= c < 500 for c in codes),
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryFailed(
                f"relay {where} answered {exc.smtp_code}: {_text(exc.smtp_error)}",
                code=exc.smtp_code,
                transient=400 <= exc.smtp_code < 500,
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(
                f"could not send through relay {where}: {exc}", transient=True
            ) from exc


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
