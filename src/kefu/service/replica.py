"""A read-only copy of a routing domain's router on a node that does not lead it (a web
node, ``kefu serve --role web``): rebuilt from the store (the newest snapshot and the
log's tail), then kept in step by the events the leader committed, fed in log order by
:class:`~kefu.adapters.cluster.follower.EventFollower` (:meth:`ReplicaEngine.apply`).

It answers queries and publishes each run of events to its subscribers (the wallboard,
the desktops) as the leader's engine does, so the same push hubs run on it. It never
writes: it runs no command, fires no timer (the leader's timer events come in the log)
and keeps no writer. Sites and queues are read from the store at start.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from kefu.service.engine import RoutingEngine
from kefu.service.engine_load import load
from kefu.service.errors import NotLeader
from kefu.service.ports import StoredEvent

__all__ = ["ReplicaEngine"]


class ReplicaEngine(RoutingEngine):
    """A :class:`RoutingEngine` whose state follows the store and the bus, never changed
    by commands of its own."""

    async def start(self) -> None:
        """Rebuild the router from the store (snapshot and tail)."""
        self._lock = asyncio.Lock()
        async with self._lock:
            loaded = await load(self.uow_factory, self.config, [], self.snapshots)
            self.router = loaded.router
            self.sites = {s.site_id: s for s in loaded.sites}
            self.queue_rows = {q.spec.queue_id: q for q in loaded.queues}
            self.last_seq = loaded.last_seq
            self.started = self.ready = True

    async def stop(self) -> None:
        self.started = self.ready = False

    def apply(self, batch: Sequence[StoredEvent]) -> None:
        """Apply the leader's committed ``batch`` (in log order; positions at or below the
        last applied are skipped) and publish it to the subscribers. Runs on the loop
        between two queries (a query holds the lock without awaiting)."""
        fresh = [stored for stored in batch if stored.seq > self.last_seq]
        if not fresh:
            return
        for stored in fresh:
            self.router.apply(stored.event)
        self.router.drain()
        self.last_seq = fresh[-1].seq
        self._publish(fresh)

    async def execute(self, *_: Any, **__: Any) -> Any:
        raise NotLeader("this node does not lead its routing domain; send the command to it")

    async def _process_due(self) -> None:
        """Nothing: the leader fires the timers; their events come with the log."""

    def _rearm(self) -> None:
        """Nothing: no timers here."""
