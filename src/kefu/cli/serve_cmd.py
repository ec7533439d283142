"""``kefu serve``: the HTTP API, the wallboard and the routing engine under uvicorn.

Also the helpers ``kefu demo`` shares: settings from the environment and options, the live
platform (refused on an out-of-date schema), the uvicorn server.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import typer

from kefu.cli.app import app
from kefu.cli.runtime import tune_runtime

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

    from kefu.bootstrap import Platform
    from kefu.config import Settings
    from kefu.service.ports import UnitOfWorkFactory

__all__ = ["load_settings", "make_server", "open_platform", "require_secret_key", "run_server"]


def load_settings(**overrides: Any) -> Settings:
    """The environment's settings with the command line's non-empty options on top."""
    from pydantic import ValidationError

    from kefu.config import Settings

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        typer.echo(f"Invalid settings 配置无效:\n{exc}", err=True)
        raise typer.Exit(2) from None


def require_secret_key(settings: Settings) -> None:
    """Exit unless the settings carry a key of the operator's own: a key that is public, or
    made up by this process, would let anyone forge (or nobody keep) the signed cookies."""
    from kefu.config import MIN_SECRET_KEY_LENGTH

    if not settings.secret_key_set or len(settings.secret_key) < MIN_SECRET_KEY_LENGTH:
        typer.echo(
            f"kefu serve needs KEFU_SECRET_KEY, a random secret of at least "
            f"{MIN_SECRET_KEY_LENGTH} characters (e.g. python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))').\n"
            f"kefu serve 需要设置 KEFU_SECRET_KEY"
            f"（至少 {MIN_SECRET_KEY_LENGTH} 个字符的随机密钥）。",
            err=True,
        )
        raise typer.Exit(2)


def open_store(settings: Settings) -> UnitOfWorkFactory:
    """The shared PostgreSQL store of a web node; exits 2 on another database, 1 when
    its schema is not current or it cannot be reached."""
    from sqlalchemy.exc import SQLAlchemyError

    from kefu.adapters.storage import (
        SchemaOutOfDate,
        SqlUnitOfWorkFactory,
        ensure_current,
        make_engine,
    )

    database = make_engine(settings.sqlalchemy_url, schema=settings.database_schema)
    if database.dialect.name != "postgresql":
        database.dispose()
        typer.echo("--role web needs PostgreSQL (KEFU_DATABASE_URL) 需要 PostgreSQL", err=True)
        raise typer.Exit(2)
    try:
        ensure_current(database)
    except SchemaOutOfDate as exc:
        database.dispose()
        typer.echo(f"kefu cannot start 无法启动: {exc}", err=True)
        raise typer.Exit(1) from None
    except SQLAlchemyError as exc:
        database.dispose()
        typer.echo(f"kefu cannot reach the database 无法连接数据库: {exc}", err=True)
        raise typer.Exit(1) from None
    return SqlUnitOfWorkFactory(database)


def open_platform(
    settings: Settings,
    *,
    on_startup: tuple[Callable[[], Awaitable[None]], ...] = (),
    on_shutdown: tuple[Callable[[], Awaitable[None]], ...] = (),
) -> Platform:
    """The live platform; exits with a clear message when the schema is not current or
    the database cannot be reached."""
    from sqlalchemy.exc import SQLAlchemyError

    from kefu.adapters.storage import SchemaOutOfDate
    from kefu.bootstrap import build_live

    try:
        return build_live(settings, on_startup=(*on_startup, tune_runtime), on_shutdown=on_shutdown)
    except SchemaOutOfDate as exc:
        typer.echo(f"kefu cannot start 无法启动: {exc}", err=True)
        raise typer.Exit(1) from None
    except SQLAlchemyError as exc:
        typer.echo(f"kefu cannot reach the database 无法连接数据库: {exc}", err=True)
        raise typer.Exit(1) from None


def make_server(app: FastAPI, settings: Settings, *, log_level: str = "info") -> uvicorn.Server:
    """uvicorn serving ``app``. kefu's own access log (one line per request, with its
    duration; ``KEFU_ACCESS_LOG``) replaces uvicorn's and follows ``log_level``."""
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from kefu.adapters.channels.webchat.gateway import MAX_FRAME_BYTES
    from kefu.api.middleware import ACCESS_LOGGER

    logging_config = copy.deepcopy(LOGGING_CONFIG)
    logging_config["loggers"][ACCESS_LOGGER] = {
        "handlers": ["default"],
        "level": log_level.upper(),
        "propagate": False,
    }
    if settings.json_logs:
        _json_logging(logging_config, log_level)
    # uvicorn believes X-Forwarded-For from loopback unless told otherwise: behind no
    # proxy, any local process could then pose as any client address.
    proxies = settings.proxies
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        lifespan="on",
        log_config=logging_config,
        access_log=False,
        # Larger WebSocket frames are refused by the server before they are buffered (its
        # default lets every socket, even an anonymous chat, hold 16 MiB).
        ws_max_size=MAX_FRAME_BYTES,
        ws_per_message_deflate=settings.ws_compression,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )
    return uvicorn.Server(config)


