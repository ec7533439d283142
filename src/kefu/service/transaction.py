"""What a command handler sees while it runs under the engine's lock: the router, the
instant, the engine's caches, the writes to store with the command's events; and the table
of handlers (:class:`HandlerTable`) through which a handler runs further commands in the
same transaction (:meth:`Transaction.dispatch`).

The table is assembled explicitly by the composition root (:mod:`kefu.bootstrap`), so what
exists never depends on what was imported. A handler is ``async handler(tx, command)``; a
preparer is ``async preparer(engine, command)``, run before the engine's lock (store reads
that need no consistent state), and what it returns is the handler's ``tx.prepared``.

Another part may watch a command kind it does not own (:meth:`HandlerTable.watch`): a
check that runs before the handler (it refuses before anything changes) and a reaction
that runs after it in the same transaction (the teams keep in step with an agent's site)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from kefu.service.commands import Command
from kefu.service.engine_state import EngineState
from kefu.service.ports import IdempotencyRecord, QueueRow, Site, UnitOfWork
from kefu.service.security.access import Principal
from kefu.service.security.audit import audit_write
from kefu.service.security.ports import AuditEntry
from kefu.service.writer import Write

__all__ = ["Check", "Handler", "HandlerTable", "Preparer", "Reaction", "Transaction"]

T = TypeVar("T")


class Transaction:
    """What a handler sees: the router, the instant ``now`` (seconds), the engine's
    caches, the writes to store with the command's events and the cache updates to make
    when the command succeeds (a failed store rebuilds the caches from it)."""

    def __init__(
        self,
        engine: EngineState,
        now: float,
        actor: Principal | None = None,
        client: str | None = None,
        prepared: Any = None,
        table: HandlerTable | None = None,
    ) -> None:
        self.engine = engine
        self.table = table or HandlerTable()
        self.prepared = prepared
        self.router = engine.router
        self.now = now
        self.actor = actor
        self.client = client
        self.writes: list[Write] = []
        self.on_success_updates: list[Callable[[], None]] = []
        self.idempotency: list[IdempotencyRecord] = []
        self.after_commit: list[Callable[[], None]] = []

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

    def then(self, effect: Callable[[], None]) -> None:
        """Run ``effect()`` once the command succeeded and its changes are stored (tell
        listeners, send a reply): nothing leaves before the store has it."""
        self.after_commit.append(effect)

    async def dispatch(self, command: Command) -> Any:
        """Handle ``command`` in this transaction (its changes are stored, or refused,
        with the running command's); returns what its handler returns."""
        handler = self.table.handler(type(command))
        prepared, self.prepared = self.prepared, None
        try:
            return await handler(self, command)
        finally:
            self.prepared = prepared

    async def read(self, query: Callable[[UnitOfWork], T]) -> T:
        """Run ``query(uow)`` against the store in a worker thread."""
        return await self.engine.read_store(query)


Handler = Callable[[Transaction, Any], Awaitable[Any]]
Preparer = Callable[[EngineState, Any], Awaitable[Any]]
Check = Callable[[Transaction, Any], None]
"""Runs before a watched command's handler; raises to refuse it (nothing has changed)."""
Reaction = Callable[[Transaction, Any, Any], None]
"""Runs after a watched command's handler succeeded: ``reaction(tx, command, result)``."""


class HandlerTable:
    """Command type → handler (and optional preparer). Each type has one handler: adding
    a second is a wiring mistake and refused."""

    def __init__(
        self,
        handlers: Mapping[type[Command], Handler] | None = None,
        preparers: Mapping[type[Command], Preparer] | None = None,
    ) -> None:
        self._handlers: dict[type[Command], Handler] = {}
        self._preparers: dict[type[Command], Preparer] = {}
        self._checks: dict[type[Command], list[Check]] = {}
        self._reactions: dict[type[Command], list[Reaction]] = {}
        self.include(handlers or {}, preparers)

    def include(
        self,
        handlers: Mapping[type[Command], Handler],
        preparers: Mapping[type[Command], Preparer] | None = None,
    ) -> HandlerTable:
        """Add handlers (and preparers); returns the table."""
        for kind, handler in handlers.items():
            if kind in self._handlers:
                raise ValueError(f"{kind.__name__} has a handler already")
            self._handlers[kind] = handler
        self._preparers.update(preparers or {})
        return self

    def watch(
        self,
        kind: type[Command],
        *,
        check: Check | None = None,
        react: Reaction | None = None,
    ) -> HandlerTable:
        """Run ``check`` before ``kind``'s handler and ``react`` after it, in the same
        transaction, wherever the command comes from (a route or another handler)."""
        if check is not None:
            self._checks.setdefault(kind, []).append(check)
        if react is not None:
            self._reactions.setdefault(kind, []).append(react)
        return self

    def handler(self, kind: type[Command]) -> Handler:
        handler = self._handlers.get(kind)
        if handler is None:
            raise TypeError(f"no handler for {kind.__name__}")
        checks, reactions = self._checks.get(kind), self._reactions.get(kind)
        if not checks and not reactions:
            return handler
        return _watched(handler, checks or [], reactions or [])

    def preparer(self, kind: type[Command]) -> Preparer | None:
        return self._preparers.get(kind)

    def __contains__(self, kind: object) -> bool:
        return kind in self._handlers


def _watched(handler: Handler, checks: list[Check], reactions: list[Reaction]) -> Handler:
    async def run(tx: Transaction, command: Any) -> Any:
        for check in checks:
            check(tx, command)
        result = await handler(tx, command)
        for react in reactions:
            react(tx, command, result)
        return result

    return run
