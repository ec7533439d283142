"""What a command handler sees while it runs under the engine's lock: the router, the
instant, the engine's caches, and the writes to store with the command's events."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from kefu.service.access import Principal
from kefu.service.audit import audit_write
from kefu.service.ports import IdempotencyRecord, QueueRow, Site, UnitOfWork
from kefu.service.security_ports import AuditEntry
from kefu.service.writer import Write

if TYPE_CHECKING:
    from kefu.service.engine import RoutingEngine

__all__ = ["Transaction"]

T = TypeVar("T")


class Transaction:
    """What a handler sees: the router, the instant ``now`` (seconds), the engine's
    caches, the writes to store with the command's events and the cache updates to make
    when the command succeeds (a failed store rebuilds the caches from it)."""

    def __init__(
        self,
        engine: RoutingEngine,
        now: float,
        actor: Principal | None = None,
        client: str | None = None,
        prepared: Any = None,
    ) -> None:
        self.engine = engine
        self.prepared = prepared
        self.router = engine.router
        self.now = now
        self.actor = actor
        self.client = client
        self.writes: list[Write] = []
        self.on_success_updates: list[Callable[[], None]] = []
        self.idempotency: list[IdempotencyRecord] = []

    @property
    def sites(self) -> dict[str, Site]:
        return self.engine.sites

    @property
    def queue_rows(self) -> dict[str, QueueRow]:
        return self.engine.queue_rows

    def stage(self, write: Write) -> None:
        """Run ``write(uow)`` in the transaction that stores this command's events."""
        self.writes.append(write)

    def remember(self, record: IdempotencyRecord) -> None:
        """Store ``record`` with this command; until then retries find it in memory."""
        self.idempotency.append(record)
        self.engine.keys.staged(record)
        self.stage(lambda uow: uow.idempotency.add(record))

    def audit(
        self,
        action: str,
        target_type: str,
        target_id: str,
        site_id: str | None,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        """Store an audit entry of this change, by this transaction's actor (``system``
        without one), in the transaction that stores the change."""
        actor = self.actor
        entry = AuditEntry(
            at=self.now,
            actor_id=None if actor is None else actor.user_id,
            actor="system" if actor is None else actor.username,
            action=action,
            target_type=target_type,
            target_id=target_id,
            site_id=site_id,
            before=before,
            after=after,
            client=self.client,
        )
        self.stage(audit_write(entry))

    def on_success(self, update: Callable[[], None]) -> None:
        """Run ``update()`` when the handler returns without error (cache updates)."""
        self.on_success_updates.append(update)

    async def read(self, query: Callable[[UnitOfWork], T]) -> T:
        """Run ``query(uow)`` against the store in a worker thread."""
        return await self.engine.read_store(query)
