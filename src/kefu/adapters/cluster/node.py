"""A router node (``kefu serve --role router``): a hot standby until it takes its routing
domain's lead, then the leader, until it loses it.

Standby: tries the domain's advisory lock every ``poll_s`` seconds (nothing else runs; its
``/readyz`` answers 503). Leader: starts the engine with the lease's fence (state from the
newest snapshot and the log's tail), answers the domain's commands on NATS and publishes
the committed events on JetStream and its channel service's updates on NATS (a command
runs only in an envelope a web node sealed with the cluster's key, and with its caller's
rights); checks every ``check_s`` seconds
that it still holds the lock, and takes a check unanswered for ``lease_s`` seconds (the
store cut off) as the lock lost — before the server drops a silent leader's lock and a
standby takes over. A leader that loses the lock or is fenced stops answering
at once and calls ``on_lost`` (the server exits; its supervisor starts it again, as a
standby: a deposed leader never resumes on the state it had).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from nats.aio.client import Client as Nats

from kefu.adapters.cluster.bus import (
    CommandServer,
    EventPublisher,
    ensure_stream,
    stream_name,
)
from kefu.adapters.cluster.channel_bus import UpdatePublisher
from kefu.adapters.cluster.envelope import CommandSealer
from kefu.adapters.cluster.lease import SERVER_GIVES_UP_S, LeaderLease
from kefu.service import RoutingEngine
from kefu.service.channels import ChannelService

__all__ = ["RouterNode", "stream_name"]

log = logging.getLogger(__name__)

LEASE_S = 2.5
"""Seconds a leader waits for its lock's check before it stops acting."""


class RouterNode:
    """Standby, then leader of ``lease.domain`` with ``engine`` (see the module doc)."""

    def __init__(
        self,
        engine: RoutingEngine,
        lease: LeaderLease,
        nats: Nats,
        *,
        sealer: CommandSealer,
        on_lost: Callable[[], None],
        poll_s: float = 0.5,
        check_s: float = 1.0,
        lease_s: float = LEASE_S,
        channels: ChannelService | None = None,
    ) -> None:
        if not 0 < check_s + lease_s < SERVER_GIVES_UP_S:
            raise ValueError("a leader must give up before the server drops its lock")
        self.engine = engine
        self.lease = lease
        self.nats = nats
        self.sealer = sealer
        self.on_lost = on_lost
        self.poll_s = poll_s
        self.check_s = check_s
        self.lease_s = lease_s
        self.channels = channels
        self.leading = asyncio.Event()
        self._server: CommandServer | None = None
        self._publisher: EventPublisher | None = None
        self._updates: UpdatePublisher | None = None
        self._task: asyncio.Task[None] | None = None
        engine.fence = lease.fence

    @property
    def epoch(self) -> int:
        return self.lease.epoch if self.leading.is_set() else 0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="kefu-router-node")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._step_down()
        if self.channels is not None:
            await self.channels.stop()
        if self.engine.started:
            await self.engine.stop()
        await asyncio.to_thread(self.lease.release)

    async def _run(self) -> None:
        domain = self.lease.domain
        while await asyncio.to_thread(self.lease.try_acquire) is None:
            await asyncio.sleep(self.poll_s)
        log.info("leading routing domain %s at epoch %d", domain, self.lease.epoch)
        await self.engine.start()
        if self.channels is not None:  # closes the conversations of ended contacts
            await self.channels.start()
        js = self.nats.jetstream()
        await ensure_stream(js, domain)
        self._publisher = EventPublisher(js, self.engine, domain)
        await self._publisher.start()
        if self.channels is not None:
            self._updates = UpdatePublisher(self.nats, self.channels, domain)
            await self._updates.start()
        self._server = CommandServer(self.nats, self.engine, domain, sealer=self.sealer)
        await self._server.start()
        self.leading.set()
        while not self.engine.fenced and await self._still_holds():
            await asyncio.sleep(self.check_s)
        log.error("routing domain %s: leadership lost; this node stops", domain)
        await self._step_down()
        self.on_lost()

    async def _still_holds(self) -> bool:
        """Whether the lock's check answered yes within ``lease_s`` seconds: a store that
        does not answer (a partition) is a lost lead, before the server drops the lock
        (:data:`~kefu.adapters.cluster.lease.SERVER_GIVES_UP_S`) and a standby leads."""
        try:
            return await asyncio.wait_for(asyncio.to_thread(self.lease.holds), self.lease_s)
        except TimeoutError:
            log.error("the lock of routing domain %s did not answer", self.lease.domain)
            return False

    async def _step_down(self) -> None:
        self.leading.clear()
        server, self._server = self._server, None
        if server is not None:
            await server.stop()
        publisher, self._publisher = self._publisher, None
        if publisher is not None:
            await publisher.stop()
        updates, self._updates = self._updates, None
        if updates is not None:
            await updates.stop()
