"""The front door of a hand-over to another routing domain: a web node asks the leader of
its own domain, by NATS request/reply on ``kefu.handover.<domain>``, to hand a contact to
a queue of another domain (:class:`HandoverClient`); the leader checks the envelope (sealed
by a web node with the cluster's key) and the caller's rights on the contact (as for a
transfer: an agent its own contact, a supervisor its sites'), then runs
:meth:`~kefu.adapters.cluster.handover.DomainHandover.transfer` (:class:`HandoverServer`).

Envelope: ``{"type": "Handover", "fields": {"contact_id", "to_domain", "to_queue_id",
"note"}}``; answer ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": ...}`` as on
the command subject.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from nats.aio.client import Client as Nats
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from kefu.adapters.cluster.bus import REQUEST_TIMEOUT_S, RemoteError, answer_sealed
from kefu.adapters.cluster.envelope import CommandSealer
from kefu.adapters.cluster.handover import DomainHandover
from kefu.domain.errors import ValidationError
from kefu.service.errors import ServiceUnavailable
from kefu.service.security import Principal
from kefu.service.security.authz import contact_action

__all__ = [
    "HandoverClient",
    "HandoverServer",
    "LeaderService",
    "handover_subject",
    "serve_while_leading",
]

log = logging.getLogger(__name__)

KIND = "Handover"


def handover_subject(domain: str) -> str:
    return f"kefu.handover.{domain}"


def _fields(body: Any) -> tuple[str, str, str, str]:
    """``contact_id, to_domain, to_queue_id, note`` of a hand-over request."""
    try:
        if body["type"] != KIND:
            raise TypeError(f"not a hand-over: {body['type']!r}")
        fields = body["fields"]
        values = tuple(fields[k] for k in ("contact_id", "to_domain", "to_queue_id"))
        note = fields.get("note", "")
        if not all(isinstance(v, str) and v for v in values) or not isinstance(note, str):
            raise TypeError("contact_id, to_domain and to_queue_id must be strings")
    except (KeyError, TypeError) as exc:
        raise ValidationError(f"not a hand-over request: {exc}") from exc
    contact_id, to_domain, to_queue_id = values
    return contact_id, to_domain, to_queue_id, note


class HandoverServer:
    """Answers the hand-over requests of ``handover.domain`` (start it on the leader)."""

    def __init__(
        self,
        nats: Nats,
        handover: DomainHandover,
        *,
        sealer: CommandSealer,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if sealer.domain != handover.domain:
            raise ValueError("the sealer is for another routing domain")
        self.nats = nats
        self.handover = handover
        self.sealer = sealer
        self.clock = clock
        self._subscription: Subscription | None = None

    async def start(self) -> None:
        self._subscription = await self.nats.subscribe(
            handover_subject(self.handover.domain), queue="routers", cb=self._handle
        )

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.unsubscribe()
            self._subscription = None

    async def _handle(self, msg: Msg) -> None:
        async def run() -> Any:
            opened = self.sealer.open(msg.data, msg.headers, self.clock())
            contact_id, to_domain, to_queue_id, note = _fields(opened.command)
            authorize = contact_action(opened.caller, contact_id)
            return await self.handover.transfer(
                contact_id, to_domain, to_queue_id, note, authorize=authorize
            )

        await answer_sealed(msg, run, "a hand-over")


class HandoverClient:
    """Asks the leader of ``domain`` to hand contacts to other domains, for a caller this
    node authenticated (``sealer``: the cluster's key for ``domain``)."""

    def __init__(
        self,
        nats: Nats,
        domain: str,
        *,
        sealer: CommandSealer,
        timeout_s: float = 2 * REQUEST_TIMEOUT_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.nats = nats
        self.domain = domain
        self.sealer = sealer
        self.timeout_s = timeout_s
        self.clock = clock

    async def transfer(
        self, contact_id: str, to_domain: str, to_queue_id: str, note: str, caller: Principal
    ) -> Any:
        """The leader's answer; a :class:`RemoteError` for a refusal (its error id: e.g.
        ``handover_refused``, ``handover_unreachable``, ``forbidden``), a
        :class:`ServiceUnavailable` when the leader did not answer in time."""
        fields = {
            "contact_id": contact_id,
            "to_domain": to_domain,
            "to_queue_id": to_queue_id,
            "note": note,
        }
        data, headers = self.sealer.seal({"type": KIND, "fields": fields}, caller, self.clock())
        try:
            msg = await self.nats.request(
                handover_subject(self.domain), data, self.timeout_s, headers=headers
            )
        except Exception as exc:
            raise ServiceUnavailable(
                "no router of this routing domain answered", domain=self.domain
            ) from exc
        reply = json.loads(msg.data)
        if not reply.get("ok"):
            raise RemoteError(reply.get("error") or {})
        return reply.get("result")


class LeaderService(Protocol):
    """What runs on a leader only: started once it leads, stopped when it stops."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


async def serve_while_leading(leading: asyncio.Event, server: LeaderService) -> None:
    """Run ``server`` (the hand-over server, the overflow hand-overs) once ``leading`` is
    set, until cancelled (a router node's task: a node that loses the lead exits)."""
    await leading.wait()
    await server.start()
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()
