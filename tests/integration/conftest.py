"""Databases for the integration tests: a SQLite file always, the local PostgreSQL server
behind ``@pytest.mark.postgres`` (skipped when unreachable, unless
``KEFU_REQUIRE_SERVICES=1``). Each PostgreSQL test gets a fresh schema, dropped afterwards,
so parallel runs never clash."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from db_helpers import Database, require_postgres
from sqlalchemy import create_engine, text

from kefu.adapters.storage import make_engine, sqlite_url, upgrade


@pytest.fixture
def postgres_schema() -> Iterator[tuple[str, str]]:
    """A fresh PostgreSQL schema (url, schema), dropped after the test."""
    url = require_postgres()
    schema = f"kefu_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield url, schema
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database of each kind."""
    if request.param == "sqlite":
        url, schema = sqlite_url(str(tmp_path / "kefu.sqlite3")), None
        engine = make_engine(url)
        upgrade(engine)
        yield Database("sqlite", url, None, engine)
        engine.dispose()
        return
    url, schema = request.getfixturevalue("postgres_schema")
    engine = make_engine(url, schema=schema)
    upgrade(engine)
    yield Database("postgres", url, schema, engine)
    engine.dispose()
