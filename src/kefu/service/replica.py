"""A read-only copy of a routing domain's router on a node that does not lead it (a web
node, ``kefu serve --role web``): rebuilt from the store (the newest snapshot and the
log's tail), then kept in step by the events the leader committed, fed in log order by
:class:`~kefu.adapters.cluster.follower.EventFollower` (:meth:`ReplicaEngine.apply`), and
by the records of its attached parts read after their position (:meth:`follow_parts`:
the channel state's customers, conversations and messages).

It answers queries and publishes each run of events to its subscribers (the wallboard,
the desktops) as the leader's engine does, so the same push hubs run on it. It never
writes: it fires no timer (the leader's timer events come in the log) and keeps no
writer. A command given to it is sent to the leader (:attr:`ReplicaEngine.remote`, set by
the web node), then the copy reads the store up to what the leader committed
(:attr:`ReplicaEngine.sync`) before answering, so the caller's next read shows its own
change. Sites and queues are read from the store at start.

:class:`ReplicaChannels` is the channel service over such a copy: it runs no handler
(the leader's do), closes no conversation, and hands the typing it hears to the bus
(:attr:`ReplicaChannels.relay`) so the node showing the other side sees it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from kefu.service.channels import ChannelService, ChannelUpdate
from kefu.service.commands import Command
from kefu.service.engine import Authorize, RoutingEngine
from kefu.service.engine_load import load
from kefu.service.engine_state import SnapshotPart
from kefu.service.errors import NotLeader
from kefu.service.ports import StoredEvent, UnitOfWork
from kefu.service.security import Principal

__all__ = ["FollowingPart", "Remote", "ReplicaChannels", "ReplicaEngine"]

Remote = Callable[[Command, Principal | None], Awaitable[Any]]
"""Runs a command on the leader for a caller (None: the node's own customer channel)."""


@runtime_checkable
class FollowingPart(Protocol):
    """A part whose records a read-only copy applies after its position."""

    def fetch_after(self, uow: UnitOfWork) -> list[Any]:
        """The stored records after the part's position (read in a worker thread)."""

    def follow(self, tail: list[Any]) -> None:
        """Apply records read by :meth:`fetch_after` (those at or below the position are
        skipped: two reads may overlap)."""


class ReplicaEngine(RoutingEngine):
    """A :class:`RoutingEngine` whose state follows the store and the bus, never changed
    by commands of its own."""

    remote: Remote | None = None
    """Where commands go (the leader, over the bus); None: they are refused."""
    sync: Callable[[], Awaitable[None]] | None = None
    """Reads the store up to its end (events and parts' records): run after a command."""

    async def start(self) -> None:
        """Rebuild the router and the attached parts from the store (snapshot and
        tail)."""
        self._lock = asyncio.Lock()
        async with self._lock:
            loaded = await load(self.uow_factory, self.config, self._parts, self.snapshots)
            for part, fetched in zip(self._parts, loaded.fetched, strict=True):
                if fetched.since:
                    assert isinstance(part, SnapshotPart)
                    part.restore(fetched.data)
                else:
                    part.load(fetched.data)
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

    async def follow_parts(self) -> None:
        """Read and apply the records the attached parts lack (a worker thread reads;
        the loop applies, between two queries)."""
        parts = [part for part in self._parts if isinstance(part, FollowingPart)]
        if not parts:
            return

        def read() -> list[list[Any]]:
            with self.uow_factory() as uow:
                return [part.fetch_after(uow) for part in parts]

        tails = await asyncio.to_thread(read)
        for part, tail in zip(parts, tails, strict=True):
            part.follow(tail)

    async def execute(
        self,
        command: Command,
        *,
        actor: Principal | None = None,
        authorize: Authorize | None = None,
        client: str | None = None,
    ) -> Any:
        """Run ``command`` on the leader for ``actor`` (who checks the rights again:
        ``authorize`` and ``client`` stay here), then catch up with the store."""
        del authorize, client
        if self.remote is None:
            raise NotLeader("this node does not lead its routing domain; send the command to it")
        result = await self.remote(command, actor)
        if self.sync is not None:
            await self.sync()
        return result

    async def _process_due(self) -> None:
        """Nothing: the leader fires the timers; their events come with the log."""

    def _rearm(self) -> None:
        """Nothing: no timers here."""


class ReplicaChannels(ChannelService):
    """The channel service over a :class:`ReplicaEngine` (see the module doc)."""

    relay: Callable[[ChannelUpdate], Awaitable[None]] | None = None
    """Sends a typing update to every node (this one included); None: shown here only."""

    async def start(self) -> None:
        """Nothing to listen to: the leader closes the conversations of ended contacts."""

    async def announce(self, update: ChannelUpdate) -> None:
        if self.relay is None:
            self.notify(update)
        else:
            await self.relay(update)
