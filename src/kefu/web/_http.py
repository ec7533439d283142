"""Request helpers of the pages: the caller, its address, the same-origin test."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from kefu.service import NotAuthenticated
from kefu.service.security import SESSION_COOKIE, Principal, Security, authenticate, same_origin

__all__ = ["client_address", "origin_ok", "user_of"]


def client_address(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else "unknown"


def origin_ok(connection: HTTPConnection) -> bool:
    return same_origin(connection.headers.get("origin"), connection.headers.get("host"))


async def user_of(connection: HTTPConnection, security: Security) -> Principal | None:
    """The caller by session cookie or bearer token; ``None`` when not logged in (a bad
    token counts as not logged in on pages)."""
    try:
        return await authenticate(
            security.credentials,
            connection.headers.get("authorization"),
            connection.cookies.get(SESSION_COOKIE),
        )
    except NotAuthenticated:
        return None
