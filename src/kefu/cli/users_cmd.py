"""``kefu users``: create users, list them, issue API tokens, lift a login back-off — on the
configured database (``KEFU_DB_PATH`` or ``KEFU_DATABASE_URL``), which must be migrated
first."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer

from kefu.cli.app import app

if TYPE_CHECKING:
    from kefu.service.security import Security

__all__: list[str] = []

users_app = typer.Typer(
    help="Users, roles and API tokens. 用户、角色与接口令牌。", no_args_is_help=True
)
app.add_typer(users_app, name="users")


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


@contextmanager
def _security(db_path: str | None) -> Iterator[Security]:
    """The security layer on the configured, migrated database."""
    from pydantic import ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    from kefu.adapters.clock import SystemClock
    from kefu.adapters.storage import (
        SchemaOutOfDate,
        SqlUnitOfWorkFactory,
        ensure_current,
        make_engine,
    )
    from kefu.config import Settings
    from kefu.service.security import security_from_settings

    try:
        settings = Settings(db_path=db_path) if db_path else Settings()
    except ValidationError as exc:
        raise _fail(f"Invalid settings 配置无效:\n{exc}", 2) from None
    database = make_engine(settings.sqlalchemy_url, schema=settings.database_schema)
    try:
        ensure_current(database)
        yield security_from_settings(settings, SqlUnitOfWorkFactory(database), SystemClock())
    except SchemaOutOfDate as exc:
        raise _fail(f"kefu users: {exc}") from None
    except SQLAlchemyError as exc:
        raise _fail(f"Database error 数据库错误: {exc}") from None
    finally:
        database.dispose()


def _refused(exc: Exception) -> typer.Exit:
    from kefu.domain.errors import KefuError

    if isinstance(exc, KefuError):
        return _fail(f"Refused 已拒绝: {exc.message}", 2)
    raise exc


DB_OPTION = typer.Option(
    None, "--db", help="SQLite file (KEFU_DB_PATH) unless KEFU_DATABASE_URL is set. 数据库文件。"
)


@users_app.command("create")
def create(
    username: str = typer.Argument(..., help="Login name (any script). 用户名。"),
    role: str = typer.Option(..., help="agent, supervisor or admin. 角色。"),
    site: list[str] = typer.Option(
        [], "--site", help="A supervisor's site (repeat for several). 主管负责的站点。"
    ),
    agent: str | None = typer.Option(None, help="The agent an agent user acts as. 对应座席。"),
    name: str = typer.Option("", help="Display name, e.g. 张敏. 显示名称。"),
    password_stdin: bool = typer.Option(
        False,
        "--password-stdin",
        help="Read the password from standard input. 从标准输入读取密码。",
    ),
    generate: bool = typer.Option(
        False, "--generate", help="Generate a password and print it once. 生成随机密码。"
    ),
    db_path: str | None = DB_OPTION,
) -> None:
    """Create a user (asks for the password unless told otherwise). 创建用户。"""
    import secrets

    if password_stdin and generate:
        raise _fail("give --password-stdin or --generate, not both 只能二选一", 2)
    if generate:
        password = secrets.token_urlsafe(12)
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password 密码", hide_input=True, confirmation_prompt=True)
    with _security(db_path) as security:
        try:
            user = security.users.create(
                username=username,
                password=password,
                role=role,
                sites=site,
                agent_id=agent,
                display_name=name,
            )
        except Exception as exc:
            raise _refused(exc) from None
    where = ", ".join(user.sites) or ("all sites 全部站点" if user.role == "admin" else "-")
    typer.echo(f"Created 已创建 {user.username} ({user.role}; sites 站点: {where})")
    if user.agent_id:
        typer.echo(f"Acts as agent 对应座席: {user.agent_id}")
    if generate:
        typer.echo(f"Password 密码: {password}")


@users_app.command("list")
def list_users(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output. JSON 输出。"),
    db_path: str | None = DB_OPTION,
) -> None:
    """List users and their roles. 列出用户。"""
    from rich.console import Console
    from rich.table import Table

    from kefu.service.accounts import user_view

    with _security(db_path) as security:
        users = [user_view(u) for u in security.users.list()]
    if as_json:
        typer.echo(json.dumps(users, ensure_ascii=False, indent=2))
        return
    table = Table(title="Users 用户")
    for header in ("Username 用户名", "Name 名称", "Role 角色", "Sites 站点", "Agent 座席"):
        table.add_column(header)
    table.add_column("Active 启用")
    for u in users:
        table.add_row(
            u["username"],
            u["display_name"],
            u["role"],
            ", ".join(u["sites"]),
            u["agent_id"] or "",
            "yes 是" if u["active"] else "no 否",
        )
    Console().print(table)


@users_app.command("token")
def token(
    username: str = typer.Argument(..., help="Owner of the token. 令牌所属用户。"),
    scope: list[str] = typer.Option(
        ["read"],
        "--scope",
        help="read, contacts:write, agents:write or admin (repeat). 权限范围。",
    ),
    days: float | None = typer.Option(
        90.0, min=0.001, help="Lifetime in days (0 < days). 有效天数。"
    ),
    forever: bool = typer.Option(False, "--no-expiry", help="Never expires. 永不过期。"),
    name: str = typer.Option("", help="What the token is for. 用途。"),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output. JSON 输出。"),
    db_path: str | None = DB_OPTION,
) -> None:
    """Issue an API token; the secret is printed once. 创建接口令牌（仅显示一次）。"""
    from kefu.service.access import Scope
    from kefu.service.credentials import token_view

    try:
        scopes = [Scope(s) for s in scope]
    except ValueError:
        message = f"unknown scope in {scope}; use read, contacts:write, agents:write, admin"
        raise _fail(message, 2) from None
    ttl = None if forever or days is None else days * 86_400.0
    with _security(db_path) as security:
        try:
            made, secret = security.credentials.issue_token(username, scopes, name=name, ttl_s=ttl)
        except Exception as exc:
            raise _refused(exc) from None
    if as_json:
        typer.echo(json.dumps({**token_view(made), "token": secret}, ensure_ascii=False))
        return
    typer.echo(f"Token 令牌 ({', '.join(made.scopes)}), shown once 仅显示一次:")
    typer.echo(secret)


@users_app.command("unlock")
def unlock(
    username: str = typer.Argument(..., help="The user to let log in again. 用户名。"),
    db_path: str | None = DB_OPTION,
) -> None:
    """Lift a user's login back-off after failed logins (audited). 解除登录失败锁定。"""
    with _security(db_path) as security:
        try:
            user = security.credentials.unlock(username, client="cli")
        except Exception as exc:
            raise _refused(exc) from None
    typer.echo(
        f"Unlocked 已解除锁定 {user.username}: failed logins before now no longer delay it "
        "此前的登录失败不再限制该用户"
    )
