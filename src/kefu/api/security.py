"""Authentication for the API: who is calling, and the dependency aliases routes use
(``CurrentUser``, ``Reader``, ``RequireAdmin``).

Credentials: an API token in ``Authorization: Bearer kefu_...`` (integrations), or the
login session cookie (the browser). Cookie-authenticated requests that change something
must carry the session's CSRF token in the ``X-CSRF-Token`` header and must not come from
another origin (a bearer token is never sent by a browser on its own, so it needs
neither). The login and logout forms use a signed double-submit token: see
:mod:`kefu.web.auth_pages`.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from kefu.api.deps import EngineDep
from kefu.config import Settings
from kefu.service import Forbidden, NotAuthenticated
from kefu.service.security import (
    CSRF_HEADER,
    SESSION_COOKIE,
    Principal,
    Scope,
    Security,
    as_seen_by,
    authenticate,
    csrf_token,
    require_admin,
    require_scope,
    same_origin,
)

__all__ = ["CurrentUser", "Reader", "RequireAdmin", "client_address", "principal_of"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def client_address(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else "unknown"


async def principal_of(connection: HTTPConnection) -> Principal | None:
    security: Security = connection.app.state.security
    return await authenticate(
        security.credentials,
        connection.headers.get("authorization"),
        connection.cookies.get(SESSION_COOKIE),
    )


async def _current(request: Request, engine: EngineDep) -> Principal:
    principal = await principal_of(request)
    if principal is None:
        raise NotAuthenticated("log in or send a bearer token", text_key="error.login_first")
    if principal.via == "session" and request.method not in SAFE_METHODS:
        settings: Settings = request.app.state.settings
        sent = request.headers.get(CSRF_HEADER, "")
        expected = csrf_token(settings.secret_key, principal)
        origin_ok = same_origin(request.headers.get("origin"), request.headers.get("host"))
        if not (origin_ok and hmac.compare_digest(sent.encode(), expected.encode())):
            raise Forbidden(
                f"a change made with the session cookie needs the {CSRF_HEADER} header "
                "(GET /api/v1/me gives it)",
                reason="csrf",
            )
    return as_seen_by(engine, principal)


CurrentUser = Annotated[Principal, Depends(_current)]
"""The authenticated caller (401 without credentials)."""


async def _reader(user: CurrentUser) -> Principal:
    require_scope(user, Scope.READ)
    return user


async def _admin(user: CurrentUser) -> Principal:
    require_admin(user)
    return user


Reader = Annotated[Principal, Depends(_reader)]
"""A caller holding the ``read`` scope."""
RequireAdmin = Annotated[Principal, Depends(_admin)]
"""An admin holding the ``admin`` scope (configuration, users, the audit log)."""
