"""Snapshots of the router's state, so a start replays only the tail of the event log.

A snapshot is the router as it stood once every event up to ``seq`` was stored, in
Python's pickle format (protocol 5), tagged with a *fingerprint* of the code that defines
the router's records and events. The log stays the source of truth: a snapshot made by
other code (another fingerprint), or one that cannot be read, is ignored and the whole log
replayed. Snapshots are written and read by this process's own store only (pickle runs
code on load: never restore one from elsewhere).

When a snapshot is taken the router first forgets the contacts that finished more than
``retain_finished_s`` ago (:meth:`Router.forget_finished`), so memory holds the live
contacts and the recent ones.
"""

from __future__ import annotations

import asyncio
import copyreg
import hashlib
import importlib
import io
import logging
import pickle
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from kefu.domain.events import Event
from kefu.domain.routing import Router, RouterConfig
from kefu.service.ports import UnitOfWork, UnitOfWorkFactory

__all__ = [
    "SNAPSHOT_EVERY",
    "Snapshot",
    "SnapshotPolicy",
    "SnapshotStore",
    "Snapshotter",
    "dump_router",
    "fingerprint",
    "load_router",
]

SNAPSHOT_EVERY = 50_000
"""Events stored between two snapshots, by default: a start then replays at most that
many events after the snapshot (bench/replay.py measures what each part costs)."""

log = logging.getLogger(__name__)

FORMAT = 1
"""Bumped when the layout of a snapshot (not of the router) changes."""

_SOURCES = (
    "kefu.domain.model",
    "kefu.domain.events",
    "kefu.domain.routing_events",
    "kefu.domain.routing.records",
    "kefu.domain.routing.index",
    "kefu.domain.routing.state",
    "kefu.domain.routing.dispatch",
    "kefu.domain.routing.setup",
    "kefu.domain.routing.handling",
    "kefu.domain.routing.router",
)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The router's state once the log's events up to ``seq`` were applied, taken at
    ``taken_at`` (seconds since the epoch) by code of ``fingerprint``."""

    seq: int
    taken_at: float
    fingerprint: str
    data: bytes


@dataclass(frozen=True, slots=True)
class SnapshotPolicy:
    """When the engine snapshots: every ``every`` stored events (0: never); contacts
    finished more than ``retain_finished_s`` seconds before leave memory then; ``keep``
    snapshots are kept in the store."""

    every: int = SNAPSHOT_EVERY
    retain_finished_s: float = 86_400.0
    keep: int = 2


class SnapshotStore(Protocol):
    """Where snapshots are kept: in the store's transaction ``uow``."""

    def latest(self, uow: UnitOfWork, fingerprint: str) -> Snapshot | None:
        """The newest snapshot made by code of ``fingerprint``, if any."""
        ...

    def save(self, uow: UnitOfWork, snapshot: Snapshot, keep: int) -> None:
        """Add ``snapshot`` and drop all but the ``keep`` newest (committed by the caller)."""
        ...


@cache
def fingerprint() -> str:
    """A digest of the source of the router's records and events (and of the snapshot
    format): a snapshot is restored only by the code that made it."""
    digest = hashlib.sha256(f"kefu-router-snapshot-{FORMAT}".encode())
    for name in _SOURCES:
        module = importlib.import_module(name)
        try:
            digest.update(Path(module.__file__ or name).read_bytes())
        except OSError:  # no source at hand (a frozen build): its version then
            digest.update(f"{name} {importlib.import_module('kefu').__version__}".encode())
    return digest.hexdigest()[:32]