def _json_logging(config: dict[str, Any], log_level: str) -> None:
    """``KEFU_JSON_LOGS``: every line a JSON object with the request id (uvicorn's, kefu's
    and the access log), kefu's own loggers at ``log_level`` too."""
    formatter = {"()": "kefu.adapters.logs.JsonFormatter"}
    config["formatters"] = {"default": formatter, "access": dict(formatter)}
    config.setdefault("filters", {})["request_id"] = {"()": "kefu.adapters.logs.RequestIdFilter"}
    for handler in config["handlers"].values():
        handler["filters"] = ["request_id"]
    config["loggers"]["kefu"] = {
        "handlers": ["default"],
        "level": log_level.upper(),
        "propagate": False,
    }


def run_server(app: FastAPI, settings: Settings, *, log_level: str = "info") -> None:
    """Serve until Ctrl-C (uvicorn shuts the app down cleanly)."""
    server = make_server(app, settings, log_level=log_level)
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C once shut down
        server.run()
    if not server.started:
        typer.echo(f"kefu could not listen on {settings.host}:{settings.port}", err=True)
        raise typer.Exit(1)


@app.command("serve")
def serve(
    host: str | None = typer.Option(None, help="Address to bind (KEFU_HOST). 监听地址。"),
    port: int | None = typer.Option(
        None, min=1, max=65535, help="Port (KEFU_PORT, default 8000). 端口。"
    ),
    db_path: str | None = typer.Option(
        None,
        "--db",
        help="SQLite file (KEFU_DB_PATH) unless KEFU_DATABASE_URL is set. 数据库文件。",
    ),
    log_level: str = typer.Option("info", help="uvicorn log level. 日志级别。"),
    role: str = typer.Option(
        "all",
        help="all: one process does everything; router: a router node of "
        "KEFU_ROUTING_DOMAIN (standby until it leads; PostgreSQL and NATS); web: a web "
        "node sending commands to that router (API contacts and agent state, the desktop, the "
        "chat, the wallboard). 角色。",
    ),
) -> None:
    """Serve the API and the live wallboard. 启动服务（API 与实时监控大屏）。"""
    settings = load_settings(host=host, port=port, db_path=db_path)
    if role == "router":
        from kefu.cli.router_node import check_router_settings, router_app

        check_router_settings(settings)
        typer.echo(f"kefu router of 路由域 {settings.routing_domain} on :{settings.port}")
        run_server(router_app(settings, open_platform(settings)), settings, log_level=log_level)
        return
    if role == "web":
        from kefu.cli.router_node import check_router_settings
        from kefu.cli.web_node import web_app

        check_router_settings(settings)
        typer.echo(f"kefu web node of 路由域 {settings.routing_domain} on :{settings.port}")
        node = web_app(settings, open_store(settings), tune=tune_runtime)
        run_server(node, settings, log_level=log_level)
        return
    if role != "all":
        typer.echo(
            f"unknown role {role!r}: all, router or web 角色无效：all、router 或 web",
            err=True,
        )
        raise typer.Exit(2)
    require_secret_key(settings)
    voice = None
    if settings.sip_port is not None:  # KEFU_SIP_PORT: answer calls with the IVR's flows
        from kefu.cli.demo_voice import DemoVoice

        voice = DemoVoice(settings, _echo, example_number=None)
    platform = open_platform(
        settings,
        on_startup=() if voice is None else (voice.start,),
        on_shutdown=() if voice is None else (voice.stop,),
    )
    if voice is not None:
        voice.platform = platform
    typer.echo(
        f"kefu serving on 服务地址 http://{settings.host}:{settings.port}/  "
        f"(wallboard 大屏: /wallboard, API docs 接口文档: /docs)"
    )
    run_server(platform.app, settings, log_level=log_level)


def _echo(line: str) -> None:
    typer.echo(line)
