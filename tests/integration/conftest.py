"""Databases for the integration tests: a SQLite file always, the local PostgreSQL server
behind ``@pytest.mark.postgres`` (skipped when unreachable, unless
``KEFU_REQUIRE_SERVICES=1``). Each PostgreSQL test gets a fresh schema, dropped afterwards,
so parallel runs never clash."""

from __future__ import annotations

import getpass
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from kefu.adapters.storage import make_engine, sqlite_url, upgrade

CANDIDATE_URLS = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    f"postgresql+psycopg://{getpass.getuser()}@127.0.0.1:5432/test",
)
_probe_cache: dict[str, tuple[str | None, str]] = {}


def _postgres_url() -> tuple[str | None, str]:
    """The first URL that connects, or None with the reason."""
    if "result" in _probe_cache:
        return _probe_cache["result"]
    configured = os.environ.get("KEFU_TEST_POSTGRES_URL")
    candidates = (configured,) if configured else CANDIDATE_URLS
    errors = []
    for url in candidates:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            _probe_cache["result"] = (url, "")
            return url, ""
        except Exception as exc:
            errors.append(f"{url.split('@')[-1]}: {str(exc).splitlines()[0]}")
        finally:
            engine.dispose()
    reason = "PostgreSQL not reachable (" + "; ".join(errors) + ")"
    _probe_cache["result"] = (None, reason)
    return None, reason


def require_postgres() -> str:
    """The PostgreSQL URL, or skip (fail when KEFU_REQUIRE_SERVICES=1)."""
    url, reason = _postgres_url()
    if url is None:
        if os.environ.get("KEFU_REQUIRE_SERVICES") == "1":
            pytest.fail(f"KEFU_REQUIRE_SERVICES=1 but {reason}")
        pytest.skip(reason)
    return url


@dataclass
class Database:
    """A migrated, empty database for one test."""

    kind: str
    url: str
    schema: str | None
    engine: Engine


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
