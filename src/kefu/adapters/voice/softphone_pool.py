"""The softphone workers: as many processes as the browser calls need, up to one a core.

A browser call costs about 0.02–0.025 of a core in its worker (aiortc's per-packet Python;
bench/softphone.py), so one worker's loop is full at about 40 calls. Each new leg goes to
the worker carrying the fewest; when that one already carries ``legs_per_worker``, another
worker starts (up to ``max_workers``), and past that the least loaded takes it anyway.
Workers start when first needed (a fresh interpreter importing aiortc: seconds) and a
dead one is forgotten with its legs (the next call starts another).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Coroutine
from typing import Any

from kefu.adapters.voice.softphone_worker import SoftphoneWorker, WorkerGone

__all__ = ["LEGS_PER_WORKER", "SoftphonePool"]

LEGS_PER_WORKER = 30
"""Browser legs a worker takes before another starts (about 0.7 of a core at 0.023 a call)."""


class SoftphonePool:
    """Softphone workers on *host*; *on_failed* hears of a leg whose peer connection
    failed, *on_lost* of the legs a dead worker carried."""

    def __init__(
        self,
        host: str,
        on_failed: Callable[[str], None],
        on_lost: Callable[[list[str]], None],
        *,
        max_workers: int | None = None,
        legs_per_worker: int = LEGS_PER_WORKER,
    ) -> None:
        self.host = host
        self.max_workers = max(1, max_workers or os.cpu_count() or 1)
        self.legs_per_worker = legs_per_worker
        self.workers: list[SoftphoneWorker] = []
        self._on_failed = on_failed
        self._on_lost = on_lost
        self._legs: dict[str, SoftphoneWorker] = {}
        self._starting: asyncio.Task[SoftphoneWorker] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def warm(self) -> None:
        """Start the first worker now (in the background) unless one runs or starts."""
        if not self.workers and self._starting is None:
            self._start()

    def worker_of(self, leg_id: str) -> SoftphoneWorker | None:
        """The worker carrying *leg_id*'s phone."""
        return self._legs.get(leg_id)

    async def open(self, leg_id: str, engine: tuple[str, int]) -> tuple[int, str]:
        """Open *leg_id*'s phone in the least loaded worker (see
        :meth:`SoftphoneWorker.open`)."""
        worker = await self._pick(leg_id)
        try:
            return await worker.open(leg_id, engine)
        except BaseException:
            self._legs.pop(leg_id, None)
            raise

    async def answer(self, leg_id: str, sdp: str) -> None:
        """Apply the browser's SDP answer in the leg's worker."""
        worker = self._legs.get(leg_id)
        if worker is None:
            raise WorkerGone("the call's media is not in a worker")
        await worker.answer(leg_id, sdp)

    async def close(self, leg_id: str) -> None:
        """Close the leg's phone (nothing when it has none)."""
        worker = self._legs.pop(leg_id, None)
        if worker is not None:
            await worker.close(leg_id)

    async def stop(self) -> None:
        """Stop every worker (their phones close)."""
        starting, self._starting = self._starting, None
        if starting is not None and not starting.done():
            starting.cancel()
            with contextlib.suppress(BaseException):
                await starting
        workers, self.workers = self.workers, []
        self._legs.clear()
        for worker in workers:
            await worker.stop()

    def _load(self, worker: SoftphoneWorker) -> int:
        return sum(1 for carrier in self._legs.values() if carrier is worker)

    async def _pick(self, leg_id: str) -> SoftphoneWorker:
        """The worker for *leg_id*, counted as carrying it from now (so legs choosing at the
        same time spread); waits for a new worker when all are full."""
        while True:
            live = [worker for worker in self.workers if worker.running]
            best = min(live, key=self._load, default=None)
            if best is not None and (
                self._load(best) < self.legs_per_worker or len(live) >= self.max_workers
            ):
                self._legs[leg_id] = best
                return best
            await asyncio.shield(self._start())

    def _start(self) -> asyncio.Task[SoftphoneWorker]:
        """A new worker's start, shared by every leg waiting for it."""
        if self._starting is None or self._starting.done():
            self._starting = asyncio.ensure_future(self._start_worker())
            self._starting.add_done_callback(lambda done: done.cancelled() or done.exception())
        return self._starting

    async def _start_worker(self) -> SoftphoneWorker:
        worker: SoftphoneWorker = SoftphoneWorker(
            self.host, self._on_failed, lambda: self._on_exit(worker)
        )
        await worker.start()
        self.workers.append(worker)
        return worker

    def _on_exit(self, worker: SoftphoneWorker) -> None:
        """*worker* died: its legs are lost; the process is reaped."""
        lost = [leg_id for leg_id, carrier in self._legs.items() if carrier is worker]
        for leg_id in lost:
            del self._legs[leg_id]
        if worker in self.workers:
            self.workers.remove(worker)
        self._spawn(worker.stop())
        if lost:
            self._on_lost(lost)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
