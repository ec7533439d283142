"""The SMS and social-media channels, inbound: a signed JSON webhook.

:func:`handle_webhook` takes the request's headers and body bytes and the current instant and
returns a :class:`WebhookResult`; an HTTP route only copies ``http_status`` and
:meth:`WebhookResult.to_dict` into its response. Checks, in order (the first failing one
decides and nothing is stored):

==================  ======  ===================================================================
reason              status  when
==================  ======  ===================================================================
body_too_large      413     the body is over ``max_body_bytes``
missing_signature   401     no timestamp or signature header (see :mod:`.signing`)
bad_timestamp       401     the timestamp is not whole seconds
stale_timestamp     401     the timestamp is more than ``tolerance_s`` from now (replay guard)
bad_signature       401     no signature matches a configured secret
malformed_json      400     the body is not UTF-8 JSON, or not an object
invalid_payload     422     a field is missing or wrong (``errors`` lists each)
duplicate           200     this provider message id was accepted before: ignored
sink_unavailable    503     the sink refused; the id is released so the provider's retry passes
accepted            200     handed to the sink
==================  ======  ===================================================================
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError as PydanticValidationError

from kefu.adapters.channels.ports import InboundSink, SeenMessages
from kefu.adapters.channels.signing import SignatureError, verify
from kefu.adapters.channels.webhook_models import INBOUND_PAYLOAD, SmsIn, SocialPostIn
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.model import Channel
from kefu.service.channels import Inbound

__all__ = ["WebhookConfig", "WebhookHandler", "WebhookResult", "handle_webhook"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """Shared secrets (several while rotating), the timestamp tolerance in seconds and the
    largest body accepted, in bytes."""

    secrets: tuple[bytes, ...]
    tolerance_s: float = 300.0
    max_body_bytes: int = 64 * 1024

    def __post_init__(self) -> None:
        if not self.secrets or any(len(s) < 16 for s in self.secrets):
            raise ValueError("at least one webhook secret of 16 bytes or more is required")
        if self.tolerance_s <= 0:
            raise ValueError(f"tolerance_s must be > 0 seconds, got {self.tolerance_s}")
        if self.max_body_bytes <= 0:
            raise ValueError(f"max_body_bytes must be > 0, got {self.max_body_bytes}")


@dataclass(frozen=True, slots=True)
class WebhookResult:
    """The outcome: ``status`` accepted / duplicate / rejected, the HTTP status to answer,
    a stable ``reason`` code, a human ``detail``, validation ``errors`` and the message."""

    status: Literal["accepted", "duplicate", "rejected"]
    http_status: int
    reason: str
    detail: str
    message: Inbound | None = None
    errors: tuple[Mapping[str, str], ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """The JSON response body."""
        out: dict[str, Any] = {"status": self.status, "reason": self.reason, "detail": self.detail}
        if self.errors:
            out["errors"] = [dict(e) for e in self.errors]
        if self.message is not None:
            out["message_id"] = self.message.metadata.get("message_id", "")
        return out


def _reject(http_status: int, reason: str, detail: str, **extra: Any) -> WebhookResult:
    return WebhookResult("rejected", http_status, reason, detail, **extra)


def _errors(exc: PydanticValidationError) -> tuple[Mapping[str, str], ...]:
    return tuple(
        {"field": ".".join(str(p) for p in e["loc"]) or "(body)", "message": e["msg"]}
        for e in exc.errors(include_url=False)
    )


def _message(payload: SmsIn | SocialPostIn, now: float) -> Inbound:
    if isinstance(payload, SmsIn):
        return Inbound(
            channel=Channel.SMS,
            sender=(Identifier(IdentifierKind.PHONE, payload.sender),),
            text=payload.text,
            at=now,
            external_id=payload.message_id,
            recipients=(payload.to,) if payload.to else (),
            sent_at=payload.sent_at,
            metadata={"provider": payload.provider, "message_id": payload.message_id},
        )
    metadata = {"platform": payload.platform, "message_id": payload.message_id}
    if payload.url:
        metadata["url"] = payload.url
    return Inbound(
        channel=Channel.SOCIAL,
        sender=(payload.identifier(),),
        text=payload.text,
        at=now,
        external_id=payload.post_id or payload.message_id,
        sender_name=payload.author_name,
        thread_refs=(payload.in_reply_to,) if payload.in_reply_to else (),
        sent_at=payload.sent_at,
        public=payload.public,
        metadata=metadata,
    )


def _seen_key(payload: SmsIn | SocialPostIn) -> str:
    source = payload.provider if isinstance(payload, SmsIn) else payload.platform.lower()
    return f"{payload.type}:{source}:{payload.message_id}"


def handle_webhook(
    headers: Mapping[str, str],
    body: bytes,
    now: float,
    *,
    config: WebhookConfig,
    sink: InboundSink,
    seen: SeenMessages,
) -> WebhookResult:
    """Verify, parse and deliver one webhook request (see the module doc)."""
    if len(body) > config.max_body_bytes:
        return _reject(
            413, "body_too_large", f"the body is over the limit of {config.max_body_bytes} bytes"
        )
    try:
        verify(config.secrets, headers, body, now=now, tolerance_s=config.tolerance_s)
    except SignatureError as exc:
        return _reject(401, exc.reason, exc.message)
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _reject(400, "malformed_json", f"the body is not UTF-8 JSON: {exc}")
    except RecursionError:
        # Python's parser gives up on arrays or objects nested a few thousand deep.
        return _reject(400, "malformed_json", "the body's JSON is nested too deeply")
    if not isinstance(data, dict):
        return _reject(400, "malformed_json", "the body must be a JSON object")
    try:
        payload = INBOUND_PAYLOAD.validate_python(data)
    except PydanticValidationError as exc:
        errors = _errors(exc)
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return _reject(422, "invalid_payload", f"invalid payload: {summary}", errors=errors)
    message = _message(payload, now)
    key = _seen_key(payload)
    if not seen.claim(key, now):
        return WebhookResult(
            "duplicate", 200, "duplicate", f"message {payload.message_id} was received before"
        )
    try:
        sink.on_message(message)
    except Exception:
        seen.release(key)
        # The cause may name the database's host and port: logged, not sent.
        log.exception("an inbound webhook message could not be stored")
        return _reject(503, "sink_unavailable", "the message could not be taken now; retry later")
    return WebhookResult("accepted", 200, "accepted", "message accepted", message)


class WebhookHandler:
    """:func:`handle_webhook` with its configuration and ports bound:
    ``handler(headers, body, now)``."""

    def __init__(
        self,
        config: WebhookConfig | None,
        sink: InboundSink,
        seen: SeenMessages,
        keys: Callable[[], tuple[bytes, ...]] | None = None,
    ) -> None:
        self._config, self._sink, self._seen, self._keys = config, sink, seen, keys

    def __call__(self, headers: Mapping[str, str], body: bytes, now: float) -> WebhookResult | None:
        """The result; ``None`` while no secret exists (neither configured nor created)."""
        config = self._config
        if self._keys is not None:
            extra = self._keys()
            if extra:
                base = config or WebhookConfig(extra)
                secrets = (*config.secrets, *extra) if config is not None else extra
                config = WebhookConfig(secrets, base.tolerance_s, base.max_body_bytes)
        if config is None:
            return None
        return handle_webhook(headers, body, now, config=config, sink=self._sink, seen=self._seen)
