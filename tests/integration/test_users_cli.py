"""``kefu users create|list|token`` on a migrated SQLite file: roles, Chinese names, the
token shown once and usable, clear refusals without tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kefu.adapters.clock import SystemClock
from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine, sqlite_url, upgrade
from kefu.cli import app
from kefu.service.access import Role, Scope
from kefu.service.errors import NotAuthenticated, TooManyRequests
from kefu.service.passwords import PasswordPolicy
from kefu.service.ports import Site
from kefu.service.security import Security
from kefu.service.security_ports import AuditFilter


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "users.sqlite3"
    monkeypatch.setenv("KEFU_DB_PATH", str(path))
    monkeypatch.delenv("KEFU_DATABASE_URL", raising=False)
    for name, value in (("TIME_COST", "1"), ("MEMORY_KIB", "64"), ("PARALLELISM", "1")):
        monkeypatch.setenv(f"KEFU_PASSWORD_{name}", value)
    engine = make_engine(sqlite_url(str(path)))
    upgrade(engine)
    with SqlUnitOfWorkFactory(engine)() as uow:
        uow.sites.add(Site("sh", "上海中心"))
        uow.commit()
    engine.dispose()
    return path


def security(path: Path) -> Security:
    engine = make_engine(sqlite_url(str(path)))
    return Security(
        SqlUnitOfWorkFactory(engine),
        SystemClock(),
        passwords=PasswordPolicy(time_cost=1, memory_kib=64, parallelism=1),
    )


def test_given_the_cli_when_users_are_created_then_they_log_in_and_tokens_work(db: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(
        app,
        ["users", "create", "张伟", "--role", "supervisor", "--site", "sh", "--name", "张伟"],
        input="a good password\na good password\n",
    )
    assert made.exit_code == 0, made.output
    assert "张伟" in made.output and "sh" in made.output
    generated = runner.invoke(app, ["users", "create", "root", "--role", "admin", "--generate"])
    assert generated.exit_code == 0, generated.output
    password = generated.output.split("Password 密码: ")[1].strip()
    listed = runner.invoke(app, ["users", "list", "--json"])
    rows = {u["username"]: u for u in json.loads(listed.output)}
    assert rows["张伟"]["sites"] == ["sh"] and rows["root"]["role"] == "admin"
    assert all("password" not in key for u in rows.values() for key in u)
    issued = runner.invoke(
        app, ["users", "token", "root", "--scope", "read", "--scope", "admin", "--json"]
    )
    assert issued.exit_code == 0, issued.output
    token = json.loads(issued.output)
    assert sorted(token["scopes"]) == ["admin", "read"] and token["expires_at"] is not None
    check = security(db)
    principal = check.credentials.token(token["token"])
    assert principal is not None and principal.role is Role.ADMIN
    assert principal.scopes == {Scope.READ, Scope.ADMIN}
    assert check.credentials.login("root", password, "cli-test")[0].username == "root"
    assert check.credentials.login("张伟", "a good password", "cli-test")[0].role == "supervisor"


def test_given_bad_input_when_creating_then_a_clear_refusal_and_nothing_made(db: Path) -> None:
    runner = CliRunner()
    cases = [
        ["users", "create", "x", "--role", "supervisor", "--site", "mars", "--generate"],
        ["users", "create", "x", "--role", "agent", "--generate"],
        ["users", "create", "x", "--role", "king", "--generate"],
        ["users", "token", "nobody"],
    ]
    for args in cases:
        done = runner.invoke(app, args)
        assert done.exit_code == 2, (args, done.output)
        assert "Refused" in done.output and "Traceback" not in done.output
    short = runner.invoke(
        app, ["users", "create", "x", "--role", "admin", "--password-stdin"], input="short\n"
    )
    assert short.exit_code == 2 and "10" in short.output
    scope = runner.invoke(app, ["users", "token", "x", "--scope", "everything"])
    assert scope.exit_code == 2 and "unknown scope" in scope.output
    assert security(db).users.list() == []


def test_given_a_user_backing_off_on_a_server_when_kefu_users_unlock_runs_then_it_logs_in(
    db: Path,
) -> None:
    server = security(db)  # the running server's security layer, with its own limiter
    server.users.create(username="root", password="a good password", role="admin")
    for _ in range(5):
        with pytest.raises(NotAuthenticated):
            server.credentials.login("root", "a wrong password", "10.0.0.9")
    with pytest.raises(TooManyRequests):
        server.credentials.login("root", "a good password", "10.0.0.9")
    done = CliRunner().invoke(app, ["users", "unlock", "root"])
    assert done.exit_code == 0 and "root" in done.output, done.output
    assert server.credentials.login("root", "a good password", "10.0.0.9")[0].username == "root"
    entries, _ = server.audit_page(AuditFilter(action="user.unlock"), 5)
    assert [e.target_id for e in entries] == ["root"]
    unknown = CliRunner().invoke(app, ["users", "unlock", "nobody"])
    assert unknown.exit_code == 2 and "Refused" in unknown.output


def test_given_a_common_or_personal_password_when_creating_then_refused_clearly(db: Path) -> None:
    for user, password in (("x", "password123"), ("zhangwei", "zhangwei-2024")):
        done = CliRunner().invoke(
            app,
            ["users", "create", user, "--role", "admin", "--password-stdin"],
            input=f"{password}\n",
        )
        assert done.exit_code == 2 and "Refused" in done.output, done.output
    assert security(db).users.list() == []


def test_given_an_unmigrated_database_then_users_create_says_to_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEFU_DB_PATH", str(tmp_path / "empty.sqlite3"))
    monkeypatch.delenv("KEFU_DATABASE_URL", raising=False)
    done = CliRunner().invoke(app, ["users", "create", "root", "--role", "admin", "--generate"])
    assert done.exit_code == 1 and "kefu db upgrade" in done.output
