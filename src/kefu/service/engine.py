"""The routing engine: the one router of a server process, its store and its subscribers.

Every command runs under one asyncio lock: timers due by now are processed first, then the
command's handler (looked up in the table :mod:`kefu.bootstrap` assembled) acts on the
router and on the state parts kept beside it
(:class:`~kefu.service.engine_state.StatePart`), and the new events are drained. They are
staged, with the handler's other writes and the parts' records, for the group-commit writer
(:mod:`kefu.service.writer`), which stores them in a worker thread so the event loop stays
responsive; the command is acknowledged, its events published and its effects run
(``tx.then``) only once that transaction committed (the state's side of the store is
:mod:`kefu.service.engine_store`'s). If a write fails, the router and the parts are rebuilt
from the store and every command staged since fails too, so memory never runs ahead of the
store for long. On start the router is rebuilt from the newest snapshot and the log's tail
(:mod:`kefu.service.snapshots`; the whole log without one), and the parts from theirs. With
a ``fence`` (a routing domain's leadership) every batch first checks the leader's epoch in
the store; once refused, the engine acts no more (:class:`~kefu.service.errors.NotLeader`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from kefu.service.commands import Command
from kefu.service.engine_store import StoredState, Subscriber
from kefu.service.idempotency import KeyProbe
from kefu.service.security.access import Principal
from kefu.service.transaction import Transaction
from kefu.service.writer import GroupWriter, Write

__all__ = ["Authorize", "RoutingEngine", "Subscriber", "Transaction"]

log = logging.getLogger(__name__)

T = TypeVar("T")
Authorize = Callable[["RoutingEngine"], None]
"""Checks a caller's rights on the engine's current state, under its lock; raises to
refuse (nothing is changed)."""


class RoutingEngine(StoredState):
    """Owns the router; serializes commands; stores, then publishes, their events.
    ``handlers`` is the table of what it can do (assembled by :mod:`kefu.bootstrap`);
    ``parts`` the state it keeps beside the router (see :meth:`attach`); the state's
    keeping in step with the store is :class:`~kefu.service.engine_store.StoredState`'s."""

    # -- life cycle --------------------------------------------------------------------
    async def start(self) -> None:
        """Rebuild the router from the store and arm the timer (call on the serving loop)."""
        self._lock = asyncio.Lock()
        async with self._lock:
            await self._load()
            self._writer = GroupWriter(
                self.uow_factory,
                self._committed,
                self._failed,
                fence=self.fence,
                projection=self.reports,
            )
            self._writer.start()
            self.started = True
            self._rearm()
            self.ready = True

    async def stop(self) -> None:
        """Store what is staged, disarm the timer and stop."""
        if self.scheduler is not None:
            self.scheduler.wake_at(None)
        if self.snapshots is not None:
            await self.snapshots.finish()
        if self._writer is not None:
            await self._writer.stop()
        self.started = self.ready = False

    def new_id(self) -> str:
        return self._new_id()

    # -- commands ----------------------------------------------------------------------
    async def execute(
        self,
        command: Command,
        *,
        actor: Principal | None = None,
        authorize: Authorize | None = None,
        client: str | None = None,
    ) -> Any:
        """Handle ``command``; its events are stored before this returns. ``authorize``
        runs first, under the lock, so the rights it checks still hold when the handler
        acts; ``actor`` and ``client`` are written to the audit log of configuration
        changes."""
        handler = self.handlers.handler(type(command))
        prepare = self.handlers.preparer(type(command))
        prepared = None if prepare is None else await prepare(self, command)
        error: Exception | None = None
        result: Any = None
        async with self._locked():
            await self._process_due()
            tx = Transaction(self, self.now(), actor, client, prepared, self.handlers)
            try:
                if authorize is not None:
                    authorize(self)
                result = await handler(tx, command)
            except Exception as exc:
                # Validation happens before anything changes; store whatever did change
                # all the same (router and parts), so memory and store never disagree.
                error = exc
                self._stage(self.router.drain(), self._part_writes())
            else:
                for update in tx.on_success_updates:
                    update()
                writes = [*tx.writes, *self._part_writes()]
                self._stage(self.router.drain(), writes, tx.idempotency)
            self._rearm()
            done = self._writer.latest() if self._writer else None
        if done is not None:
            # A refusal is answered once the timers it found due are stored too.
            await self._stored(done)
        if error is not None:
            raise error
        for effect in tx.after_commit:
            try:
                effect()
            except Exception:
                log.exception("an effect of %s failed", type(command).__name__)
        return result

    async def tick(self) -> None:
        """Process the timers due by now (called by the scheduler)."""
        async with self._locked():
            await self._process_due()
            self._rearm()
            done = self._writer.latest() if self._writer else None
        if done is not None:
            await self._stored(done)

    async def query(self, fn: Callable[..., T], *args: Any, stored: bool = True) -> T:
        """Run ``fn(engine, *args)`` under the lock, after the timers due by now (waits and
        times in state are measured to now); answers once what it saw is stored, or at
        once with ``stored=False`` (a display refreshed again soon, which may then show
        the last few milliseconds' changes before they are stored)."""
        async with self._locked():
            await self._process_due()
            self._rearm()
            result = fn(self, *args)
            done = self._writer.latest() if self._writer else None
        if done is not None and stored:
            await self._stored(done)
        return result

    async def store(self, writes: Sequence[Write]) -> None:
        """Store ``writes`` (audit entries of reads) with the next batch; returns once
        they are committed."""
        async with self._locked():
            done = self._stage([], writes)
        if done is not None:
            await self._stored(done)

    async def probe_key(self, key: str) -> KeyProbe:
        """Read ``key``'s idempotency record from the store without taking the lock; under
        the lock, :meth:`KeyLedger.settle` tells what changed meanwhile."""
        epoch, commits = self.keys.mark()
        stored = await self.read_store(lambda uow: uow.idempotency.get(key))
        return KeyProbe(key, stored, epoch, commits)

    # -- internals ---------------------------------------------------------------------
    async def _process_due(self) -> None:
        if self._broken:
            await self._recover()
        now = self.now()
        self.router.advance(now)
        self._stage(self.router.drain(), [])
        # One instant for every part: a timer falling due meanwhile is run by the next
        # wake-up, which _rearm sets.
        for part in self._timed:
            for command in part.due(now):
                await self._run_timer(command)

    async def _run_timer(self, command: Command) -> None:
        """Handle a part's timer command in its own transaction; its effects run once it
        is stored. A refusal is logged (nobody waits for its answer)."""
        tx = Transaction(self, self.now(), table=self.handlers)
        try:
            await self.handlers.handler(type(command))(tx, command)
        except Exception:
            log.exception("timer command %s failed", type(command).__name__)
            self._stage(self.router.drain(), self._part_writes())
            return
        for update in tx.on_success_updates:
            update()
        writes = [*tx.writes, *self._part_writes()]
        done = self._stage(self.router.drain(), writes, tx.idempotency)
        if done is not None and tx.after_commit:
            effects = list(tx.after_commit)
            done.add_done_callback(lambda stored: _run_effects(stored, effects, command))


def _run_effects(
    stored: asyncio.Future[list[int]], effects: list[Callable[[], None]], command: Command
) -> None:
    """Run a timer command's effects once its batch committed (not when it failed)."""
    if stored.cancelled() or stored.exception() is not None:
        return
    for effect in effects:
        try:
            effect()
        except Exception:
            log.exception("an effect of %s failed", type(command).__name__)
