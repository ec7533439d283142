"""``kefu serve --role``: an unknown role, a router on a store without advisory locks,
and a router without the cluster's shared secret key, are refused with a clear message
and exit 2 before anything is served."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from kefu.cli import app


def test_given_an_unknown_role_when_serving_then_exit_2_naming_the_roles() -> None:
    result = CliRunner().invoke(app, ["serve", "--role", "kitchen"])
    assert result.exit_code == 2
    assert "all, router or web" in result.output


def test_given_sqlite_when_serving_as_router_then_exit_2_asking_for_postgresql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kefu.adapters.storage import make_engine, sqlite_url, upgrade

    path = tmp_path / "kefu.sqlite3"
    database = make_engine(sqlite_url(str(path)))
    upgrade(database)
    database.dispose()
    monkeypatch.delenv("KEFU_DATABASE_URL", raising=False)
    monkeypatch.setenv("KEFU_ENV", "test")
    monkeypatch.setenv("KEFU_SECRET_KEY", "the cluster's shared secret key, 32+ characters")
    result = CliRunner().invoke(app, ["serve", "--role", "router", "--db", str(path)])
    assert result.exit_code == 2
    assert "PostgreSQL" in result.output


def test_given_no_shared_secret_key_when_serving_as_router_then_exit_2_asking_for_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A router checks the web nodes' signatures with the cluster's shared key: a key made
    # up for this process would refuse every command.
    monkeypatch.setenv("KEFU_DATABASE_URL", "postgresql+psycopg://kefu@127.0.0.1:9/none")
    monkeypatch.delenv("KEFU_SECRET_KEY", raising=False)
    monkeypatch.setenv("KEFU_ENV", "test")
    result = CliRunner().invoke(app, ["serve", "--role", "router"])
    assert result.exit_code == 2
    assert "KEFU_SECRET_KEY" in result.output
