"""The routing engine's state kept in step with the store: the router, its caches and the
state parts beside it (:class:`~kefu.service.engine_state.StatePart`), loaded from the store.

The new events and writes are staged for the group-commit writer
(:mod:`kefu.service.writer`); each committed batch is published to the subscribers. If a
write fails, the router and the parts are rebuilt from the store, so memory never runs ahead
of the store for long. On start the router is rebuilt from the newest snapshot and the log's
tail (:mod:`kefu.service.snapshots`; the whole log without one), and the parts from theirs.
With a ``fence`` (a routing domain's leadership) every batch first checks the leader's epoch
in the store; once refused, the engine acts no more
(:class:`~kefu.service.errors.NotLeader`). The commands are
:class:`~kefu.service.engine.RoutingEngine`'s.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from typing import TypeVar

from kefu.domain import events as ev
from kefu.domain.errors import KefuError
from kefu.domain.routing import Router, RouterConfig
from kefu.domain.tiers import ContactClass, as_given
from kefu.domain.time import Clock
from kefu.service.engine_load import Loaded, load
from kefu.service.engine_state import SnapshotPart, StatePart, TimedPart
from kefu.service.errors import NotLeader, ServiceUnavailable
from kefu.service.idempotency import KeyLedger
from kefu.service.intervals import IntervalChange, IntervalTracker
from kefu.service.ports import (
    IdempotencyRecord,
    QueueRow,
    ReportMark,
    Scheduler,
    Site,
    StoredEvent,
    UnitOfWork,
    UnitOfWorkFactory,
)
from kefu.service.report_projection import ReportProjection
from kefu.service.snapshot_fork import fork_dump
from kefu.service.snapshots import (
    REPORTS,
    Snapshot,
    Snapshotter,
    dump_router,
    fingerprint,
    with_parts,
)
from kefu.service.transaction import HandlerTable
from kefu.service.writer import Batch, GroupWriter, Write

__all__ = ["StoredState", "Subscriber"]

log = logging.getLogger("kefu.service.engine")

T = TypeVar("T")
Subscriber = Callable[[Sequence[StoredEvent]], None]
"""Called on the event loop with each committed batch; must not block."""


class StoredState:
    """The router, its caches and the state parts, staged for the store, rebuilt from it
    and published once stored; the base of :class:`~kefu.service.engine.RoutingEngine`."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        *,
        handlers: HandlerTable,
        scheduler: Scheduler | None = None,
        config: RouterConfig | None = None,
        new_id: Callable[[], str] | None = None,
        snapshots: Snapshotter | None = None,
        fence: Write | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.scheduler = scheduler
        self.config = config or RouterConfig()
        self.router = Router(self.config)
        self.sites: dict[str, Site] = {}
        self.queue_rows: dict[str, QueueRow] = {}
        self.intervals = IntervalTracker()
        self.reports = ReportProjection()
        """The report projection, folded by the store writer with the events and stored a
        moment after them (:meth:`settle_reports` waits for it)."""
        self.keys = KeyLedger()
        """Idempotency keys staged but not yet stored, or stored lately."""
        self.contact_class: ContactClass = as_given
        """The value tiers' routing effects (set by the tier book; default: every tier
        served first, by its number)."""
        self.last_seq = 0
        self.started = False
        self._new_id = new_id or (lambda: uuid.uuid4().hex[:16])
        self._lock: asyncio.Lock | None = None
        self._writer: GroupWriter | None = None
        self._subscribers: list[Subscriber] = []
        self._broken = False
        self.handlers = handlers
        self._parts: list[StatePart] = []
        self._timed: list[TimedPart] = []
        self._snapshotted: list[SnapshotPart] = []
        self.snapshots = snapshots
        """Where the router's snapshots go and come from (``None``: replay the whole log)."""
        self.parts_restored: tuple[str, ...] = ()
        self.reports_restored = False
        """The last load restored the report projection from a snapshot and the tail."""
        """The state parts the last load restored from a snapshot and their logs' tails
        (the others were loaded from their whole logs)."""
        self.fence = fence
        """Run first in every stored batch; raises when this node may no longer write."""
        self.ready = False
        """Started, with the state rebuilt from the store, and not broken since."""
        self.fenced = False
        """The store refused a write of this node's leadership epoch: it acts no more."""
        self.batch_observers: list[Callable[[float, int], None]] = []
        """Told each committed batch's store time (s) and its number of events."""

    def attach(self, part: StatePart) -> None:
        """Keep ``part`` beside the router: loaded, staged and rebuilt with it. Attached
        after the start, it is loaded before the next command (the whole state is rebuilt
        from the store then)."""
        self._parts.append(part)
        if isinstance(part, TimedPart):  # checked once: a protocol isinstance is slow
            self._timed.append(part)
        if isinstance(part, SnapshotPart):
            self._snapshotted.append(part)
        if self.started:
            self._broken = True

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Receive each committed batch of events; returns the function that unsubscribes."""
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    def now(self) -> float:
        """The clock's instant, never earlier than the router's (a wall clock may step back)."""
        return max(self.clock.now(), self.router.time)

    async def read_store(self, query: Callable[[UnitOfWork], T]) -> T:
        """Run ``query(uow)`` against the store in a worker thread."""

        def work() -> T:
            with self.uow_factory.reading() as uow:
                return query(uow)

        try:
            return await asyncio.to_thread(work)
        except KefuError:
            raise
        except Exception as exc:
            raise ServiceUnavailable("the store cannot be read", cause=str(exc)) from exc

    async def snapshot(self) -> Snapshot | None:
        """Snapshot the router and the parts that can be now, and store it (``None``: no
        snapshot store, or the state is being rebuilt). Contacts finished long enough ago
        leave memory first. The state is taken under the lock; its log position is known
        once the batch holding the last event staged by then is stored."""
        if self.snapshots is None:
            return None
        async with self._locked():
            if self._broken:
                return None
            taken_at = self.now()
            self.router.forget_finished(taken_at - self.snapshots.policy.retain_finished_s)
            # Whatever a part holds unstaged goes with the batch the snapshot waits for.
            # The report projection is folded by the writer, batch by batch: its state is
            # dumped in a batch's transaction, so it is kept only if those events are.
            reports: list[bytes] = []
            captured = self._stage(
                self.router.drain(), [*self._part_writes(), self._capture_reports(reports)]
            )
            # The lock is held for a fork only: the child pickles its frozen copy.
            child = fork_dump(self._dump) if self.snapshots.policy.fork else None
            data = self._dump() if child is None else b""
            assert self._writer is not None
            pending, count = self._writer.position()
            seq = self.last_seq
        if child is not None:
            data = await child.result()
        if pending is not None:
            seq = (await asyncio.shield(pending))[count - 1]
        if captured is not None:
            await asyncio.shield(captured)
        data = with_parts(data, {REPORTS: reports[0]} if reports else {})
        snapshot = Snapshot(seq, taken_at, fingerprint(), data)
        await self.snapshots.save(self.uow_factory, snapshot)
        return snapshot

    async def settle_reports(self) -> None:
        """Wait until every event staged so far is stored with its report rows (the
        writer stores those a moment after the events: a read of the report projection
        that must see the commands just answered waits for this first)."""
        if self._writer is None:
            return
        try:
            await asyncio.shield(self._writer.flush())
        except KefuError:
            raise
        except Exception as exc:
            raise ServiceUnavailable("the report rows could not be stored", cause=str(exc)) from exc

    # -- internals ---------------------------------------------------------------------
    def _capture_reports(self, into: list[bytes]) -> Write:
        """A write that stores the report rows not stored yet and dumps the projection's
        state into ``into``; a dump that fails leaves it out of the snapshot (a start then
        folds the whole log for it), never the batch."""

        def capture(uow: UnitOfWork) -> None:
            dumped = self.reports.dump_settled(uow)
            if dumped is not None:
                into.append(dumped)

        return capture

    def _dump(self) -> bytes:
        parts = {part.snapshot_key: part.dump() for part in self._snapshotted}
        return dump_router(self.router, parts)

    def _locked(self) -> asyncio.Lock:
        if self.fenced:
            raise NotLeader("this node no longer leads its routing domain")
        if self._lock is None or not self.started:
            raise ServiceUnavailable("the routing engine is not started")
        return self._lock

    def _part_writes(self) -> list[Write]:
        return [write for part in self._parts for write in part.take_writes()]

    def _stage(
        self,
        events: list[ev.Event],
        writes: Sequence[Write],
        tags: Sequence[IdempotencyRecord] = (),
    ) -> asyncio.Future[list[int]] | None:
        changes = self.intervals.changes(self.router, events) if events else []
        if not (events or writes or changes):
            return None
        self.intervals.applied(changes)
        assert self._writer is not None
        return self._writer.stage(events, writes, changes, tags)

    async def _stored(self, done: asyncio.Future[list[int]]) -> None:
        """Wait for a batch; a caller that goes away does not cancel it for the others."""
        try:
            await asyncio.shield(done)
        except KefuError:
            raise
        except Exception as exc:
            raise ServiceUnavailable(
                "the store could not be written; nothing was changed", cause=str(exc)
            ) from exc

    def _committed(self, batch: Batch, seqs: list[int]) -> None:
        for observe in self.batch_observers:
            observe(batch.stored_s, len(seqs))
        self.keys.committed(tag for tag in batch.tags if isinstance(tag, IdempotencyRecord))
        if seqs:
            self.last_seq = seqs[-1]
            self._publish([StoredEvent(s, e) for s, e in zip(seqs, batch.events, strict=True)])
            if self.snapshots is not None and self.snapshots.due(self.last_seq):
                self.snapshots.schedule(self.snapshot, self.last_seq)

    async def _failed(self, exc: BaseException) -> None:
        log.error("could not write to the store (%s); rebuilding the router", exc)
        assert self._lock is not None and self._writer is not None
        async with self._lock:
            # Whatever was staged since was built on the state being rolled back.
            self._writer.fail_open(exc)
            self._broken = True
            self.ready = False
            if isinstance(exc, NotLeader):
                # A newer leader writes now: this node must not act on its state again
                # (a standby is started afresh from the store).
                self.fenced = True
                log.error("leadership lost: a newer epoch is in the store; no more commands")
                return
            try:
                await self._recover()
            except ServiceUnavailable:
                log.exception("the store is unavailable; commands are refused until it is back")
            self._rearm()

    async def _recover(self) -> None:
        try:
            await self._load()
        except Exception as exc:
            raise ServiceUnavailable("the store is unavailable", cause=str(exc)) from exc
        self._broken = False
        self.ready = True

    def _whole_log(self) -> tuple[list[StoredEvent], ReportMark | None]:
        with self.uow_factory() as uow:
            return list(uow.events.read()), uow.reports.mark()

    async def _load_reports(self, loaded: Loaded) -> None:
        """The report projection from the snapshot's state and the log's tail; from the
        whole log when the router was replayed or the state cannot be used (its open
        visits and agent slots may start anywhere in the log)."""
        if loaded.whole_log is not None:
            self.reports.load(loaded.whole_log, loaded.report_mark)
            return
        if loaded.reports is not None and loaded.tail is not None:
            try:
                self.reports.restore(loaded.reports, loaded.tail, loaded.report_mark)
                self.reports_restored = True
                return
            except Exception:
                log.exception("the report projection's snapshot cannot be used; folding the log")
        stored, mark = await asyncio.to_thread(self._whole_log)
        self.reports.load(stored, mark)

    async def _load(self) -> None:
        loaded = await load(self.uow_factory, self.config, self._parts, self.snapshots)
        self.reports_restored = False
        await self._load_reports(loaded)
        restored: list[str] = []
        for part, fetched in zip(self._parts, loaded.fetched, strict=True):
            if fetched.since:
                assert isinstance(part, SnapshotPart)
                part.restore(fetched.data)
                restored.append(part.snapshot_key)
            else:
                part.load(fetched.data)
        self.parts_restored = tuple(restored)
        self.router = router = loaded.router
        self.sites = {s.site_id: s for s in loaded.sites}
        self.queue_rows = {q.spec.queue_id: q for q in loaded.queues}
        self.keys.reset()
        self.last_seq = loaded.last_seq
        self.intervals = IntervalTracker(loaded.open_intervals)
        changes = self.intervals.reconcile(router)
        for part in self._parts:
            part.reconcile(router, self.now())
        writes = [*self._part_writes(), self.reports.write_catch_up]
        await asyncio.to_thread(self._write_changes, changes, writes)
        self.intervals.applied(changes)

    def _write_changes(self, changes: list[IntervalChange], writes: list[Write]) -> None:
        with self.uow_factory() as uow:
            if self.fence is not None:
                self.fence(uow)
            if changes:
                uow.intervals.switch([change.opened for change in changes])
            for write in writes:
                write(uow)
            uow.commit()

    def _publish(self, batch: list[StoredEvent]) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber(batch)
            except Exception:
                log.exception("an event subscriber failed")

    def _rearm(self) -> None:
        if self.scheduler is not None:
            dues = [self.router.next_due()]
            dues += [p.next_due() for p in self._timed]
            known = [d for d in dues if d is not None]
            self.scheduler.wake_at(min(known) if known else None)
