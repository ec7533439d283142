"""Structured logs: one JSON object per line, with the id of the request being served.

The id lives in a context variable that the request-id middleware
(:class:`kefu.api.middleware_ops.RequestId`) sets for each HTTP request and WebSocket; every
record logged while serving it carries it, in the JSON lines and as ``record.request_id``.
"""

from __future__ import annotations

import contextvars
import json
import logging
import time
from typing import Any

__all__ = ["REQUEST_ID", "JsonFormatter", "install_json_logs", "request_id"]

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "kefu_request_id", default=None
)


def request_id() -> str | None:
    """The id of the request being served here, if any."""
    return REQUEST_ID.get()


_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}
_STANDARD.add("color_message")  # uvicorn's copy of the message with terminal colours


class RequestIdFilter(logging.Filter):
    """Stamps each record with the request id of where it was logged (a handler may format
    it later, outside the request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "message", "request_id", ...}``: the extra fields a
    record carries are kept; an exception's traceback goes in ``exc``."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or REQUEST_ID.get()
        if rid is not None:
            body["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                body[key] = value if isinstance(value, str | int | float | bool) else repr(value)
        if record.exc_info:
            body["exc"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False)


def install_json_logs(logger: logging.Logger | None = None) -> None:
    """Make every handler of ``logger`` (the root logger by default) write JSON lines."""
    target = logger or logging.getLogger()
    if not target.handlers:
        target.addHandler(logging.StreamHandler())
    for handler in target.handlers:
        handler.setFormatter(JsonFormatter())
        handler.addFilter(RequestIdFilter())
