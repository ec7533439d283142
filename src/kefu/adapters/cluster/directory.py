"""The queues of the other routing domains, for the agent desktop's transfer dialog on a
web node: each leader answers the list of its domain's queues on
``kefu.queues.<domain>`` (:class:`QueueDirectoryServer`, request/reply); a web node asks
each other domain of the cluster every ``refresh_s`` seconds and keeps the last answer
(:class:`RemoteQueues`), so a screen never waits for another domain. A hand-over the agent
picks goes through :class:`~kefu.adapters.cluster.handover_bus.HandoverClient`
(:class:`WebHandovers`), and the router checks the agent's rights on the contact.

The list carries queue ids, names and channels only (configuration, no contact), so the
request is not sealed; the hand-over itself is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from nats.aio.client import Client as Nats
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from kefu.adapters.cluster.bus import RemoteError
from kefu.adapters.cluster.handover_bus import HandoverClient
from kefu.service import RoutingEngine
from kefu.service.desktop import DomainQueueTarget
from kefu.service.engine_state import EngineState
from kefu.service.security import Principal

__all__ = ["QueueDirectoryServer", "RemoteQueues", "WebHandovers", "directory_subject"]

log = logging.getLogger(__name__)


def directory_subject(domain: str) -> str:
    return f"kefu.queues.{domain}"


def _queues(engine: EngineState) -> list[dict[str, str]]:
    return [
        {"queue_id": q, "name": r.spec.name or q, "channel": r.spec.channel.value}
        for q, r in sorted(engine.router.queues.items())
    ]


class QueueDirectoryServer:
    """Answers the list of ``domain``'s queues (start it on the leader)."""

    def __init__(self, nats: Nats, engine: RoutingEngine, domain: str) -> None:
        self.nats = nats
        self.engine = engine
        self.domain = domain
        self._subscription: Subscription | None = None

    async def start(self) -> None:
        self._subscription = await self.nats.subscribe(
            directory_subject(self.domain), queue="routers", cb=self._handle
        )

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.unsubscribe()
            self._subscription = None

    async def _handle(self, msg: Msg) -> None:
        queues = await self.engine.query(_queues, stored=False)
        await msg.respond(json.dumps({"ok": True, "result": queues}).encode())


class RemoteQueues:
    """The queues of ``domains`` (the cluster's other routing domains) as last heard:
    asked every ``refresh_s`` seconds, each answer awaited ``timeout_s`` at most (a silent
    domain keeps its last list)."""

    def __init__(
        self,
        nats: Nats,
        domains: Iterable[str],
        *,
        refresh_s: float = 30.0,
        timeout_s: float = 1.0,
    ) -> None:
        self.nats = nats
        self.domains = sorted(domains)
        self.refresh_s = refresh_s
        self.timeout_s = timeout_s
        self._known: dict[str, tuple[DomainQueueTarget, ...]] = {}
        self._task: asyncio.Task[None] | None = None

    def targets(self) -> tuple[DomainQueueTarget, ...]:
        """Every other domain's queues, by domain then queue."""
        return tuple(t for d in self.domains for t in self._known.get(d, ()))

    async def refresh(self) -> None:
        """Ask every domain now."""
        for domain in self.domains:
            try:
                msg = await self.nats.request(directory_subject(domain), b"{}", self.timeout_s)
                reply: dict[str, Any] = json.loads(msg.data)
                self._known[domain] = tuple(
                    DomainQueueTarget(domain, q["queue_id"], q["name"], q["channel"])
                    for q in reply["result"]
                )
            except Exception as exc:  # its leader is away: keep what was heard
                log.info("no queue list from routing domain %s: %s", domain, exc)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="kefu-remote-queues")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await self.refresh()
            await asyncio.sleep(self.refresh_s)


class WebHandovers:
    """The desktop's hand-overs on a web node (see
    :class:`~kefu.service.desktop.screens.DomainHandovers`)."""

    def __init__(
        self,
        client: HandoverClient,
        queues: RemoteQueues,
        sync: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.client = client
        self.queues = queues
        self.sync = sync
        """Reads the store up to its end (the node's copy then shows the contact gone)."""

    def targets(self) -> tuple[DomainQueueTarget, ...]:
        return self.queues.targets()

    async def transfer(
        self, contact_id: str, to_domain: str, to_queue_id: str, note: str, caller: Principal
    ) -> Any:
        """The router's answer; its refusal raised as the local error (its error id)."""
        try:
            done = await self.client.transfer(contact_id, to_domain, to_queue_id, note, caller)
        except RemoteError as exc:
            raise exc.local() from None
        if self.sync is not None:
            await self.sync()
        return done
