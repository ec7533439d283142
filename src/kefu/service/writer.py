"""Group commit: the engine stages each command's events and writes; one writer task stores
everything staged so far in one transaction (in a worker thread), then resolves the batch.

While one batch is being written the next one fills up, so the store's commit latency is
paid once per batch rather than once per command. Commands are acknowledged only when
their batch is committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from kefu.domain import events as ev
from kefu.service.intervals import IntervalChange
from kefu.service.ports import UnitOfWork, UnitOfWorkFactory

__all__ = ["Batch", "GroupWriter", "Project", "Write"]

logger = logging.getLogger(__name__)

STOP_TIMEOUT_S = 10.0
"""Seconds a shutdown waits for the staged batch to be stored."""

Write = Callable[[UnitOfWork], None]
Project = Callable[[UnitOfWork, Sequence[ev.Event], Sequence[int]], None]
"""Stages the projection rows of a batch's events (given with their seqs)."""


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
        self, uow: UnitOfWork, fence: Write | None = None, project: Project | None = None
    ) -> list[int]:
        if fence is not None:  # first: refuses the whole batch if leadership was lost
            fence(uow)
        seqs = uow.events.append(self.events) if self.events else []
        if project is not None and seqs:
            project(uow, self.events, seqs)
        for write in self.writes:  # first: intervals refer to the agents written here
            write(uow)
        if self.changes:
            uow.intervals.switch([change.opened for change in self.changes])
        uow.commit()
        return seqs


class GroupWriter:
    """Writes staged batches in order. ``committed(batch, seqs)`` runs on the loop after
    each commit; ``failed(exc)`` after a failed one, before the batch's waiters learn it."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        committed: Callable[[Batch, list[int]], None],
        failed: Callable[[BaseException], Awaitable[None]],
        fence: Write | None = None,
        project: Project | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.fence = fence
        """Run first in every batch's transaction; raises to refuse it (a leader's epoch)."""
        self.project = project
        """Folds a stored batch into the report projection, in the same transaction."""
        self.committed = committed
        self.failed = failed
        self.open: Batch | None = None
        self.inflight: Batch | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # A thread of its own: in the loop's default pool a batch would wait behind the
        # store reads of the requests it holds up.
        self._thread: ThreadPoolExecutor | None = None

    def start(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kefu-writer")
        self._task = asyncio.create_task(self._run(), name="kefu-store-writer")

    async def stop(self) -> None:
        """Store what is staged, then stop."""
        latest = self.latest()
        if latest is not None and self._task is not None and not self._task.done():
            # Bounded: a writer that can no longer finish must not hang the shutdown.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(latest), STOP_TIMEOUT_S)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
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
            batch.done.set_exception(exc)
            batch.done.exception()  # retrieved: waiters may be gone

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self.open is not None:
                batch = self.inflight = self.open
                self.open = None
                try:
                    loop = asyncio.get_running_loop()
                    began = time.perf_counter()
                    seqs = await loop.run_in_executor(self._thread, self._store, batch)
                    batch.stored_s = time.perf_counter() - began
                except Exception as exc:
                    self.inflight = None
                    await self.failed(exc)
                    if not batch.done.done():
                        batch.done.set_exception(exc)
                        batch.done.exception()
                    continue
                self.inflight = None
                try:
                    self.committed(batch, seqs)
                except Exception:  # a failing subscriber must not stop the writer
                    logger.exception("publishing a committed batch failed")
                if not batch.done.done():
                    batch.done.set_result(seqs)

    def _store(self, batch: Batch) -> list[int]:
        with self.uow_factory() as uow:
            return batch.store(uow, self.fence, self.project)
