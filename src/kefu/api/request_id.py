"""The request id: taken from the ``X-Request-Id`` header when it is a sane token (a proxy
in front may have set it), made up otherwise; set for everything logged while the request
(or WebSocket) is served, and sent back in the response's ``X-Request-Id``."""

from __future__ import annotations

import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kefu.adapters.logs import REQUEST_ID

__all__ = ["HEADER", "RequestId"]

HEADER = b"x-request-id"
_SANE = re.compile(rb"[A-Za-z0-9._:-]{1,64}")


class RequestId:
    """ASGI middleware: one id per HTTP request or WebSocket."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(HEADER)
        rid = given.decode() if given and _SANE.fullmatch(given) else uuid.uuid4().hex[:16]
        token = REQUEST_ID.set(rid)

        async def tagging(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (HEADER, rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, tagging)
        finally:
            REQUEST_ID.reset(token)
