"""The one table from error class to HTTP status, and the handlers that answer every error
with the same body: ``{"error_id", "message", "details"}``.

A class not in the table takes the status of its nearest listed ancestor, so a new
``NotFound`` subclass is a 404 without touching this file.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kefu.domain import errors as de
from kefu.i18n import SOURCE_LANGUAGE, catalogs
from kefu.service import (
    Forbidden,
    IdempotencyKeyReused,
    NotAuthenticated,
    ServiceUnavailable,
    TooManyRequests,
    UnknownSite,
    UnknownToken,
    UnknownUser,
)

__all__ = [
    "ERROR_STATUS",
    "error_headers",
    "error_response",
    "install_error_handlers",
    "status_for",
]

log = logging.getLogger(__name__)

ERROR_STATUS: dict[type[de.KefuError], int] = {
    de.KefuError: 400,
    de.ValidationError: 422,
    de.NotFound: 404,
    de.UnknownQueue: 404,
    de.UnknownAgent: 404,
    de.UnknownContact: 404,
    de.UnknownOffer: 404,
    UnknownSite: 404,
    UnknownUser: 404,
    UnknownToken: 404,
    NotAuthenticated: 401,
    Forbidden: 403,
    TooManyRequests: 429,
    de.Conflict: 409,
    de.AlreadyExists: 409,
    de.InvalidState: 409,
    de.OfferNotPending: 409,
    de.AgentAtCapacity: 409,
    IdempotencyKeyReused: 409,
    ServiceUnavailable: 503,
}

_HTTP_IDS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def status_for(error: de.KefuError) -> int:
    for cls in type(error).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    return 400


def error_response(
    status: int, error_id: str, message: str, details: dict[str, Any] | None = None
) -> JSONResponse:
    body = {"error_id": error_id, "message": message, "details": details or {}}
    return JSONResponse(body, status_code=status)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] or parts
    return ".".join(parts)


UNAVAILABLE = "a service kefu depends on is unavailable; retry later"
UNAVAILABLE_KEY = "error.unavailable"


def localized(request: Request, message: str, key: str | None, details: dict[str, Any]) -> str:
    """``message`` in the request's language (``?lang=``, else ``Accept-Language``): the
    catalog's text for ``key`` filled from ``details``; the English message as written
    when the reader takes English, the error has no key or the catalog lacks it."""
    if key is None:
        return message
    catalog = catalogs().negotiate(
        request.query_params.get("lang"), request.headers.get("accept-language")
    )
    if catalog.language == SOURCE_LANGUAGE:
        return message
    text = catalog.text(key, **details)
    return message if text == key else text


async def _kefu_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, de.KefuError)
    status = status_for(exc)
    details = _jsonable(exc.details)
    message = localized(request, exc.message, exc.text_key, details)
    if status == 503:
        # The cause names the database's host and port: for the operator's log only.
        log.warning("%s: %s %s", exc.error_id, exc.message, details)
        message = localized(request, UNAVAILABLE, UNAVAILABLE_KEY, {})
        details = {}
    response = error_response(status, exc.error_id, message, details)
    response.headers.update(error_headers(exc))
    return response


def error_headers(exc: de.KefuError) -> dict[str, str]:
    """``WWW-Authenticate`` on 401, ``Retry-After`` (whole seconds) on 429."""
    if isinstance(exc, NotAuthenticated):
        return {"WWW-Authenticate": 'Bearer realm="kefu"'}
    if isinstance(exc, TooManyRequests):
        return {"Retry-After": str(max(1, math.ceil(exc.retry_after_s)))}
    return {}


async def _request_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": _field(e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type")}
        for e in exc.errors()
    ]
    fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
    return error_response(422, "validation_error", f"invalid request: {fields}", {"errors": errors})


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    error_id = _HTTP_IDS.get(exc.status_code, "http_error")
    response = error_response(exc.status_code, error_id, str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "internal_error", "an internal error occurred")


def _jsonable(details: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in details.items():
        if value is None or isinstance(value, str | int | float | bool | list | dict):
            out[key] = value
        else:
            out[key] = str(value)
    return out


def install_error_handlers(app: FastAPI) -> None:
    """Answer domain, validation, HTTP and unexpected errors with the common body."""
    app.add_exception_handler(de.KefuError, _kefu_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
