"""Databases for the integration tests: the PostgreSQL probe and the migrated database."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, create_engine, text

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
