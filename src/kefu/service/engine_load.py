"""What the routing engine rebuilds itself from on start and after a failed write: the
sites, queues, open state intervals and state parts' records read in one transaction, and
the router, restored from the newest usable snapshot plus the log's tail, or replayed
from the whole log (:mod:`kefu.service.snapshots`)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kefu.domain.routing import Router, RouterConfig
from kefu.service.engine_state import StatePart
from kefu.service.ports import QueueRow, Site, StateInterval, StoredEvent, UnitOfWorkFactory
from kefu.service.snapshots import Snapshotter

__all__ = ["Loaded", "load"]


@dataclass(frozen=True, slots=True)
class Loaded:
    """The store's state: ``router`` rebuilt, ``last_seq`` the log's last position, and
    what each part's ``fetch`` read (in the order of the parts)."""

    sites: list[Site]
    queues: list[QueueRow]
    router: Router
    last_seq: int
    open_intervals: list[StateInterval]
    fetched: list[Any]
    whole_log: list[StoredEvent] | None = None
    """Every stored event when the router was rebuilt from the whole log; None when it
    started from a snapshot (a reader needing the whole log reads it itself)."""


async def load(
    uow_factory: UnitOfWorkFactory,
    config: RouterConfig,
    parts: Sequence[StatePart],
    snapshots: Snapshotter | None,
) -> Loaded:
    """Read the store (in a worker thread) and rebuild the router from it."""

    def read() -> tuple[Loaded, Any, list[StoredEvent]]:
        with uow_factory() as uow:
            snapshot = None if snapshots is None else snapshots.latest(uow)
            stored = list(uow.events.read(0 if snapshot is None else snapshot.seq))
            found = Loaded(
                uow.sites.list(),
                uow.queues.list(),
                Router(config),
                0,
                uow.intervals.open_intervals(),
                [part.fetch(uow) for part in parts],
            )
            return found, snapshot, stored

    def read_all() -> list[StoredEvent]:
        with uow_factory() as uow:
            return list(uow.events.read())

    found, snapshot, stored = await asyncio.to_thread(read)
    router = None
    if snapshot is not None and snapshots is not None:
        router = snapshots.restore(snapshot, [s.event for s in stored], config)
        if router is None:  # unusable: the whole log then
            stored = await asyncio.to_thread(read_all)
            snapshot = None
    if router is None:
        router = Router.replay((s.event for s in stored), config)
        router.drain()  # replay logs what it applies; those events are stored already
        if snapshots is not None:
            snapshots.replayed(len(stored))
    last_seq = stored[-1].seq if stored else (snapshot.seq if snapshot is not None else 0)
    return Loaded(
        found.sites,
        found.queues,
        router,
        last_seq,
        found.open_intervals,
        found.fetched,
        whole_log=stored if snapshot is None else None,
    )
