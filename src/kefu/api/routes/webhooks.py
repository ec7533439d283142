"""``/api/v1/channels/webhook``: inbound SMS and social-media messages from a provider,
signed with HMAC-SHA256 (no login: the signature is the credential). A thin route over
:func:`kefu.adapters.channels.webhook.handle_webhook`; the status and body are its answer
(401 bad or stale signature, 400 malformed JSON, 422 invalid payload, 413 too large, 200
accepted or duplicate, 503 when the message could not be stored). 404 while webhooks are
not configured (``KEFU_WEBHOOK_SECRETS``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

__all__ = ["WebhookEndpoint", "router"]

router = APIRouter(prefix="/channels", tags=["channels"])


class _Result(Protocol):
    @property
    def http_status(self) -> int: ...
    def to_dict(self) -> dict[str, Any]: ...


class WebhookEndpoint(Protocol):
    async def handle_webhook(
        self, headers: Mapping[str, str], body: bytes, now: float
    ) -> _Result | None: ...


@router.post("/webhook", include_in_schema=True)
async def webhook(request: Request) -> JSONResponse:
    """Signed inbound SMS or social post. 短信/社交媒体消息回调（HMAC 签名）。"""
    endpoint: WebhookEndpoint | None = getattr(request.app.state, "channel_server", None)
    body = await request.body()
    now = request.app.state.engine.now()
    result = None if endpoint is None else await endpoint.handle_webhook(request.headers, body, now)
    if result is None:
        return JSONResponse(
            {"error_id": "not_found", "message": "webhooks are not configured", "details": {}},
            status_code=404,
        )
    return JSONResponse(result.to_dict(), status_code=result.http_status)
