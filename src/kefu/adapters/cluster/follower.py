"""A node's projections following a routing domain's committed events: from the JetStream
subject ``kefu.events.<domain>`` while nothing is missed, from the PostgreSQL store when
something was (:class:`EventFollower`).

Each event on the stream carries its log position (``Kefu-Seq``). The follower knows the
last position it delivered (``position``): a message at or below it is a duplicate and is
dropped; one past ``position + 1`` means messages were missed (NATS was down, the
publisher failed after the commit, the node was away) and the events after ``position``
are read from the store first, in log order. On start it subscribes first, then reads the
store's events after ``position`` (a restarted node passes the position it had reached),
so nothing committed in between is lost and nothing is delivered twice. The store stays
the source of truth: the stream only saves reading it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy

from kefu.adapters.cluster.bus import ensure_stream, event_subject
from kefu.domain.events import event_from_dict
from kefu.service.ports import StoredEvent, UnitOfWorkFactory

__all__ = ["EventFollower"]

log = logging.getLogger(__name__)

CONSUMER_CHECK_S = 2.0
"""Seconds to wait for the server's answer about this follower's consumer."""

Deliver = Callable[[Sequence[StoredEvent]], None]
"""Called with each run of events in log order, each event once; must not block long."""


class EventFollower:
    """Delivers ``domain``'s committed events after ``position`` to ``deliver``, each once
    and in log order: from JetStream (``js``), and from the store (``uow_factory``)
    whenever the stream skipped some. ``poll_s``: seconds between two looks at the store
    while the stream is silent (``None``: only on a gap), so a last event whose publish
    was lost is not missed for long; a look that finds events also checks that the
    server still has the follower's consumer, and subscribes again if not."""

    def __init__(
        self,
        js: JetStreamContext,
        uow_factory: UnitOfWorkFactory,
        domain: str,
        deliver: Deliver,
        *,
        position: int = 0,
        poll_s: float | None = None,
    ) -> None:
        self.js = js
        self.uow_factory = uow_factory
        self.domain = domain
        self.deliver = deliver
        self.position = position
        """The log position of the last event delivered."""
        self.poll_s = poll_s
        self.from_store = 0
        """Events delivered from the store (caught up) rather than the stream."""
        self.dropped = 0
        """Stream messages dropped as already delivered."""
        self.resubscribed = 0
        """Times the stream's consumer was found gone and made again."""
        self._lock = asyncio.Lock()
        self._subscription: Any = None
        self._poller: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Subscribe to the stream's new messages (creating the stream when no router
        did yet), then catch up from the store."""
        await ensure_stream(self.js, self.domain)
        await self._subscribe()
        await self.catch_up()
        if self.poll_s is not None:
            self._poller = asyncio.create_task(self._poll(self.poll_s), name="kefu-follower")

    async def _subscribe(self) -> None:
        self._subscription = await self.js.subscribe(
            event_subject(self.domain),
            cb=self._on_message,
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.NEW,
        )

    async def _resubscribe_if_gone(self) -> None:
        """Subscribe again when the server no longer has this follower's consumer (a NATS
        server restarted without it): otherwise the stream stays silent until the
        client's idle-heartbeat check notices, and only the polls feed the node."""
        subscription = self._subscription
        if subscription is None:
            return
        try:
            await asyncio.wait_for(subscription.consumer_info(), CONSUMER_CHECK_S)
            return
        except Exception:
            log.warning("%s: the stream's consumer is gone; subscribing again", self.domain)
        with contextlib.suppress(Exception):
            await subscription.unsubscribe()
        self._subscription = None
        await self._subscribe()
        self.resubscribed += 1

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            await subscription.unsubscribe()

    async def catch_up(self) -> int:
        """Deliver the store's events after ``position``; returns how many."""
        async with self._lock:
            return await self._catch_up()

    async def _catch_up(self) -> int:
        after = self.position

        def read() -> list[StoredEvent]:
            with self.uow_factory() as uow:
                return list(uow.events.read(after))

        missed = await asyncio.to_thread(read)
        if missed:
            log.info("%s: caught up %d events after seq %d", self.domain, len(missed), after)
            self._deliver(missed)
            self.from_store += len(missed)
        return len(missed)

    def _deliver(self, events: list[StoredEvent]) -> None:
        self.position = events[-1].seq
        try:
            self.deliver(events)
        except Exception:
            log.exception("a projection failed on events up to seq %d", self.position)

    async def _on_message(self, msg: Msg) -> None:
        try:
            seq = int((msg.headers or {})["Kefu-Seq"])
        except (KeyError, ValueError):
            log.warning("%s: a message without its log position; ignored", self.domain)
            return
        async with self._lock:
            if seq <= self.position:
                self.dropped += 1
                return
            if seq > self.position + 1:
                await self._catch_up()  # reads past seq too: the message is then a duplicate
                if seq <= self.position:
                    self.dropped += 1
                    return
            try:
                event = event_from_dict(json.loads(msg.data))
            except Exception:
                log.exception("%s: event at seq %d unreadable; reading the store", self.domain, seq)
                await self._catch_up()
                return
            self._deliver([StoredEvent(seq, event)])

    async def _poll(self, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                if await self.catch_up():  # the stream missed these: is it still there?
                    await self._resubscribe_if_gone()
            except Exception:
                log.exception("%s: the store or the stream failed; trying again", self.domain)
