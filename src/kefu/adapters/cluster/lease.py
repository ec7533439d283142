"""The leader of a routing domain: a PostgreSQL advisory lock held by the leader's own
connection, and an epoch that fences the appends of any earlier leader.

Why the database rather than a JetStream key-value entry with a TTL: the fence has to be
checked in the very transaction that appends the events, and only the store can do that
atomically; with the lock in the same server there is one engine to trust, not two whose
views of time may differ. The lock lives as long as the leader's session: a leader that
dies, or that the server stops hearing from (its TCP connection is declared dead, within
:data:`SERVER_GIVES_UP_S` seconds: the lock's connection sets the server's keepalives),
loses it, and a standby's ``pg_try_advisory_lock`` then succeeds.

Taking the lead bumps ``routing_leases.epoch`` for the domain. Every batch the leader
stores first reads that row ``FOR SHARE`` (:meth:`LeaderLease.fence`) and refuses to go on
if the epoch is not its own. The row lock orders the two: a new leader's bump waits for a
batch in flight to commit, and every batch that starts after the bump sees the new epoch.
So a leader that was paused or cut off, and comes back believing it still leads, has its
first write refused (:class:`~kefu.service.errors.NotLeader`) and writes nothing.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.dialects.postgresql import insert

from kefu.adapters.storage.cluster_tables import LeaseRow
from kefu.adapters.storage.uow import SqlUnitOfWork
from kefu.service.errors import NotLeader, ServiceUnavailable
from kefu.service.ports import UnitOfWork

__all__ = ["LeaderLease", "lock_key"]

log = logging.getLogger(__name__)

POLL_S = 0.2
"""Seconds between two tries of a standby waiting for the lock."""
SERVER_GIVES_UP_S = 6.0
"""Seconds after which the server drops the session of a leader it no longer hears from
(TCP keepalives and the user timeout set on the lock's connection, below), releasing the
lock: without them a leader cut off by the network would keep its lock for the operating
system's default, hours."""
_KEEPALIVES = {
    "tcp_keepalives_idle": "2",
    "tcp_keepalives_interval": "1",
    "tcp_keepalives_count": "3",
    "tcp_user_timeout": str(int(SERVER_GIVES_UP_S * 1000)),
}


def lock_key(domain: str) -> int:
    """The advisory lock's key of ``domain``: a signed 64-bit number from its name."""
    digest = hashlib.sha256(f"kefu-routing-domain:{domain}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class LeaderLease:
    """Leadership of ``domain`` for the node ``holder`` on the PostgreSQL ``engine``."""

    def __init__(self, engine: Engine, domain: str, holder: str) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("leadership needs PostgreSQL (advisory locks)")
        self.engine = engine
        self.domain = domain
        self.holder = holder
        self.epoch = 0
        """The epoch of this node's leadership; 0 while it does not lead."""
        self._lock: Connection | None = None

    @property
    def backend_pid(self) -> int | None:
        """The server process of the lock's connection (for operators and tests)."""
        if self._lock is None:
            return None
        return int(self._lock.execute(text("SELECT pg_backend_pid()")).scalar_one())

    def try_acquire(self, now: float | None = None) -> int | None:
        """Take the lead if nobody holds it: returns the new epoch, or ``None``."""
        if self._lock is not None:
            return self.epoch
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            for name, value in _KEEPALIVES.items():
                connection.execute(
                    text("SELECT set_config(:name, :value, false)"),
                    {"name": name, "value": value},
                )
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": lock_key(self.domain)}
            ).scalar_one()
        except Exception:
            connection.close()
            raise
        if not got:
            connection.close()
            return None
        self._lock = connection
        try:
            self.epoch = self._bump(time.time() if now is None else now)
        except Exception:
            self.release()
            raise
        log.info("%s leads routing domain %s at epoch %d", self.holder, self.domain, self.epoch)
        return self.epoch

    def acquire(self, timeout_s: float, poll_s: float = POLL_S) -> int:
        """Wait up to ``timeout_s`` seconds for the lead (a standby); returns the epoch."""
        deadline = time.monotonic() + timeout_s
        while True:
            epoch = self.try_acquire()
            if epoch is not None:
                return epoch
            if time.monotonic() >= deadline:
                raise ServiceUnavailable(
                    f"routing domain {self.domain} has another leader", domain=self.domain
                )
            time.sleep(poll_s)

    def holds(self) -> bool:
        """Does this node still hold the lock? (``False`` once its connection is lost:
        the node must stop acting; its writes would be refused anyway.)"""
        if self._lock is None:
            return False
        try:
            self._lock.execute(text("SELECT 1"))
        except Exception:
            log.warning("the lock of routing domain %s is lost", self.domain)
            self.release()
            return False
        return True

    def release(self) -> None:
        """Give the lead up (closing the connection releases the lock)."""
        connection, self._lock = self._lock, None
        if connection is not None:
            try:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": lock_key(self.domain)}
                )
            except Exception:
                pass  # the connection is gone: so is the lock
            finally:
                connection.close()

    def fence(self, uow: UnitOfWork) -> None:
        """Refuse the transaction of ``uow`` unless this node's epoch is the domain's
        (run first in every batch; the row stays share-locked until the commit)."""
        if not isinstance(uow, SqlUnitOfWork):
            raise TypeError("the fence needs a SQL unit of work")
        current = uow.session.execute(
            select(LeaseRow.epoch).where(LeaseRow.domain == self.domain).with_for_update(read=True)
        ).scalar_one_or_none()
        if current != self.epoch or self.epoch == 0:
            raise NotLeader(
                f"routing domain {self.domain} is led at epoch {current}, not {self.epoch}",
                domain=self.domain,
                epoch=self.epoch,
                current=current,
            )

    def _bump(self, now: float) -> int:
        table: Any = LeaseRow.__table__
        row = {"domain": self.domain, "epoch": 1, "holder": self.holder, "acquired_at": now}
        upsert = insert(table).values(**row)
        bump = upsert.on_conflict_do_update(
            index_elements=[table.c.domain],
            set_={
                "epoch": table.c.epoch + 1,
                "holder": upsert.excluded.holder,
                "acquired_at": upsert.excluded.acquired_at,
            },
        ).returning(table.c.epoch)
        with self.engine.begin() as connection:
            return int(connection.execute(bump).scalar_one())
