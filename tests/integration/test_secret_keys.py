"""Signing keys: ``kefu serve`` refuses to start without a key of its own; the demo keeps
a random key per database (never a constant); a chat token cannot be forged from the id
an agent sees."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kefu.adapters.storage import make_engine, sqlite_url, upgrade
from kefu.bootstrap import build_test
from kefu.cli import app
from kefu.config import Settings

OLD_PUBLIC_KEY = "kefu-local-development-only-secret"
"""The key every kefu signed with before keys had to be set (it is in public history)."""


@pytest.fixture
def no_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("KEFU_SECRET_KEY", "KEFU_DATABASE_URL", "KEFU_ENV"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "absent.sqlite3"
    monkeypatch.setenv("KEFU_DB_PATH", str(path))
    return path


@pytest.mark.parametrize("key", [None, "too short 太短"])
def test_given_no_secret_key_of_its_own_when_kefu_serve_starts_then_it_refuses(
    no_key: Path, monkeypatch: pytest.MonkeyPatch, key: str | None
) -> None:
    if key is not None:
        monkeypatch.setenv("KEFU_SECRET_KEY", key)
    done = CliRunner().invoke(app, ["serve", "--port", "1"])
    assert done.exit_code == 2, done.output
    assert "KEFU_SECRET_KEY" in done.output and "Traceback" not in done.output
    assert not no_key.exists()


@pytest.mark.usefixtures("no_key")
def test_given_a_secret_key_when_kefu_serve_starts_then_the_key_check_passes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KEFU_SECRET_KEY", "s" * 40)
    done = CliRunner().invoke(app, ["serve", "--port", "1"])
    # Past the key check, the unmigrated database is what stops it.
    assert done.exit_code == 1 and "KEFU_SECRET_KEY" not in done.output, done.output


def test_given_two_demo_databases_then_each_keeps_a_random_key_of_its_own(
    tmp_path: Path,
) -> None:
    from kefu.adapters.storage.instance import DEMO_SECRET_KEY, stored_secret

    keys = []
    for name in ("a.sqlite3", "b.sqlite3", "a.sqlite3"):
        engine = make_engine(sqlite_url(str(tmp_path / name)))
        try:
            upgrade(engine)
            keys.append(stored_secret(engine, DEMO_SECRET_KEY))
        finally:
            engine.dispose()
    assert keys[0] == keys[2] != keys[1]
    assert len(keys[0]) >= 32 and OLD_PUBLIC_KEY not in keys


def test_given_the_chat_token_id_an_agent_sees_when_signed_with_the_old_public_key_then_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KEFU_SECRET_KEY", raising=False)
    platform = build_test(Settings(env="test"))
    assert platform.channel_site is not None
    chat = platform.channel_site.chat
    issued = chat.issue_token()
    token_id = issued.partition(".")[0]  # the customer's chat identifier, shown to agents
    signature = hmac.new(
        OLD_PUBLIC_KEY.encode(), f"chat:{token_id}".encode(), hashlib.sha256
    ).hexdigest()[:24]
    assert chat.token_id(issued) == token_id
    assert chat.token_id(f"{token_id}.{signature}") is None


def test_given_revision_0004_when_downgraded_then_its_table_and_column_go_and_come_back(
    tmp_path: Path,
) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from kefu.adapters.storage import current_revision
    from kefu.adapters.storage.migrate import _config

    engine = make_engine(sqlite_url(str(tmp_path / "m.sqlite3")))
    try:
        upgrade(engine, "0004")
        assert current_revision(engine) == "0004"
        command.downgrade(_config(engine), "0003")
        assert "instance_settings" not in inspect(engine).get_table_names()
        assert "unlocked_at" not in {c["name"] for c in inspect(engine).get_columns("users")}
        upgrade(engine)
        assert "unlocked_at" in {c["name"] for c in inspect(engine).get_columns("users")}
    finally:
        engine.dispose()
