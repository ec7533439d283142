"""Authenticating a request from its raw parts, shared by the API and the web pages: the
``Authorization`` header and the session cookie, the CSRF tokens (HMAC-SHA256 under the
secret key) and the same-origin test. No web framework here: callers pass header values.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from urllib.parse import urlsplit

from kefu.service.errors import NotAuthenticated
from kefu.service.security.access import Principal
from kefu.service.security.credentials import Credentials

__all__ = [
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "authenticate",
    "csrf_token",
    "same_origin",
    "sign",
]

SESSION_COOKIE = "kefu_session"
CSRF_HEADER = "X-CSRF-Token"


def sign(secret_key: str, purpose: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` for ``purpose`` under ``secret_key`` (hex)."""
    message = f"{purpose}:{value}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def csrf_token(secret_key: str, principal: Principal) -> str:
    """The CSRF token bound to a login session (empty for token principals)."""
    if principal.via != "session":
        return ""
    return sign(secret_key, "csrf", principal.credential_id)


def same_origin(origin: str | None, host: str | None) -> bool:
    """False when the browser says the request comes from another site (``Origin``
    naming another host, or ``null``); True when it matches or is absent (not a browser)."""
    if origin is None:
        return True
    return origin != "null" and urlsplit(origin).netloc.lower() == (host or "").lower()


async def authenticate(
    credentials: Credentials, authorization: str | None, session_cookie: str | None
) -> Principal | None:
    """The caller by bearer token or session cookie; ``None`` without credentials (or with
    an expired session). A bearer token that does not resolve is refused
    (:class:`NotAuthenticated`) rather than ignored."""
    if authorization is not None:
        scheme, _, value = authorization.partition(" ")
        value = value.strip()
        if scheme.lower() != "bearer" or not value:
            raise NotAuthenticated("use Authorization: Bearer <token>")
        found = credentials.cached(value) or await asyncio.to_thread(credentials.token, value)
        if found is None:
            raise NotAuthenticated(
                "the token is invalid, expired or revoked", text_key="error.token_invalid"
            )
        return found
    if not session_cookie:
        return None
    return credentials.cached(session_cookie) or await asyncio.to_thread(
        credentials.session, session_cookie
    )
