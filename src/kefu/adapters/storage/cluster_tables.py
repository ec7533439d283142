"""Tables of running past one process: the router's snapshots and the routing domains'
leader leases (their epochs fence the appends of a deposed leader)."""

from __future__ import annotations

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from kefu.adapters.storage.tables import Base

__all__ = ["LeaseRow", "SnapshotRow"]


class SnapshotRow(Base):
    """The router's state once the log up to ``seq`` was applied (pickled, compressed),
    by code of ``fingerprint``."""

    __tablename__ = "router_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(Integer, index=True)
    taken_at: Mapped[float]
    fingerprint: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class LeaseRow(Base):
    """A routing domain's leadership: ``epoch`` grows by one at each new leader;
    ``holder`` names the node that holds it since ``acquired_at``."""

    __tablename__ = "routing_leases"

    domain: Mapped[str] = mapped_column(String(64), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer)
    holder: Mapped[str] = mapped_column(String(128))
    acquired_at: Mapped[float]
