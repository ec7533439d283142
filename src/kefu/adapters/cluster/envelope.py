"""Signed command envelopes: a command sent over the cluster's bus with the identity of the
caller it runs for, sealed by the web node that authenticated that caller.

A web node checks the caller's session or token itself, then sends the command in an
envelope: ``{"v": 1, "domain", "issued_at", "caller": {...}, "command": {...}}``, with an
HMAC-SHA256 of those exact bytes in the ``Kefu-Signature`` header, keyed by a key derived
from the cluster's shared ``KEFU_SECRET_KEY``. The router opens it only when the
signature is right, the routing domain is its own and it was issued at most ``max_age_s``
seconds ago (a captured envelope cannot be replayed later, nor to another domain); then
it checks the caller's rights like the API does
(:func:`~kefu.service.security.command_rights.command_authorizer`). Anything else is a
:class:`~kefu.service.errors.ForgedCommand` (error id ``command_not_signed``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from kefu.service.errors import ForgedCommand
from kefu.service.security import Principal, Role, Scope

__all__ = ["SIGNATURE_HEADER", "CommandSealer", "Opened", "principal_from", "principal_to"]

SIGNATURE_HEADER = "Kefu-Signature"
VERSION = 1
MAX_AGE_S = 30.0
"""Seconds an envelope stays valid after it was issued (either way, for clock skew)."""


def principal_to(principal: Principal) -> dict[str, Any]:
    """``principal`` as a JSON-ready object."""
    return {
        "user_id": principal.user_id,
        "username": principal.username,
        "role": str(principal.role),
        "sites": sorted(principal.sites),
        "agent_id": principal.agent_id,
        "scopes": sorted(str(s) for s in principal.scopes),
        "display_name": principal.display_name,
        "via": principal.via,
        "credential_id": principal.credential_id,
    }


def principal_from(data: dict[str, Any]) -> Principal:
    """The principal of :func:`principal_to`'s object (a ``ValueError``/``KeyError``/
    ``TypeError`` for anything else)."""
    agent_id = data["agent_id"]
    return Principal(
        user_id=str(data["user_id"]),
        username=str(data["username"]),
        role=Role(data["role"]),
        sites=frozenset(str(s) for s in data["sites"]),
        agent_id=None if agent_id is None else str(agent_id),
        scopes=frozenset(Scope(s) for s in data["scopes"]),
        display_name=str(data["display_name"]),
        via=str(data["via"]),
        credential_id=str(data["credential_id"]),
    )


@dataclass(frozen=True, slots=True)
class Opened:
    """A command the router may run for ``caller`` (once its rights are checked)."""

    command: dict[str, Any]
    caller: Principal


class CommandSealer:
    """Seals and opens the command envelopes of ``domain`` with a key derived from
    ``secret`` (the cluster's ``KEFU_SECRET_KEY``)."""

    def __init__(self, secret: str, domain: str, max_age_s: float = MAX_AGE_S) -> None:
        if not secret:
            raise ValueError("signing commands needs the cluster's secret key")
        self._key = hmac.new(secret.encode(), b"kefu-bus-commands-v1", hashlib.sha256).digest()
        self.domain = domain
        self.max_age_s = max_age_s

    def _mac(self, body: bytes) -> str:
        return hmac.new(self._key, body, hashlib.sha256).hexdigest()

    def seal(
        self, command: dict[str, Any], caller: Principal, now: float
    ) -> tuple[bytes, dict[str, str]]:
        """The envelope's bytes and headers for ``command`` (its ``{"type", "fields"}``
        object) run for ``caller``, issued at ``now`` (seconds since the epoch)."""
        body = json.dumps(
            {
                "v": VERSION,
                "domain": self.domain,
                "issued_at": now,
                "caller": principal_to(caller),
                "command": command,
            },
            ensure_ascii=False,
            sort_keys=True,
        ).encode()
        return body, {SIGNATURE_HEADER: self._mac(body)}

    def open(self, data: bytes, headers: dict[str, str] | None, now: float) -> Opened:
        """The command and caller of a sealed envelope; :class:`ForgedCommand` unless it
        is signed with this cluster's key, for this domain, and fresh at ``now``."""
        signature = (headers or {}).get(SIGNATURE_HEADER, "")
        if not signature:
            raise ForgedCommand("the command is not signed")
        if not hmac.compare_digest(signature.encode(), self._mac(data).encode()):
            raise ForgedCommand("the command's signature is wrong")
        try:
            body = json.loads(data)
            if body["v"] != VERSION or body["domain"] != self.domain:
                raise ForgedCommand("the command is for another routing domain")
            issued_at = float(body["issued_at"])
            caller = principal_from(body["caller"])
            command = body["command"]
            if not isinstance(command, dict):
                raise TypeError("command must be an object")
        except ForgedCommand:
            raise
        except (ValueError, KeyError, TypeError) as exc:
            raise ForgedCommand(f"not a command envelope: {exc}") from exc
        if abs(now - issued_at) > self.max_age_s:
            raise ForgedCommand("the command's envelope has expired", issued_at=issued_at)
        return Opened(command, caller)
