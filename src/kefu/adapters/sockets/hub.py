"""The base of the push hubs (wallboard, agent desktop, web chat): the sockets of one hub,
its subscriptions to the engine or the channels, a dirty flag with one pacing task that
pushes what changed, a per-socket ordered outbox, start and stop, and (for the pages that
show what only some users may see) the :class:`~kefu.adapters.sockets.guard.SocketGuard`
that checks the sockets' rights again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import Callable, Coroutine
from typing import Any, Generic, Protocol, TypeVar

from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket

from kefu.adapters.sockets.guard import SocketGuard
from kefu.adapters.sockets.tasks import stop_task, wake_or_timeout

__all__ = ["Frame", "PushHub", "client_address", "socket_clients"]

log = logging.getLogger(__name__)
Client = TypeVar("Client")


class Frame(Protocol):
    """A frame a socket sends: a read model whose ``to_json`` is the JSON text's object."""

    def to_json(self) -> dict[str, Any]: ...


_HUBS: weakref.WeakSet[PushHub[Any]] = weakref.WeakSet()


def socket_clients() -> dict[str, int]:
    """The sockets open now on the hubs of this process, by hub name (for the metrics)."""
    counts: dict[str, int] = {}
    for hub in list(_HUBS):
        counts[hub.name] = counts.get(hub.name, 0) + len(hub.sockets)
    return counts


def client_address(connection: HTTPConnection) -> str:
    """The peer's address of a request or socket ("unknown" without one)."""
    return connection.client.host if connection.client else "unknown"


class PushHub(Generic[Client]):
    """Sockets (each with what the hub knows of its client) fed by one push loop.

    A subclass says what it listens to (:meth:`subscribe`), what it loads before pushing
    (:meth:`prepare`) and what one round of pushing does (:meth:`push`); anything that
    changes what a socket shows calls :meth:`mark`. The loop runs a round after each mark
    and at least every ``refresh_s`` seconds, and rests ``min_gap_s`` seconds between two
    rounds: after the round, or from the start of one round to the next when
    ``gap_from_start`` (the time a round takes then counts in the gap).
    """

    def __init__(
        self,
        name: str,
        *,
        refresh_s: float,
        min_gap_s: float,
        gap_from_start: bool = False,
        guard: SocketGuard | None = None,
    ) -> None:
        self.name = name
        self.refresh_s = refresh_s
        self.min_gap_s = min_gap_s
        self.gap_from_start = gap_from_start
        self.guard = guard
        self.sockets: dict[WebSocket, Client] = {}
        self._dirty: asyncio.Event | None = None
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._outboxes: dict[WebSocket, asyncio.Queue[Frame | None]] = {}
        self._senders: dict[WebSocket, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Future[Any]] = set()
        _HUBS.add(self)
        self.rounds_run = 0
        """Rounds the loop has run since the start (each calls :meth:`push` once)."""

    # -- what a hub says ---------------------------------------------------------------
    def subscribe(self) -> list[Callable[[], None]]:
        """Subscribe to what the hub pushes; the unsubscribe functions."""
        return []

    async def prepare(self) -> None:
        """Load what the first round needs (after subscribing, before the loop)."""

    async def push(self, changed: bool) -> None:
        """One round: push what changed (``changed`` is False after a quiet
        ``refresh_s``)."""
        raise NotImplementedError

    # -- life cycle --------------------------------------------------------------------
    async def start(self) -> None:
        self._stopping = False
        self._dirty = asyncio.Event()
        self._unsubscribe = self.subscribe()
        await self.prepare()
        self._task = asyncio.create_task(self._loop(), name=f"kefu-{self.name}")
        if self.guard is not None:
            await self.guard.start()

    async def stop(self) -> None:
        """Unsubscribe, stop the loop and the guard, close every socket (1001)."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        self._stopping = True
        if self.guard is not None:
            await self.guard.stop()
        if self._task is not None:
            await stop_task(self._task)
        for websocket in list(self.sockets):
            with contextlib.suppress(Exception):
                await websocket.close(code=1001)
        self.sockets.clear()

    def mark(self) -> None:
        """Something shown changed: run a round soon."""
        if self._dirty is not None:
            self._dirty.set()

    async def _loop(self) -> None:
        assert self._dirty is not None
        while not self._stopping:
            changed = await wake_or_timeout(self._dirty, self.refresh_s)
            self._dirty.clear()
            began = time.monotonic()
            self.rounds_run += 1
            try:
                await self.push(changed)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s update failed", self.name)
            spent = time.monotonic() - began if self.gap_from_start else 0.0
            await asyncio.sleep(max(0.0, self.min_gap_s - spent))

    # -- sending -----------------------------------------------------------------------
    def open_outbox(self, websocket: WebSocket) -> None:
        """Give ``websocket`` an outbox: frames queued with :meth:`enqueue` go out in the
        order queued, by one sender task."""
        outbox: asyncio.Queue[Frame | None] = asyncio.Queue()
        self._outboxes[websocket] = outbox
        self._senders[websocket] = asyncio.create_task(
            _drain(websocket, outbox), name=f"kefu-{self.name}-send"
        )

    def enqueue(self, websocket: WebSocket, frame: Frame) -> None:
        outbox = self._outboxes.get(websocket)
        if outbox is not None:
            outbox.put_nowait(frame)

    async def close_outbox(self, websocket: WebSocket) -> None:
        """Stop the socket's sender and drop its outbox (the socket is gone: frames still
        queued are dropped)."""
        outbox = self._outboxes.pop(websocket, None)
        sender = self._senders.pop(websocket, None)
        if outbox is not None:
            outbox.put_nowait(None)
        if sender is not None:
            await stop_task(sender, 1.0)

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run ``coroutine`` beside the socket handlers (a failure is logged)."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(self._quiet)

    def _quiet(self, task: asyncio.Future[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.warning("%s push failed: %s", self.name, task.exception())


async def _drain(websocket: WebSocket, outbox: asyncio.Queue[Frame | None]) -> None:
    """Send a socket's frames in the order queued, until None."""
    while (frame := await outbox.get()) is not None:
        with contextlib.suppress(Exception):
            await websocket.send_json(frame.to_json())
