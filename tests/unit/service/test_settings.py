"""Settings: environment variables with the KEFU_ prefix, a missing secret refused outside
local use (a random one per process otherwise), Secure cookies off loopback, no proxy
trusted unless configured, the database URL derived from the SQLite path."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kefu.config import Settings, get_settings


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
    assert not Settings(env="test").secret_key_set


def test_given_no_secret_key_when_settings_are_made_then_each_signs_with_a_random_key_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KEFU_SECRET_KEY", raising=False)
    first, second = Settings(env="test"), Settings()
    assert first.secret_key != second.secret_key
    assert len(first.secret_key) >= 32 and not first.secret_key_set
    assert "kefu-local-development-only-secret" not in (first.secret_key, second.secret_key)
    monkeypatch.setenv("KEFU_SECRET_KEY", "k" * 40)
    assert Settings().secret_key_set and Settings().secret_key == "k" * 40
    assert "k" * 40 not in repr(Settings())


@pytest.mark.parametrize(
    ("host", "secure"),
    [
        ("127.0.0.1", False),
        ("localhost", False),
        ("::1", False),
        ("0.0.0.0", True),
        ("192.168.1.20", True),
        ("kefu.example.com", True),
    ],
)
def test_given_a_local_env_when_the_server_binds_a_host_then_cookies_are_secure_off_loopback(
    host: str, secure: bool
) -> None:
    assert Settings(env="local", host=host).secure_cookies is secure
    assert Settings(env="local", host=host, cookie_secure=False).secure_cookies is False


def test_given_no_trusted_proxies_then_none_is_trusted() -> None:
    assert Settings().proxies == []
    assert Settings(trusted_proxies=" 10.0.0.1, 10.1.0.0/16 ,").proxies == [
        "10.0.0.1",
        "10.1.0.0/16",
    ]


def test_given_bad_numbers_then_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(port=0)
    with pytest.raises(ValidationError):
        Settings(offer_timeout_s=-1)


def test_given_get_settings_then_cached() -> None:
    get_settings.cache_clear()
    assert get_settings() is get_settings()
    get_settings.cache_clear()


def test_given_the_readme_security_table_then_each_variable_is_a_setting_with_that_default() -> (
    None
):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Security settings", 1)[1].split("\n## ", 1)[0]
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| `KEFU_")]
    assert len(rows) >= 15
    fields = Settings.model_fields
    checked = 0
    for variables, default, _protects in (row[:3] for row in rows):
        names = re.findall(r"`(KEFU_\w+)`", variables)
        values = re.findall(r"`([^`]+)`", default)
        assert names, variables
        for name in names:
            assert name.removeprefix("KEFU_").lower() in fields, name
        told = not default.startswith("`") or any("<" in v for v in values)
        if told or len(values) != len(names):
            continue  # a default told in words ("none: …", "beside the database")
        for name, value in zip(names, values, strict=True):
            expected = fields[name.removeprefix("KEFU_").lower()].default
            shown: object = {"true": True, "false": False}.get(value, value)
            if isinstance(expected, int | float) and not isinstance(expected, bool):
                shown = type(expected)(value)
            assert shown == expected, (name, value, expected)
            checked += 1
    assert checked >= 15


def test_given_routing_domain_urls_then_each_domain_has_its_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "KEFU_ROUTING_DOMAIN_URLS", "north=https://kefu-north.example/, south=http://10.0.0.2:8000"
    )
    assert Settings(env="test").domain_urls == {
        "north": "https://kefu-north.example",
        "south": "http://10.0.0.2:8000",
    }
    assert Settings(env="test", routing_domain_urls="").domain_urls == {}
    with pytest.raises(ValidationError):
        Settings(env="test", routing_domain_urls="north=ftp://files.example")
