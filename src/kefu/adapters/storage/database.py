"""Database engines: a SQLite file by default (WAL, foreign keys on), PostgreSQL by URL."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url

__all__ = ["IDLE_PING_S", "POOL_SIZE", "make_engine", "sqlite_url"]

POOL_SIZE = 12
"""PostgreSQL connections kept open (as many again may be opened for bursts)."""
IDLE_PING_S = 10.0
"""A pooled PostgreSQL connection idle longer than this (seconds) is tested before use."""


def sqlite_url(path: str) -> str:
    """The SQLAlchemy URL of the SQLite file at ``path``."""
    return f"sqlite:///{path}"


def make_engine(
    url: str,
    *,
    schema: str | None = None,
    echo: bool = False,
    background_checkpoints: bool = False,
) -> Engine:
    """An engine for ``url``; ``schema`` (PostgreSQL only) puts every table in that schema
    through the connection's ``search_path``, so parallel test runs do not clash. With
    ``background_checkpoints`` a SQLite file is not checkpointed by the connections that
    commit: a :class:`kefu.adapters.storage.checkpoint.Checkpointer` must do it (no effect
    on PostgreSQL)."""
    parsed = make_url(url)
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if schema is not None:
            raise ValueError("a schema can only be chosen on PostgreSQL")
        # The service writes from worker threads; SQLAlchemy's pool hands out a connection
        # to one thread at a time.
        connect_args["check_same_thread"] = False
        engine = create_engine(url, echo=echo, connect_args=connect_args)
        event.listen(engine, "connect", _sqlite_pragmas)
        if background_checkpoints:
            event.listen(engine, "connect", _no_autocheckpoint)
        return engine
    if schema is not None:
        if not schema.replace("_", "").isalnum():
            raise ValueError(f"invalid schema name {schema!r}")
        connect_args["options"] = f"-csearch_path={schema}"
    # Enough pooled connections for the writer and the worker threads that read (the
    # default pool of 5 made and dropped connections under load, a few ms each).
    engine = create_engine(
        url, echo=echo, connect_args=connect_args, pool_size=POOL_SIZE, max_overflow=POOL_SIZE
    )
    # Not pool_pre_ping: it costs a round trip on every checkout, and the service checks a
    # connection out for every batch it writes and every read. A connection in steady use
    # is known good; one that sat idle may have been closed by the server or a proxy.
    event.listen(engine, "checkin", _idle_from_now)
    event.listen(engine, "checkout", _ping_if_idle)
    return engine


def _idle_from_now(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < IDLE_PING_S:
        return
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        dbapi_connection.rollback()
    except Exception as error:
        # The pool discards this connection and checks out another (up to three tries).
        raise exc.DisconnectionError(str(error)) from error


def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the writer; synchronous=NORMAL in WAL mode survives a
    # killed process (only an OS crash may lose the last commits); foreign keys are off by
    # default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
