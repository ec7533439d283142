"""Snapshots of the router's state and of the state parts kept beside it, so a start
replays only the tail of the event log and of the parts' record logs.

A snapshot is the router as it stood once every event up to ``seq`` was stored, with the
state of each part that can be snapshotted
(:class:`~kefu.service.engine_state.SnapshotPart`: the channels' customers,
conversations and branch tickets, the IVR sessions), each part's bytes naming the
position of its own log they cover, in Python's pickle format (protocol 5), tagged with a
*fingerprint* of the code that defines them. The log stays the source of truth: a snapshot made by
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
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from kefu.domain.events import Event
from kefu.domain.routing import Router, RouterConfig
from kefu.service.ports import UnitOfWork, UnitOfWorkFactory

__all__ = [
    "REPORTS",
    "SNAPSHOT_EVERY",
    "Snapshot",
    "SnapshotPolicy",
    "SnapshotStore",
    "Snapshotter",
    "dump_part",
    "dump_router",
    "dumps",
    "fingerprint",
    "load_part",
    "load_router",
    "open_snapshot",
    "pickled",
    "with_parts",
]

SNAPSHOT_EVERY = 50_000
"""Events stored between two snapshots, by default: a start then replays at most that
many events after the snapshot (bench/replay.py measures what each part costs)."""

log = logging.getLogger(__name__)

FORMAT = 3
"""Bumped when the layout of a snapshot (not of the router) changes: 2 adds the parts, 3
the parts added after the router was pickled (:func:`with_parts`: the report projection)."""

REPORTS = "reports"
"""The part key of the report projection's state (:meth:`ReportProjection.dump`)."""

_PACKED = b"KFS3"
"""How a snapshot with parts added after the router starts (zlib data starts with 0x78)."""

