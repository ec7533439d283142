"""``kefu report-rebuild``: rebuild the report projection (per-visit tables) from the log."""

from __future__ import annotations

import typer

from kefu.cli.app import app
from kefu.cli.report_cmd import _fail, _open, _settings_url

__all__ = ["report_rebuild"]


@app.command("report-rebuild")
def report_rebuild(
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="SQLAlchemy URL (default: KEFU_DATABASE_URL or the SQLite file). 数据库地址",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output. 不显示进度"),
) -> None:
    """Rebuild the tables fast reports read (one row per contact visit, agent time per
    15 minutes) from the stored events; run it after upgrading, with the server stopped.
    从事件日志重建报表投影表（每次排队一行、座席每 15 分钟工时）。"""
    import time

    from sqlalchemy.exc import SQLAlchemyError

    from kefu.adapters.storage.report_projection import rebuild

    url, schema = (database_url, None) if database_url is not None else _settings_url()
    engine = _open(url, schema)
    started = time.perf_counter()

    def progress(read: int, total: int) -> None:
        if not quiet:
            share = 100.0 * read / total if total else 100.0
            typer.echo(f"events 事件 {read:,}/{total:,} ({share:.0f}%)", err=True)

    try:
        read, visits, slots = rebuild(engine, progress)
    except SQLAlchemyError as exc:
        raise _fail(f"database error 数据库错误: {exc}".splitlines()[0], 1) from None
    finally:
        engine.dispose()
    typer.echo(
        f"Rebuilt 已重建: {read:,} events 事件 → {visits:,} visits 排队记录, "
        f"{slots:,} agent slots 座席时段 in {time.perf_counter() - started:.1f} s"
    )
