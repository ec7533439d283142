"""What the leader's publishers share: a listener queues what a source hands it, one task
publishes it in order, and stopping publishes what is queued before it ends."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["QueuePublisher"]

T = TypeVar("T")


class QueuePublisher(Generic[T]):
    """Publishes each item the source (:meth:`subscribe`) hands it with :meth:`publish`,
    in order; a failed item is logged (with ``failure``) and the next one goes on, since
    the store holds what failed and the readers catch up from there."""

    def __init__(self, task_name: str, failure: str) -> None:
        self.published = 0
        self._task_name = task_name
        self._failure = failure
        self._log = logging.getLogger(type(self).__module__)
        self._queue: asyncio.Queue[T] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None

    def subscribe(self, listener: Callable[[T], None]) -> Callable[[], None]:
        """Hand the source's items to ``listener``; returns the unsubscribe."""
        raise NotImplementedError

    async def publish(self, item: T) -> None:
        """Publish ``item`` (counting in :attr:`published` what went out)."""
        raise NotImplementedError

    async def start(self) -> None:
        self._unsubscribe = self.subscribe(self._queue.put_nowait)
        self._task = asyncio.create_task(self._run(), name=self._task_name)

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        await self._queue.join()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            item = await self._queue.get()
            try:
                await self.publish(item)
            except Exception:
                self._log.exception(self._failure)
            finally:
                self._queue.task_done()