def readonly(mapping: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    """A read-only view of ``mapping`` (how a snapshot rebuilds the specs' mappings)."""
    return MappingProxyType(mapping)


def _proxy(mapping: MappingProxyType[Any, Any]) -> tuple[Any, tuple[dict[Any, Any]]]:
    return readonly, (dict(mapping),)


def dump_router(router: Router) -> bytes:
    """The router's state as compressed bytes (its drained log is not kept)."""
    if router.log:
        raise ValueError("drain the router's events before snapshotting it")
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    table = copyreg.dispatch_table.copy()
    table[MappingProxyType] = _proxy  # read-only views of the specs: rebuilt on load
    pickler.dispatch_table = table
    pickler.dump(router)
    return zlib.compress(buffer.getvalue(), 1)


def load_router(data: bytes, tail: Iterable[Any] = ()) -> Router:
    """The router of a snapshot's ``data``, with the events of ``tail`` applied."""
    router = pickle.loads(zlib.decompress(data))
    if not isinstance(router, Router):
        raise TypeError(f"a snapshot holds a {type(router).__name__}, not a router")
    for event in tail:
        router.apply(event)
    router.drain()
    return router


class Snapshotter:
    """The engine's snapshots: which to start from, when the next is due, storing it.

    ``store`` keeps them; ``policy`` says how often and what leaves memory."""

    def __init__(self, store: SnapshotStore, policy: SnapshotPolicy | None = None) -> None:
        self.store = store
        self.policy = policy or SnapshotPolicy()
        self.seq = 0
        """The log position of the newest snapshot stored or started from."""
        self.restored_from: int | None = None
        """The snapshot's position the last start began from (``None``: the whole log)."""
        self.tail = 0
        """Events replayed after it by the last start."""
        self._task: asyncio.Task[Snapshot | None] | None = None

    def latest(self, uow: UnitOfWork) -> Snapshot | None:
        """The snapshot to start from (read in the engine's load, in a worker thread)."""
        return self.store.latest(uow, fingerprint())

    def restore(self, snapshot: Snapshot, tail: list[Event], config: RouterConfig) -> Router | None:
        """The router of ``snapshot`` with ``tail`` applied, or ``None`` when it cannot be
        used (the whole log is replayed then): made with other settings, or unreadable."""
        try:
            router = load_router(snapshot.data, tail)
        except Exception:
            log.exception("snapshot at seq %d cannot be read; replaying the log", snapshot.seq)
            return None
        if router.config != config:
            log.info("snapshot at seq %d has other router settings; replaying", snapshot.seq)
            return None
        self.seq = self.restored_from = snapshot.seq
        self.tail = len(tail)
        return router

    def replayed(self, events: int) -> None:
        """The last start replayed the whole log (``events`` events)."""
        self.restored_from = None
        self.tail = events

    def due(self, last_seq: int) -> bool:
        """Is a snapshot due now that the log reaches ``last_seq``?"""
        every = self.policy.every
        running = self._task is not None and not self._task.done()
        return every > 0 and not running and last_seq - self.seq >= every

    def schedule(self, take: Callable[[], Awaitable[Snapshot | None]], last_seq: int) -> None:
        """Run ``take()`` in a task of its own (on the engine's loop); if it fails the
        next is tried ``policy.every`` events after ``last_seq``."""
        self.seq = last_seq
        self._task = asyncio.get_running_loop().create_task(_run(take), name="kefu-snapshot")

    async def finish(self) -> None:
        """Wait for a snapshot being taken (bounded by the store's own timeouts)."""
        task, self._task = self._task, None
        if task is not None:
            await asyncio.wait([task])

    async def save(self, uow_factory: UnitOfWorkFactory, snapshot: Snapshot) -> None:
        """Store ``snapshot`` (in a worker thread) and keep the newest ``policy.keep``."""

        def work() -> None:
            with uow_factory() as uow:
                self.store.save(uow, snapshot, self.policy.keep)
                uow.commit()

        await asyncio.to_thread(work)
        self.seq = max(self.seq, snapshot.seq)


async def _run(take: Callable[[], Awaitable[Snapshot | None]]) -> Snapshot | None:
    try:
        return await take()
    except Exception:  # the next one is tried after as many events again
        log.exception("taking a snapshot failed")
        return None
