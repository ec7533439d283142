"""The SQL unit of work: one session, one transaction, the repositories on it.

It serves the routing, security and channel ports, so an audit entry staged with a
configuration change, or a conversation's message with the contact it creates, is
committed in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from kefu.adapters.storage.channel_repositories import SqlChannels
from kefu.adapters.storage.report_repository import SqlReports
from kefu.adapters.storage.repositories import (
    SqlAgents,
    SqlEventLog,
    SqlIdempotency,
    SqlIntervals,
    SqlQueues,
    SqlSites,
)
from kefu.adapters.storage.security_repositories import (
    SqlAudit,
    SqlSessions,
    SqlTokens,
    SqlUsers,
)

__all__ = ["SqlUnitOfWork", "SqlUnitOfWorkFactory"]


class SqlUnitOfWork:
    """``with uow: ...; uow.commit()`` — leaving the block without a commit rolls back."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory
        self._session: Session | None = None

    def __enter__(self) -> SqlUnitOfWork:
        session = self._factory()
        self._session = session
        self.sites = SqlSites(session)
        self.queues = SqlQueues(session)
        self.agents = SqlAgents(session)
        self.events = SqlEventLog(session)
        self.intervals = SqlIntervals(session)
        self.idempotency = SqlIdempotency(session)
        self.users = SqlUsers(session)
        self.sessions = SqlSessions(session)
        self.tokens = SqlTokens(session)
        self.audit = SqlAudit(session)
        self.channels = SqlChannels(session)
        self.reports = SqlReports(session)
        return self

    def __exit__(self, *exc: object) -> None:
        session = self._require()
        try:
            session.rollback()
        finally:
            session.close()
            self._session = None

    @property
    def session(self) -> Session:
        """The transaction's session (for the adapters' own tables: snapshots, leases)."""
        return self._require()

    def commit(self) -> None:
        session = self._require()
        self.channels.write_conversations()
        session.commit()

    def rollback(self) -> None:
        self._require().rollback()

    def _require(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is used outside its `with` block")
        return self._session


class SqlUnitOfWorkFactory:
    """Makes a fresh :class:`SqlUnitOfWork` on ``engine`` for each transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # PostgreSQL reads without a transaction: under READ COMMITTED every statement
        # sees its own snapshot inside one anyway. SQLite's driver opens none for a read.
        self._readers = self._sessions
        if engine.dialect.name == "postgresql":
            unwrapped = engine.execution_options(isolation_level="AUTOCOMMIT")
            self._readers = sessionmaker(unwrapped, expire_on_commit=False)

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions)

    def reading(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._readers)
