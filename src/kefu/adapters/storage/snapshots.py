"""Where the router's snapshots are kept: a table of the SQL store, or a list in memory."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kefu.adapters.storage.cluster_tables import SnapshotRow
from kefu.adapters.storage.uow import SqlUnitOfWork
from kefu.service.ports import UnitOfWork
from kefu.service.snapshots import Snapshot

__all__ = ["MemorySnapshots", "SqlSnapshots"]


class SqlSnapshots:
    """Snapshots in the ``router_snapshots`` table, in the unit of work's transaction."""

    def latest(self, uow: UnitOfWork, fingerprint: str) -> Snapshot | None:
        session = _session(uow)
        row = session.execute(
            select(SnapshotRow)
            .where(SnapshotRow.fingerprint == fingerprint)
            .order_by(SnapshotRow.seq.desc(), SnapshotRow.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if row is None:
            return None
        return Snapshot(row.seq, row.taken_at, row.fingerprint, bytes(row.data))

    def save(self, uow: UnitOfWork, snapshot: Snapshot, keep: int) -> None:
        session = _session(uow)
        session.add(
            SnapshotRow(
                seq=snapshot.seq,
                taken_at=snapshot.taken_at,
                fingerprint=snapshot.fingerprint,
                data=snapshot.data,
            )
        )
        session.flush()
        newest = select(SnapshotRow.id).order_by(SnapshotRow.id.desc()).limit(max(keep, 1))
        kept = list(session.scalars(newest))
        session.execute(delete(SnapshotRow).where(SnapshotRow.id.not_in(kept)))


class MemorySnapshots:
    """Snapshots in a list (tests, simulations); a save is kept at once, committed or
    not, as the in-memory store has no transaction to join."""

    def __init__(self) -> None:
        self.saved: list[Snapshot] = []

    def latest(self, uow: UnitOfWork, fingerprint: str) -> Snapshot | None:
        del uow
        mine = [s for s in self.saved if s.fingerprint == fingerprint]
        return max(mine, key=lambda s: s.seq) if mine else None

    def save(self, uow: UnitOfWork, snapshot: Snapshot, keep: int) -> None:
        del uow
        self.saved = [*self.saved, snapshot][-max(keep, 1) :]


def _session(uow: UnitOfWork) -> Session:
    if not isinstance(uow, SqlUnitOfWork):
        raise TypeError(f"SQL snapshots need a SQL unit of work, not {type(uow).__name__}")
    return uow.session
