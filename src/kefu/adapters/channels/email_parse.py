"""Parsing inbound e-mail with the standard ``email`` package (``policy.default``).

A message is *malformed* (refused, nothing stored) when its From header has no usable address,
its header block is broken, a multipart body is truncated or has no boundary, or an
attachment's base64 is corrupt. Minor defects that mail clients produce every day are
tolerated. Sizes are checked here per attachment and in count; the SMTP server checks the
whole message's size before this runs. Header texts kept (subject, sender name) are one line:
control characters, such as a CR/LF hidden in an encoded word, become spaces, so they can
never break the headers of a reply.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email import errors as mail_errors
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser

from kefu.adapters.channels.errors import MalformedMessage, MessageTooLarge

__all__ = [
    "EmailLimits",
    "ParsedAttachment",
    "ParsedEmail",
    "header_text",
    "message_ids",
    "parse_email",
]

_MSGID = re.compile(r"<[^<>\s]+>")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
_FATAL = (
    mail_errors.MissingHeaderBodySeparatorDefect,
    mail_errors.NoBoundaryInMultipartDefect,
    mail_errors.StartBoundaryNotFoundDefect,
    mail_errors.CloseBoundaryNotFoundDefect,
    mail_errors.MultipartInvariantViolationDefect,
    mail_errors.InvalidBase64CharactersDefect,
    mail_errors.InvalidBase64LengthDefect,
)


@dataclass(frozen=True, slots=True)
class EmailLimits:
    """Limits in bytes: the whole message (enforced by the SMTP server), one attachment, and
    the number of attachments."""

    max_message_bytes: int = 25 * 1024 * 1024
    max_attachment_bytes: int = 10 * 1024 * 1024
    max_attachments: int = 20

    def __post_init__(self) -> None:
        for name in ("max_message_bytes", "max_attachment_bytes", "max_attachments"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")


@dataclass(frozen=True, slots=True)
class ParsedAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ParsedEmail:
    """What kefu keeps of a message. ``thread_refs``: In-Reply-To, then References from the
    most recent, without repeats. ``date`` is seconds since the epoch, if the header parsed."""

    from_address: str
    from_name: str
    subject: str
    text: str
    message_id: str
    thread_refs: tuple[str, ...]
    attachments: tuple[ParsedAttachment, ...]
    date: float | None


class _Text(HTMLParser):
    """Visible text of an HTML body (for mail without a text/plain part)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, _attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li", "tr"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def message_ids(value: str | None) -> list[str]:
    """The ``<id>`` tokens of a Message-ID, In-Reply-To or References header."""
    return _MSGID.findall(value or "")


def header_text(text: str) -> str:
    """``text`` as one header line: control characters (CR, LF, NUL, ...) replaced by
    spaces, runs of white space by one."""
    return " ".join(_CONTROL.sub(" ", text).split())


def _utf8(text: str) -> str:
    """Header text of an SMTPUTF8 message: the parser keeps raw UTF-8 bytes as surrogate
    escapes, which are turned back into characters here."""
    if not any("\udc80" <= c <= "\udcff" for c in text):
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _content(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):
        # An unknown or lying charset: keep what can be read rather than lose the mail.
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _safe_filename(name: str | None, index: int) -> str:
    cleaned = "".join(c for c in (name or "") if c.isprintable() and c not in "/\\")
    cleaned = cleaned.strip().lstrip(".")[:255]
    return cleaned or f"attachment-{index}"


def _check_defects(message: EmailMessage) -> None:
    for part in message.walk():
        for defect in part.defects:
            if isinstance(defect, _FATAL):
                raise MalformedMessage(
                    f"malformed message: {type(defect).__name__}", defect=type(defect).__name__
                )


def _sender(message: EmailMessage) -> tuple[str, str]:
    try:
        header = message["From"]
        addresses = getattr(header, "addresses", ()) if header is not None else ()
    except (IndexError, ValueError, TypeError) as exc:
        raise MalformedMessage(f"unreadable From header: {exc}", header="From") from exc
    for address in addresses:
        if address.username and address.domain:
            return _utf8(address.addr_spec), header_text(_utf8(address.display_name or ""))
    raise MalformedMessage("the From header has no valid address", header="From")


def _attachments(
    message: EmailMessage, body: EmailMessage | None, limits: EmailLimits
) -> tuple[ParsedAttachment, ...]:
    found: list[ParsedAttachment] = []
    for part in message.walk():
        if part.is_multipart() or part is body:
            continue
        named = part.get_filename() is not None or part.get_content_disposition() == "attachment"
        if not named and part.get_content_maintype() == "text":
            continue  # the other alternative of the body, not an attachment
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        _check_defects(part)
        if len(data) > limits.max_attachment_bytes:
            raise MessageTooLarge(
                f"attachment {part.get_filename()!r} is {len(data)} bytes, over the limit of "
                f"{limits.max_attachment_bytes}",
                size=len(data),
                limit=limits.max_attachment_bytes,
            )
        found.append(
            ParsedAttachment(
                _safe_filename(part.get_filename(), len(found) + 1), part.get_content_type(), data
            )
        )
        if len(found) > limits.max_attachments:
            raise MessageTooLarge(
                f"more than {limits.max_attachments} attachments", limit=limits.max_attachments
            )
    return tuple(found)


def parse_email(raw: bytes, limits: EmailLimits | None = None) -> ParsedEmail:
    """Parse one message; :class:`MalformedMessage` or :class:`MessageTooLarge` if refused."""
    limits = limits or EmailLimits()
    if len(raw) > limits.max_message_bytes:
        raise MessageTooLarge(
            f"message is {len(raw)} bytes, over the limit of {limits.max_message_bytes}",
            size=len(raw),
            limit=limits.max_message_bytes,
        )
    if not raw.strip():
        raise MalformedMessage("empty message")
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    _check_defects(message)
    from_address, from_name = _sender(message)
    try:
        subject = header_text(_utf8(str(message["Subject"] or "")))
        ids = message_ids(str(message["Message-ID"] or ""))
        refs = message_ids(str(message["In-Reply-To"] or ""))
        refs += reversed(message_ids(str(message["References"] or "")))
        date_header = message["Date"]
    except (IndexError, ValueError, TypeError) as exc:
        raise MalformedMessage(f"unreadable header: {exc}") from exc
    # A message without Message-ID still needs a stable id (threading, idempotency).
    message_id = ids[0] if ids else f"<{hashlib.sha256(raw).hexdigest()[:32]}@kefu.invalid>"
    body = message.get_body(preferencelist=("plain", "html"))
    text = ""
    if isinstance(body, EmailMessage):
        text = _content(body)
        if body.get_content_subtype() == "html":
            text = _html_text(text)
    when = getattr(date_header, "datetime", None) if date_header is not None else None
    return ParsedEmail(
        from_address=from_address,
        from_name=from_name,
        subject=subject,
        text=text.strip(),
        message_id=message_id,
        thread_refs=tuple(dict.fromkeys(r for r in refs if r != message_id)),
        attachments=_attachments(message, body if isinstance(body, EmailMessage) else None, limits),
        date=when.timestamp() if when is not None and when.tzinfo is not None else None,
    )
