"""Webhook secrets as data an admin creates and revokes (rotation: create the new one,
give it to the provider, then revoke the old one; both verify meanwhile).

HMAC verification needs the secret itself, so no one-way hash can stand in for it; the log
holds neither the secret nor anything that gives it without the server's key. Each secret
is derived, ``HMAC-SHA256(KEFU_SECRET_KEY, "kefu-webhook:" + salt)`` in hex, from a random
salt recorded in the ``webhook_key`` stream of the channel log: the handler shows it once
at creation, and the webhook route derives the active secrets again to verify a request.
Changing ``KEFU_SECRET_KEY`` therefore changes every such secret (create new ones then).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kefu.domain.errors import NotFound
from kefu.domain.errors import ValidationError as DomainValidationError
from kefu.service.channels.ports import ChannelRecord
from kefu.service.commands import Command
from kefu.service.ports import UnitOfWork
from kefu.service.transaction import Handler, Transaction

__all__ = ["WEBHOOK_KEY_STREAM", "CreateWebhookSecret", "RevokeWebhookSecret", "WebhookKeyBook"]

WEBHOOK_KEY_STREAM = "webhook_key"
_NAME = re.compile(r"^\S.{0,63}$")

Log = Callable[[float, str, str, str, dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class CreateWebhookSecret(Command):
    """A new secret named ``name`` (1–64 characters, for people: which provider)."""

    name: str


@dataclass(frozen=True, slots=True)
class RevokeWebhookSecret(Command):
    key_id: str


def derive(server_key: str, salt: str) -> str:
    """The secret of ``salt`` under the server's key: 64 hex digits."""
    mac = hmac.new(server_key.encode(), b"kefu-webhook:" + salt.encode(), hashlib.sha256)
    return mac.hexdigest()


class WebhookKeyBook:
    """The secrets' records (id, name, salt, created, revoked) from the ``webhook_key``
    stream; :meth:`secrets` gives the active ones for verifying."""

    def __init__(self, log_record: Log, server_key: str) -> None:
        self._log = log_record
        self._server_key = server_key
        self.keys: dict[str, dict[str, Any]] = {}

    def handlers(self) -> dict[type[Command], Handler]:
        return {CreateWebhookSecret: self.create, RevokeWebhookSecret: self.revoke}

    def secrets(self) -> tuple[bytes, ...]:
        """The active secrets (bytes, as providers sign with them)."""
        active = [k for k in self.keys.values() if k["revoked_at"] is None]
        return tuple(derive(self._server_key, k["salt"]).encode() for k in active)

    def listed(self) -> list[dict[str, Any]]:
        """Every key without its salt, oldest first."""
        shown = [{k: v for k, v in key.items() if k != "salt"} for key in self.keys.values()]
        return sorted(shown, key=lambda k: (k["created_at"], k["key_id"]))

    async def create(self, tx: Transaction, cmd: CreateWebhookSecret) -> dict[str, Any]:
        name = cmd.name.strip()
        if not _NAME.match(name):
            raise DomainValidationError(
                "the name must have 1 to 64 characters", text_key="error.webhook_name", field="name"
            )
        key_id = "wh-" + secrets.token_hex(4)
        salt = secrets.token_hex(16)
        record: dict[str, Any] = {
            "key_id": key_id,
            "name": name,
            "salt": salt,
            "created_at": tx.now,
            "revoked_at": None,
        }
        self.keys[key_id] = record
        self._log(tx.now, WEBHOOK_KEY_STREAM, "created", key_id, dict(record))
        shown = {k: v for k, v in record.items() if k != "salt"}
        tx.audit("webhook_secret.create", "webhook_secret", key_id, None, None, shown)
        return {**shown, "secret": derive(self._server_key, salt)}

    async def revoke(self, tx: Transaction, cmd: RevokeWebhookSecret) -> dict[str, Any]:
        key = self.keys.get(cmd.key_id)
        if key is None or key["revoked_at"] is not None:
            raise NotFound(
                f"no active webhook secret {cmd.key_id[:64]!r}",
                text_key="error.webhook_unknown",
                key_id=cmd.key_id[:64],
            )
        before = {k: v for k, v in key.items() if k != "salt"}
        key["revoked_at"] = tx.now
        self._log(tx.now, WEBHOOK_KEY_STREAM, "revoked", cmd.key_id, {"key_id": cmd.key_id})
        after = {**before, "revoked_at": tx.now}
        tx.audit("webhook_secret.revoke", "webhook_secret", cmd.key_id, None, before, after)
        return after

    # -- the state part ------------------------------------------------------------------
    def fetch(self, uow: UnitOfWork) -> list[ChannelRecord]:
        return [r for r in uow.channels.read() if r.stream == WEBHOOK_KEY_STREAM]

    def load(self, records: Iterable[ChannelRecord]) -> None:
        self.keys.clear()
        for record in records:
            if record.kind == "created":
                self.keys[record.data["key_id"]] = dict(record.data)
            elif record.data["key_id"] in self.keys:
                self.keys[record.data["key_id"]]["revoked_at"] = record.at

    def reconcile(self, router: Any, now: float) -> None:
        del router, now

    def take_writes(self) -> list[Callable[[UnitOfWork], None]]:
        return []  # the records go with the channel log's
