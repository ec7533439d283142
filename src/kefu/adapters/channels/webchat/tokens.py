"""The chat customer's token: a random id and its signature with the server's secret key,
so a browser can keep its conversations but cannot make up another customer's."""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["issue_token", "token_id"]

_MAX_TOKEN_CHARS = 200


def _sign(secret_key: str, token_id: str) -> str:
    key = secret_key.encode()
    return hmac.new(key, f"chat:{token_id}".encode(), hashlib.sha256).hexdigest()[:24]


def issue_token(secret_key: str) -> str:
    """A new token signed with *secret_key*."""
    token_id = secrets.token_urlsafe(16)
    return f"{token_id}.{_sign(secret_key, token_id)}"


def token_id(secret_key: str, token: str | None) -> str | None:
    """The id inside a token signed with *secret_key*, else None."""
    if not token or len(token) > _MAX_TOKEN_CHARS:
        return None
    ident, _, signature = token.partition(".")
    if not ident or not hmac.compare_digest(signature, _sign(secret_key, ident)):
        return None
    return ident
