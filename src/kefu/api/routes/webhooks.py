"""``/api/v1/channels/webhook``: inbound SMS and social-media messages from a provider,
signed with HMAC-SHA256 (no login: the signature is the credential). A thin route over
:func:`kefu.adapters.channels.webhook.handle_webhook`: its status, and its answer in the
API's shapes — ``{"status", "reason", "detail", "message_id"}`` when accepted or a duplicate
(200), the common error body otherwise (``error_id`` = the handler's reason: 401 bad or
stale signature, 400 malformed JSON, 422 invalid payload with ``details.errors``, 413 too
large, 503 when the message could not be stored). 404 while webhooks are not configured
(``KEFU_WEBHOOK_SECRETS``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from kefu.api.schemas import ErrorBody

__all__ = ["WebhookAnswer", "WebhookEndpoint", "router"]

router = APIRouter(prefix="/channels", tags=["channels"])


class WebhookAnswer(BaseModel):
    """A delivery taken (``accepted``) or seen before (``duplicate``: nothing changed)."""

    status: str
    reason: str
    detail: str
    message_id: str | None = None


class _Result(Protocol):
    @property
    def http_status(self) -> int: ...
    def to_dict(self) -> dict[str, Any]: ...


class WebhookEndpoint(Protocol):
    async def handle_webhook(
        self, headers: Mapping[str, str], body: bytes, now: float
    ) -> _Result | None: ...


RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": WebhookAnswer, "description": "accepted, or a duplicate (ignored)"},
    401: {"model": ErrorBody, "description": "missing, bad or stale signature"},
    404: {"model": ErrorBody, "description": "webhooks are not configured"},
    503: {"model": ErrorBody, "description": "not stored now; the provider retries"},
}


@router.post("/webhook", responses=RESPONSES)
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
    answer = result.to_dict()
    if result.http_status == 200:
        return JSONResponse(WebhookAnswer.model_validate(answer).model_dump(), status_code=200)
    details = {"errors": answer["errors"]} if "errors" in answer else {}
    error = {"error_id": answer["reason"], "message": answer["detail"], "details": details}
    return JSONResponse(error, status_code=result.http_status)
