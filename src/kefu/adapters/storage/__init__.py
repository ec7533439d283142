"""Durable storage: SQLAlchemy 2 tables, repositories, the unit of work and Alembic migrations.

A SQLite file by default (WAL mode, foreign keys on); PostgreSQL when the settings give a
``postgresql+psycopg://`` URL.
"""

from kefu.adapters.storage.database import make_engine, sqlite_url
from kefu.adapters.storage.migrate import (
    SchemaOutOfDate,
    current_revision,
    ensure_current,
    head_revision,
    upgrade,
)
from kefu.adapters.storage.uow import SqlUnitOfWork, SqlUnitOfWorkFactory

__all__ = [
    "SchemaOutOfDate",
    "SqlUnitOfWork",
    "SqlUnitOfWorkFactory",
    "current_revision",
    "ensure_current",
    "head_revision",
    "make_engine",
    "sqlite_url",
    "upgrade",
]
