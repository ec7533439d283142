"""Settings: environment variables with the KEFU_ prefix, the default secret refused
outside local use, the database URL derived from the SQLite path."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kefu.config import DEFAULT_SECRET_KEY, Settings, get_settings


def test_given_no_environment_then_a_local_sqlite_file(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KEFU_ENV", "KEFU_DB_PATH", "KEFU_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.env == "local" and settings.sqlalchemy_url == "sqlite:///kefu.sqlite3"


def test_given_kefu_variables_then_they_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEFU_DATABASE_URL", raising=False)
    monkeypatch.setenv("KEFU_DB_PATH", "/data/客服.sqlite3")
    monkeypatch.setenv("KEFU_PORT", "9100")
    settings = Settings()
    assert settings.port == 9100 and settings.sqlalchemy_url == "sqlite:////data/客服.sqlite3"
    monkeypatch.setenv("KEFU_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert Settings().sqlalchemy_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize("env", ["staging", "production"])
def test_given_a_deployed_env_when_the_default_secret_is_kept_then_refused(env: str) -> None:
    with pytest.raises(ValidationError, match="KEFU_SECRET_KEY"):
        Settings(env=env)
    with pytest.raises(ValidationError, match="32 characters"):
        Settings(env=env, secret_key="short")
    assert Settings(env=env, secret_key="x" * 40).secret_key == "x" * 40
    assert Settings(env="test").secret_key == DEFAULT_SECRET_KEY


def test_given_bad_numbers_then_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(port=0)
    with pytest.raises(ValidationError):
        Settings(offer_timeout_s=-1)


def test_given_get_settings_then_cached() -> None:
    get_settings.cache_clear()
    assert get_settings() is get_settings()
    get_settings.cache_clear()
