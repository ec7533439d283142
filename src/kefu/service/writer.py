"""Group commit: the engine stages each command's events and writes; one writer task stores
everything staged so far in one transaction (in a worker thread), then resolves the batch.

While one batch is being written the next one fills up, so the store's commit latency is
paid once per batch rather than once per command. Commands are acknowledged only when
their batch is committed.

A :class:`Projection` of the log is folded with each batch, in memory, in the writer
thread; its rows are stored later, in a transaction of their own (:meth:`Projection.settle`),
so a batch's commit, which its commands wait on, carries the events only. The writer
settles when it has no batch to write, :data:`SETTLE_AFTER_S` after the first batch it
left unsettled (so one transaction stores the rows of many batches), or at once when asked
(:meth:`GroupWriter.flush`, and on stopping). A writer that stays busy that long puts the
rows in the transaction of the next batch once they are :data:`SETTLE_MAX_S` old: they lag
the events by that much at most. A settle that fails is a failed write (``failed``): the
engine rebuilds its state, the projection's from the store's mark and the log past it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, TypeVar

from kefu.domain import events as ev
from kefu.service.intervals import IntervalChange
from kefu.service.ports import UnitOfWork, UnitOfWorkFactory

__all__ = ["Batch", "GroupWriter", "Projection", "Write"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

STOP_TIMEOUT_S = 10.0
"""Seconds a shutdown waits for the staged batch to be stored."""

SETTLE_AFTER_S = 0.2
"""Seconds a projection's rows wait, at least, for the writer to have nothing to write."""
SETTLE_MAX_S = 1.0
"""Seconds they wait at most: a writer busy that long stores them with its next batch."""

Write = Callable[[UnitOfWork], None]


class Projection(Protocol):
    """Rows derived from the log, kept by the writer (all three run in its thread)."""

    def project(self, events: Sequence[ev.Event], seqs: Sequence[int]) -> None:
        """Fold a batch's events (with their seqs) in, before the batch commits."""
        ...

    def unsettled(self) -> bool:
        """Whether rows (or a mark) are folded but not stored yet."""
        ...

    def settle(self, uow: UnitOfWork) -> None:
        """Store every row folded so far and not stored, with the mark of how far they go
        (in the caller's transaction)."""
        ...


class Batch:
    """Events and writes to store in one transaction; ``done`` resolves to their seqs."""

    __slots__ = ("changes", "done", "events", "stored_s", "tags", "writes")

    def __init__(self) -> None:
        self.events: list[ev.Event] = []
        self.tags: list[object] = []  # what the engine wants back once this is stored
        self.writes: list[Write] = []
        self.changes: list[IntervalChange] = []
        self.done: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
        self.stored_s = 0.0
        """Seconds the store took to write and commit it."""

    def store(
        self,
        uow: UnitOfWork,
        fence: Write | None = None,
        projection: Projection | None = None,
        settle: bool = False,
    ) -> list[int]:
        """Store the batch and commit; ``projection`` folds its events in (and, with
        ``settle``, stores every row it has not stored yet in this transaction)."""
        if fence is not None:  # first: refuses the whole batch if leadership was lost
            fence(uow)
        seqs = uow.events.append(self.events) if self.events else []
        if projection is not None and seqs:
            projection.project(self.events, seqs)
        for write in self.writes:  # first: intervals refer to the agents written here
            write(uow)
        if self.changes:
            uow.intervals.switch([change.opened for change in self.changes])
        if settle and projection is not None:
            projection.settle(uow)
        uow.commit()
        return seqs


