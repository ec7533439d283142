"""What handlers, the transaction and the read views see of the routing engine: its router,
caches and clock. A protocol, so those modules never import the engine (which imports
them): the dependency runs one way, engine → transaction → handlers' view of the state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar, runtime_checkable

from kefu.domain.routing import Router
from kefu.domain.tiers import ContactClass
from kefu.service.idempotency import KeyLedger, KeyProbe
from kefu.service.intervals import IntervalTracker
from kefu.service.ports import QueueRow, Site, UnitOfWork

__all__ = ["EngineState", "SnapshotPart", "StatePart", "TimedPart"]

T = TypeVar("T")


class EngineState(Protocol):
    """The engine's state as handlers and views read it (under the engine's lock)."""

    router: Router
    sites: dict[str, Site]
    queue_rows: dict[str, QueueRow]
    intervals: IntervalTracker
    keys: KeyLedger
    contact_class: ContactClass
    """What the router is given for a new contact of a value tier (:mod:`kefu.domain.tiers`)."""

    def now(self) -> float:
        """The engine's instant (seconds), never earlier than the router's."""
        ...

    def new_id(self) -> str: ...

    async def probe_key(self, key: str) -> KeyProbe: ...

    async def read_store(self, query: Callable[[UnitOfWork], T]) -> T: ...


class StatePart(Protocol):
    """State kept beside the router (conversations, customers, branch tickets) that the
    engine loads, stages and rebuilds with it: loaded from the store on start and after a
    failed write, its changes stored with the command that made them."""

    def fetch(self, uow: UnitOfWork) -> Any:
        """Read what :meth:`load` rebuilds from (runs in a worker thread)."""
        ...

    def load(self, fetched: Any) -> None:
        """Rebuild from what :meth:`fetch` read (on the event loop, under the lock)."""
        ...

    def reconcile(self, router: Router, now: float) -> None:
        """After a load: bring the state in line with the rebuilt router (``now``
        seconds); its changes are taken by the next :meth:`take_writes`."""
        ...

    def take_writes(self) -> list[Callable[[UnitOfWork], None]]:
        """The writes storing the changes made since the last call."""
        ...


@runtime_checkable
class TimedPart(Protocol):
    """A state part with timers of its own (an IVR waiting for an answer): the engine
    wakes at the earliest of the router's and the parts' instants, and runs the commands
    :meth:`due` returns, each in its own transaction, before the command it is running."""

    def next_due(self) -> float | None:
        """The earliest instant (s) a timer of this part falls due; ``None``: none."""
        ...

    def due(self, now: float) -> list[Any]:
        """The commands of the timers due by ``now`` (s); each is returned once."""
        ...


@runtime_checkable
class SnapshotPart(Protocol):
    """A state part snapshotted with the router (:mod:`kefu.service.snapshots`): a start
    from a snapshot reads only the records after the position its bytes cover, instead of
    its whole log (what :meth:`StatePart.fetch` reads)."""

    snapshot_key: str
    """The part's name in a snapshot (stable)."""

    def dump(self) -> bytes:
        """The part's state and the position of its log it covers (under the engine's
        lock, with nothing staged that :meth:`StatePart.take_writes` has not taken)."""
        ...

    def fetch_since(self, uow: UnitOfWork, dumped: bytes) -> Any:
        """Read what :meth:`restore` rebuilds from: ``dumped`` opened, and the records
        after its position (in a worker thread); raises when ``dumped`` cannot be used
        (the part is then loaded from its whole log)."""
        ...

    def restore(self, fetched: Any) -> None:
        """Rebuild from what :meth:`fetch_since` read, as :meth:`StatePart.load` would
        from the whole log (on the event loop, under the lock)."""
        ...
