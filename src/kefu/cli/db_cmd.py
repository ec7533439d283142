"""``kefu db upgrade`` and ``kefu db current``: the database schema's migrations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from kefu.cli.app import app

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from kefu.config import Settings

__all__: list[str] = []

db_app = typer.Typer(
    help="Database schema: migrate and inspect. 数据库结构：迁移与查看。", no_args_is_help=True
)
app.add_typer(db_app, name="db")


def _engine() -> tuple[Engine, Settings]:
    from pydantic import ValidationError

    from kefu.adapters.storage import make_engine
    from kefu.config import get_settings

    try:
        settings = get_settings()
    except ValidationError as exc:
        typer.echo(f"Invalid settings 配置无效: {exc}", err=True)
        raise typer.Exit(2) from None
    return make_engine(settings.sqlalchemy_url, schema=settings.database_schema), settings


def _where(settings: Settings) -> str:
    return settings.db_path if settings.database_url is None else "KEFU_DATABASE_URL"


@db_app.command("upgrade")
def upgrade(
    revision: str = typer.Argument("head", help="Target revision. 目标版本。"),
) -> None:
    """Migrate the database to the newest schema. 将数据库迁移到最新结构。"""
    from sqlalchemy.exc import SQLAlchemyError

    from kefu.adapters.storage import current_revision, upgrade

    engine, settings = _engine()
    try:
        before = current_revision(engine)
        upgrade(engine, revision)
        after = current_revision(engine)
    except SQLAlchemyError as exc:
        typer.echo(f"Database error 数据库错误 ({_where(settings)}): {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    typer.echo(
        f"Schema 结构 {before or 'empty 空'} → {after} ({_where(settings)})"
        if before != after
        else f"Schema already at 结构已是最新 {after} ({_where(settings)})"
    )


@db_app.command("current")
def current() -> None:
    """Show the schema revision of the database. 显示数据库结构版本。"""
    from sqlalchemy.exc import SQLAlchemyError

    from kefu.adapters.storage import current_revision, head_revision

    engine, settings = _engine()
    try:
        revision = current_revision(engine)
    except SQLAlchemyError as exc:
        typer.echo(f"Database error 数据库错误 ({_where(settings)}): {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    head = head_revision()
    state = "up to date 最新" if revision == head else "out of date 需要升级: run `kefu db upgrade`"
    typer.echo(f"current 当前: {revision or 'none 无'}  head 最新: {head}  ({state})")
    if revision != head:
        raise typer.Exit(1)