class GroupWriter:
    """Writes staged batches in order. ``committed(batch, seqs)`` runs on the loop after
    each commit; ``failed(exc)`` after a failed one (or a failed settle), before the
    waiters learn it."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        committed: Callable[[Batch, list[int]], None],
        failed: Callable[[BaseException], Awaitable[None]],
        fence: Write | None = None,
        projection: Projection | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.fence = fence
        """Run first in every transaction; raises to refuse it (a leader's epoch)."""
        self.projection = projection
        """Folded with each batch; its rows stored later (see the module's docstring)."""
        self.committed = committed
        self.failed = failed
        self.open: Batch | None = None
        self.inflight: Batch | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # A thread of its own: in the loop's default pool a batch would wait behind the
        # store reads of the requests it holds up.
        self._thread: ThreadPoolExecutor | None = None
        self._unsettled_since: float | None = None
        """When (loop time, s) the oldest batch whose rows are not stored was committed."""
        self._settle_timer: asyncio.TimerHandle | None = None
        self._flushes: list[asyncio.Future[None]] = []

    def start(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kefu-writer")
        self._task = asyncio.create_task(self._run(), name="kefu-store-writer")

    async def stop(self) -> None:
        """Store what is staged and the projection's rows, then stop."""
        if self._task is not None and not self._task.done():
            # Bounded: a writer that can no longer finish must not hang the shutdown.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self.flush()), STOP_TIMEOUT_S)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
        self._untrack()
        if self._thread is not None:
            self._thread.shutdown(wait=False)
            self._thread = None

    def stage(
        self,
        events: Sequence[ev.Event],
        writes: Sequence[Write],
        changes: Sequence[IntervalChange],
        tags: Sequence[object] = (),
    ) -> asyncio.Future[list[int]]:
        """Add to the open batch; the future resolves when it is committed."""
        batch = self.open
        if batch is None:
            batch = self.open = Batch()
        batch.events.extend(events)
        batch.writes.extend(writes)
        batch.changes.extend(changes)
        batch.tags.extend(tags)
        self._wake.set()
        return batch.done

    def flush(self) -> asyncio.Future[None]:
        """A future resolved once everything staged so far is stored, the projection's
        rows of it included (failed with the error of a write that failed meanwhile)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._task is None or self._task.done():
            done.set_result(None)
            return done
        self._flushes.append(done)
        self._wake.set()
        return done

    def latest(self) -> asyncio.Future[list[int]] | None:
        """The future of the newest staged batch (batches commit in order)."""
        if self.open is not None:
            return self.open.done
        if self.inflight is not None:
            return self.inflight.done
        return None

    def position(self) -> tuple[asyncio.Future[list[int]] | None, int]:
        """Where the events staged so far end: the future of the batch holding the last
        one and how many of its events go up to it; ``(None, 0)`` when every staged event
        is stored already."""
        for batch in (self.open, self.inflight):
            if batch is not None and batch.events:
                return batch.done, len(batch.events)
        return None, 0

    def fail_open(self, exc: BaseException) -> None:
        """Fail the open batch (built on state that was just rolled back)."""
        batch, self.open = self.open, None
        if batch is not None and not batch.done.done():
            _fail(batch.done, exc)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self.open is not None:
                await self._write(self.open)
            if self._flushes or self._settle_due():
                await self._settle()

    async def _write(self, batch: Batch) -> None:
        self.inflight = batch
        self.open = None
        loop = asyncio.get_running_loop()
        # Rows unsettled for long (a writer never idle) go with this batch.
        settle = self._unsettled_since is not None and (
            loop.time() - self._unsettled_since >= SETTLE_MAX_S
        )
        try:
            began = time.perf_counter()
            seqs = await loop.run_in_executor(self._thread, self._store, batch, settle)
            batch.stored_s = time.perf_counter() - began
        except Exception as exc:
            self.inflight = None
            await self.failed(exc)
            self._track()
            if not batch.done.done():
                _fail(batch.done, exc)
            return
        self.inflight = None
        self._track()
        try:
            self.committed(batch, seqs)
        except Exception:  # a failing subscriber must not stop the writer
            logger.exception("publishing a committed batch failed")
        if not batch.done.done():
            batch.done.set_result(seqs)

    async def _settle(self) -> None:
        """Store the projection's rows in a transaction of their own; answer the flushes."""
        flushes, self._flushes = self._flushes, []
        projection = self.projection
        if projection is not None and projection.unsettled():
            loop = asyncio.get_running_loop()
            try:
                await loop.run_in_executor(self._thread, self._store_settle, projection)
            except Exception as exc:
                await self.failed(exc)
                self._track()
                for done in flushes:
                    _fail(done, exc)
                return
        self._track()
        for done in flushes:
            if not done.done():
                done.set_result(None)

    def _settle_due(self) -> bool:
        since = self._unsettled_since
        return since is not None and asyncio.get_running_loop().time() >= since + SETTLE_AFTER_S

    def _track(self) -> None:
        """Note whether the projection holds rows not stored, and wake the writer when
        they are due (run on the loop, between the writer thread's turns)."""
        if self.projection is None or not self.projection.unsettled():
            self._untrack()
        elif self._unsettled_since is None:
            loop = asyncio.get_running_loop()
            self._unsettled_since = now = loop.time()
            self._settle_timer = loop.call_at(now + SETTLE_AFTER_S, self._wake.set)

    def _untrack(self) -> None:
        self._unsettled_since = None
        if self._settle_timer is not None:
            self._settle_timer.cancel()
            self._settle_timer = None

    def _store(self, batch: Batch, settle: bool = False) -> list[int]:
        with self.uow_factory() as uow:
            return batch.store(uow, self.fence, self.projection, settle)

    def _store_settle(self, projection: Projection) -> None:
        with self.uow_factory() as uow:
            if self.fence is not None:  # a node no longer leading writes no rows either
                self.fence(uow)
            projection.settle(uow)
            uow.commit()


def _fail(done: asyncio.Future[T], exc: BaseException) -> None:
    done.set_exception(exc)
    done.exception()  # retrieved: waiters may be gone