_SOURCES = (
    "kefu.domain.model",
    "kefu.domain.events",
    "kefu.domain.routing_events",
    "kefu.domain.consult_events",
    "kefu.domain.routing.records",
    "kefu.domain.routing.index",
    "kefu.domain.routing.state",
    "kefu.domain.routing.timers",
    "kefu.domain.routing.dispatch",
    "kefu.domain.routing.setup",
    "kefu.domain.routing.handling",
    "kefu.domain.routing.consulting",
    "kefu.domain.routing.router",
    "kefu.domain.customers.records",
    "kefu.domain.customers.state",
    "kefu.domain.customers.directory",
    "kefu.domain.customers.conversations",
    "kefu.domain.customers.events",
    "kefu.domain.customers.identifiers",
    "kefu.domain.customers.value",
    "kefu.domain.ivr.events",
    "kefu.service.channels.ports",
    "kefu.service.channels.state",
    "kefu.service.ivr.sessions",
    "kefu.analytics.visits",
    "kefu.analytics.projection",
    "kefu.service.report_projection",
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
    fork: bool = True
    """Pickle in a forked child (:mod:`kefu.service.snapshot_fork`), holding the engine's
    lock only for the fork; ``False``: pickle under the lock."""


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


def _dispatch_table() -> dict[Any, Any]:
    table = copyreg.dispatch_table.copy()
    table[MappingProxyType] = _proxy  # read-only views (specs, records): rebuilt on load
    return table


def _pickler(buffer: io.BytesIO) -> pickle.Pickler:
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.dispatch_table = _dispatch_table()
    return pickler


def dumps(state: Any) -> bytes:
    """``state`` pickled as a snapshot pickles (read-only mappings included)."""
    buffer = io.BytesIO()
    _pickler(buffer).dump(state)
    return buffer.getvalue()


def dump_router(router: Router, parts: Mapping[str, bytes] | None = None) -> bytes:
    """The router's state, and the parts' (:func:`dump_part`, by part), as compressed
    bytes (the router's drained log is not kept)."""
    if router.log:
        raise ValueError("drain the router's events before snapshotting it")
    buffer = io.BytesIO()
    _pickler(buffer).dump((router, dict(parts or {})))
    return zlib.compress(buffer.getvalue(), 1)


def with_parts(data: bytes, added: Mapping[str, bytes]) -> bytes:
    """A snapshot's ``data`` (:func:`dump_router`) with the parts of ``added`` beside the
    ones pickled with the router: state known only once the router's copy was taken (the
    report projection, dumped in the writer's transaction)."""
    if not added:
        return data
    extra = zlib.compress(pickle.dumps(dict(added), protocol=5), 1)
    return _PACKED + len(data).to_bytes(8, "big") + data + extra


def pickled(data: bytes) -> list[bytes]:
    """The pickles a snapshot's ``data`` holds, decompressed: the router's with its parts,
    then the parts added after it (if any)."""
    if not data.startswith(_PACKED):
        return [zlib.decompress(data)]
    size = int.from_bytes(data[4:12], "big")
    return [zlib.decompress(data[12 : 12 + size]), zlib.decompress(data[12 + size :])]


def open_snapshot(data: bytes) -> tuple[Router, dict[str, bytes]]:
    """The router and the parts' bytes of a snapshot's ``data``."""
    held = pickled(data)
    added = pickle.loads(held[1]) if len(held) > 1 else {}
    if not isinstance(added, dict):
        raise TypeError(f"a snapshot's added parts are a {type(added).__name__}")
    router, parts = pickle.loads(held[0])
    if not isinstance(router, Router) or not isinstance(parts, dict):
        raise TypeError(f"a snapshot holds a {type(router).__name__}, not a router")
    return router, {**parts, **added}


def load_router(data: bytes, tail: Iterable[Any] = ()) -> Router:
    """The router of a snapshot's ``data``, with the events of ``tail`` applied."""
    router, _parts = open_snapshot(data)
    return _applied(router, tail)


def _applied(router: Router, tail: Iterable[Any]) -> Router:
    for event in tail:
        router.apply(event)
    router.drain()
    return router


class _OwnerPickler(pickle.Pickler):
    def __init__(self, buffer: io.BytesIO, owner: object) -> None:
        super().__init__(buffer, protocol=5)
        self.owner = owner
        self.dispatch_table = _dispatch_table()

    def persistent_id(self, obj: Any) -> str | None:
        return "owner" if obj is self.owner else None


class _OwnerUnpickler(pickle.Unpickler):
    def __init__(self, buffer: io.BytesIO, owner: object) -> None:
        super().__init__(buffer)
        self.owner = owner

    def persistent_load(self, pid: Any) -> Any:
        if pid != "owner":
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
        return self.owner


def dump_part(owner: object, state: Any) -> bytes:
    """``state`` of the part ``owner`` as bytes; references to ``owner`` itself (bound
    methods, back links) are kept as references, and :func:`load_part` points them at the
    part it loads into."""
    buffer = io.BytesIO()
    _OwnerPickler(buffer, owner).dump(state)
    return buffer.getvalue()


def load_part(owner: object, data: bytes) -> Any:
    """The state :func:`dump_part` dumped, its references to the part now to ``owner``."""
    return _OwnerUnpickler(io.BytesIO(data), owner).load()


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

    def open(self, snapshot: Snapshot) -> tuple[Router, dict[str, bytes]] | None:
        """The router and the parts' bytes of ``snapshot``, or ``None`` when it cannot be
        read (the whole logs are replayed then)."""
        try:
            return open_snapshot(snapshot.data)
        except Exception:
            log.exception("snapshot at seq %d cannot be read; replaying the log", snapshot.seq)
            return None

    def restore(
        self, snapshot: Snapshot, router: Router, tail: list[Event], config: RouterConfig
    ) -> Router | None:
        """``router`` (opened from ``snapshot``) with ``tail`` applied, or ``None`` when it
        cannot be used (the whole log is replayed then): made with other settings, or the
        tail does not apply."""
        if router.config != config:
            log.info("snapshot at seq %d has other router settings; replaying", snapshot.seq)
            return None
        try:
            router = _applied(router, tail)
        except Exception:
            log.exception("the log's tail does not apply to snapshot %d; replaying", snapshot.seq)
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
