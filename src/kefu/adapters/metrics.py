"""Prometheus metrics of a kefu process, in the text format operators scrape.

Counted from the committed events (a subscriber of the engine, so only what is stored
counts): contacts offered to a queue (``ContactQueued``: arrivals and transfers in),
answered (``OfferAccepted``) and abandoned, per queue; the router's decisions
(``OfferCreated``); the group writer's batch latency (a histogram, seconds); and read at
each scrape: WebSocket clients per hub, the leader's epoch, the log position and whether
the engine is ready; and the SQL statements sent, when given the database. Each platform
has its own registry (tests build many in a process).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from kefu.adapters.sockets.hub import socket_clients
from kefu.domain import events as ev
from kefu.service import RoutingEngine
from kefu.service.ports import StoredEvent

__all__ = ["CONTENT_TYPE", "EngineMetrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The Prometheus text exposition format."""

BATCH_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class EngineMetrics:
    """The metrics of ``engine``; ``epoch`` tells the routing-domain leader's epoch (0
    without leadership)."""

    def __init__(self, engine: RoutingEngine, epoch: Callable[[], int] = lambda: 0) -> None:
        self.engine = engine
        self.registry = CollectorRegistry(auto_describe=True)
        self.offered = Counter(
            "kefu_contacts_offered", "Contacts entering a queue", ["queue"], registry=self.registry
        )
        self.answered = Counter(
            "kefu_contacts_answered",
            "Contacts answered by an agent",
            ["queue"],
            registry=self.registry,
        )
        self.abandoned = Counter(
            "kefu_contacts_abandoned",
            "Contacts abandoned while waiting",
            ["queue"],
            registry=self.registry,
        )
        self.transferred_out = Counter(
            "kefu_contacts_transferred_out",
            "Contacts handed to another routing domain",
            ["queue", "to_domain"],
            registry=self.registry,
        )
        self.decisions = Counter(
            "kefu_router_decisions", "Offers made by the router", registry=self.registry
        )
        self.batches = Histogram(
            "kefu_writer_batch_seconds",
            "Seconds the store took to write and commit one batch",
            buckets=BATCH_BUCKETS_S,
            registry=self.registry,
        )
        self.statements = Counter(
            "kefu_sql_statements",
            "SQL statements sent to the database by this process",
            registry=self.registry,
        )
        self.registry.register(_Gauges(engine, epoch))
        self._unsubscribe: Callable[[], None] | None = None

    def count_statements(self, database: Any) -> None:
        """Count the SQL statements ``database`` (an SQLAlchemy engine) executes from now
        on: what a command costs the database is read as statements per command."""
        from sqlalchemy import event

        inc = self.statements.inc

        def executed(*_args: Any) -> None:
            inc()

        event.listen(database, "after_cursor_execute", executed)

    def start(self) -> None:
        """Count from now on (the engine's subscriber and batch observer)."""
        self._unsubscribe = self.engine.subscribe(self.observe)
        self.engine.batch_observers.append(self._batch)

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._batch in self.engine.batch_observers:
            self.engine.batch_observers.remove(self._batch)

    def _batch(self, seconds: float, events: int) -> None:
        del events  # the latency alone; the events are counted by kind
        self.batches.observe(seconds)

    def observe(self, batch: Sequence[StoredEvent]) -> None:
        """Count a committed batch's events."""
        contacts = self.engine.router.contacts
        for stored in batch:
            event = stored.event
            if isinstance(event, ev.ContactQueued):
                self.offered.labels(event.queue_id).inc()
            elif isinstance(event, ev.ContactTransferred) and event.to_queue_id is not None:
                self.offered.labels(event.to_queue_id).inc()
            elif isinstance(event, ev.OfferCreated):
                self.decisions.inc()
            elif isinstance(event, ev.OfferAccepted):
                contact = contacts.get(event.contact_id)
                self.answered.labels(contact.queue_id if contact else "").inc()
            elif isinstance(event, ev.ContactAbandoned):
                self.abandoned.labels(event.queue_id).inc()
            elif isinstance(event, ev.ContactTransferredOut):
                self.transferred_out.labels(event.queue_id, event.to_domain).inc()

    def render(self) -> bytes:
        """The metrics in the text format."""
        return generate_latest(self.registry)


class _Gauges(Collector):
    """What is read at each scrape rather than counted."""

    def __init__(self, engine: RoutingEngine, epoch: Callable[[], int]) -> None:
        self.engine = engine
        self.epoch = epoch

    def collect(self) -> Iterator[Metric]:
        clients = GaugeMetricFamily(
            "kefu_websocket_clients", "WebSocket clients connected, per hub", labels=["hub"]
        )
        for hub, count in sorted(socket_clients().items()):
            clients.add_metric([hub], count)
        yield clients
        yield GaugeMetricFamily(
            "kefu_leader_epoch",
            "Epoch of this node's routing-domain leadership",
            value=self.epoch(),
        )
        yield GaugeMetricFamily(
            "kefu_event_log_seq", "Position of the last stored event", value=self.engine.last_seq
        )
        yield GaugeMetricFamily(
            "kefu_engine_ready", "1 when the engine serves commands", value=int(self.engine.ready)
        )
