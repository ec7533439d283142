"""Overflow to another routing domain: the leader hands over the contacts an overflow step
sent to a queue of another domain.

When such a step falls due, the router logs
:class:`~kefu.domain.events.ContactOverflowedOut` and keeps the contact waiting in its
queue (:meth:`~kefu.domain.routing.handover.DomainHandover.waiting_handovers` lists it).
:class:`OverflowHandovers` runs on the leader beside the engine: woken by each committed
batch that holds such an event, and once at start (a new leader finishes what the old one
left), it hands each waiting one over with
:meth:`~kefu.adapters.cluster.handover.DomainHandover.transfer`, the cross-domain transfer
whose hop is applied once in the other domain however often it is sent. A contact that
rings or is served meanwhile stays; one that is back in its queue is handed over then.
An unreachable domain is asked again every ``retry_s`` seconds; a refusal (its queue is
unknown there, of another channel) is logged and not asked again by this leader.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

from kefu.adapters.cluster.handover import DomainHandover
from kefu.domain import events as ev
from kefu.domain.errors import KefuError
from kefu.service.engine_state import EngineState
from kefu.service.errors import HandoverRefused, ServiceUnavailable
from kefu.service.ports import StoredEvent

__all__ = ["OVERFLOW_NOTE", "OverflowHandovers"]

log = logging.getLogger(__name__)

OVERFLOW_NOTE = "overflow"
"""The hand-off note of a contact an overflow step sent to another domain."""


class OverflowHandovers:
    """Hands over the contacts due to leave ``handover.domain`` by an overflow step (start
    it on the leader once its engine started; see the module doc)."""

    def __init__(self, handover: DomainHandover, *, retry_s: float = 2.0) -> None:
        self.handover = handover
        self.engine = handover.engine
        self.retry_s = retry_s
        self.handed = 0
        """Contacts this leader handed over so far."""
        self._refused: set[str] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None

    async def start(self) -> None:
        self._unsubscribe = self.engine.subscribe(self._committed)
        self._wake.set()  # what a former leader left undone
        self._task = asyncio.create_task(self._run(), name="kefu-overflow-handovers")

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _committed(self, batch: Sequence[StoredEvent]) -> None:
        if any(isinstance(s.event, ev.ContactOverflowedOut) for s in batch):
            self._wake.set()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.retry_s)
            self._wake.clear()
            try:
                await self.hand_over_due()
            except Exception:  # the next wake or retry tries again
                log.exception("overflow hand-overs of %s failed", self.handover.domain)

    async def hand_over_due(self) -> int:
        """Hand over each contact waiting for it now; returns how many left."""
        due = await self.engine.query(_waiting)
        done = 0
        for contact_id, domain, queue_id in due:
            if contact_id in self._refused:
                continue
            try:
                await self.handover.transfer(contact_id, domain, queue_id, OVERFLOW_NOTE)
            except HandoverRefused as exc:
                self._refused.add(contact_id)
                log.error("overflow of contact %s to %s refused: %s", contact_id, domain, exc)
            except ServiceUnavailable as exc:  # unreachable: asked again at the next retry
                log.warning("overflow of contact %s to %s: %s", contact_id, domain, exc)
            except KefuError as exc:  # it rang, was answered or ended meanwhile
                log.info("contact %s not handed over: %s", contact_id, exc)
            else:
                done += 1
                self.handed += 1
        return done


def _waiting(engine: EngineState) -> list[tuple[str, str, str]]:
    return engine.router.waiting_handovers()
