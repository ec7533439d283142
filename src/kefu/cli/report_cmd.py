"""``kefu report``: a historical report from the stored events (table, CSV, XLSX, JSON)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from kefu.cli.app import app

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from kefu.analytics.history import HistoryReport

__all__ = ["report"]

FORMATS = ("table", "csv", "xlsx", "json")
SOURCES = ("auto", "projection", "events")


def _fail(message: str, code: int = 2) -> typer.Exit:
    from rich.console import Console

    Console(stderr=True).print(f"[bold red]error 错误:[/] {message}", highlight=False)
    return typer.Exit(code)


def parse_instant(text: str, timezone: str, what: str) -> float:
    """``2026-01-05``, ``2026-01-05T08:30`` (local time of ``timezone``) or an ISO time
    with its offset → seconds since the epoch; anything else exits with status 2."""
    from kefu.analytics.buckets import zone

    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise _fail(
            f"{what} {text!r} is not a date or time: use 2026-01-05 or 2026-01-05T08:30 "
            f"(日期格式应为 2026-01-05 或 2026-01-05T08:30)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(timezone))
    return moment.timestamp()


def _open(url: str, schema: str | None) -> Engine:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from kefu.adapters.storage import make_engine

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise _fail(f"not a database URL 数据库地址无效: {url!r}") from None
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        if path in ("", ":memory:") or not Path(path).is_file():
            raise _fail(f"no SQLite database at {path!r} 找不到数据库文件")
    return make_engine(url, schema=schema)


def _zone(engine: Engine, requested: str | None, site: str | None) -> str:
    from kefu.adapters.storage.report_reader import site_zones

    if requested is not None:
        return requested
    zones = site_zones(engine)
    if site is not None:
        if site not in zones:
            raise _fail(f"unknown site {site!r} 未知站点 (known 已有: {', '.join(sorted(zones))})")
        return zones[site]
    distinct = set(zones.values())
    return distinct.pop() if len(distinct) == 1 else "UTC"


@app.command("report")
def report(
    since: str = typer.Option(
        ..., "--since", help="Range start, local time (2026-01-05[T08:00]). 开始时间（含）"
    ),
    until: str = typer.Option(
        ..., "--until", help="Range end, excluded (2026-01-06). 结束时间（不含）"
    ),
    by: str = typer.Option(
        "interval:30", "--by", help="interval:5|15|30|60, day, week or month. 统计周期"
    ),
    group: str = typer.Option(
        "",
        "--group",
        help="Comma-separated: site, queue, channel, agent, disposition, value_tier. 分组维度",
    ),
    fmt: str = typer.Option("table", "--format", help="table, csv, xlsx or json. 输出格式"),
    out: Path | None = typer.Option(None, "--out", help="Output file (default: stdout). 输出文件"),
    contacts: bool = typer.Option(
        False, "--contacts", help="One row per contact instead of per interval. 逐联系明细"
    ),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="SQLAlchemy URL (default: KEFU_DATABASE_URL or the SQLite file). 数据库地址",
    ),
    timezone: str | None = typer.Option(
        None, "--tz", help="IANA time zone (default: the sites' zone, else UTC). 时区"
    ),
    site: str | None = typer.Option(None, "--site", help="Use this site's time zone. 站点"),
    source: str = typer.Option(
        "auto",
        "--source",
        help=(
            "projection (the per-visit tables, fast; `kefu report-rebuild` builds them), "
            "events (decode the log) or auto (the projection when it is up to date). 数据来源"
        ),
    ),
    margin_hours: float = typer.Option(
        24.0,
        "--margin-hours",
        min=0.0,
        help=(
            "Events also read before --since (agents and contacts in progress) and after "
            "--until (outcomes of contacts still waiting). 范围前后额外读取的小时数"
        ),
    ),
) -> None:
    """Historical report from the stored events: offered, answered, abandoned, SL, ASA,
    AHT (talk/hold/wrap-up), occupancy, utilisation, transfers, callbacks.
    历史报表：来电量、接通、放弃、服务水平、平均应答、平均处理时长、占用率等。"""
    from kefu.analytics.buckets import parse_period, zone
    from kefu.analytics.contact_rows import ContactRows
    from kefu.analytics.history import parse_group_by
    from kefu.domain.errors import KefuError

    if source not in SOURCES:
        raise _fail(f"--source must be one of {', '.join(SOURCES)} 数据来源无效: {source!r}")
    if fmt not in FORMATS:
        raise _fail(f"--format must be one of {', '.join(FORMATS)} 输出格式无效: {fmt!r}")
    if fmt == "xlsx" and out is None:
        raise _fail("--format xlsx needs --out FILE (XLSX 需要指定输出文件)")
    try:
        parse_period(by)
        group_by = parse_group_by(group)
        if timezone is not None:
            zone(timezone)
    except KefuError as exc:
        raise _fail(str(exc)) from None
    url, schema = (database_url, None) if database_url is not None else _settings_url()
    engine = _open(url, schema)
    try:
        from sqlalchemy.exc import SQLAlchemyError

        from kefu.adapters.storage.report_source import ReportQuery, SqlReportSource

        try:
            tz = _zone(engine, timezone, site)
            start = parse_instant(since, tz, "--since")
            end = parse_instant(until, tz, "--until")
            if not end > start:
                raise _fail(f"--until ({until}) must be after --since ({since}) 结束须晚于开始")
            query = ReportQuery(
                start,
                end,
                period=by,
                timezone=tz,
                group_by=group_by,
                source=source,
                margin_s=margin_hours * 3600.0,
            )
            reports = SqlReportSource(engine)
            # A CSV of contacts from the projection streams tuples (same bytes, faster).
            cells = reports.contact_cells(query) if contacts and fmt == "csv" else None
            run = reports.run(query, visits=contacts and cells is None)
            result = run.report
            rows = ContactRows(start, end) if contacts and cells is None else None
            if rows is not None:
                for visit in run.visits or ():
                    rows(visit)
        except SQLAlchemyError as exc:
            raise _fail(f"database error 数据库错误: {exc}".splitlines()[0], 1) from None
        except KefuError as exc:
            raise _fail(str(exc)) from None
    finally:
        engine.dispose()
    if cells is not None:
        _write_cells(result.timezone, cells, out)
        return
    _write(result, rows, fmt, out)


def _write_cells(timezone: str, cells: list[tuple[object, ...]], out: Path | None) -> None:
    from kefu.analytics import export

    if out is None:
        export.write_contact_csv(sys.stdout, cells, timezone)
        return
    with out.open("w", encoding=export.CSV_ENCODING, newline="") as stream:
        export.write_contact_csv(stream, cells, timezone)


def _settings_url() -> tuple[str, str | None]:
    from pydantic import ValidationError

    from kefu.config import get_settings

    try:
        settings = get_settings()
        return settings.sqlalchemy_url, settings.database_schema
    except ValidationError as exc:
        raise _fail(f"Invalid settings 配置无效: {exc}") from None


def _write(result: HistoryReport, rows: object, fmt: str, out: Path | None) -> None:
    from kefu.analytics import export
    from kefu.analytics.contact_rows import ContactRows

    contact_rows = rows.sorted() if isinstance(rows, ContactRows) else None
    if contact_rows is not None:
        table = export.contact_table(contact_rows, result.timezone)
    else:
        table = export.row_table(result)
    if fmt == "json":
        data = result.to_dict()
        if contact_rows is not None:
            header, body = table
            data["contacts"] = [dict(zip(header, r, strict=True)) for r in body]
        text = json.dumps(data, ensure_ascii=False, indent=1)
        if out is None:
            typer.echo(text)
        else:
            out.write_text(text + "\n", encoding="utf-8")
    elif fmt == "csv":
        if out is None:
            export.write_csv(sys.stdout, table)
        else:
            with out.open("w", encoding=export.CSV_ENCODING, newline="") as stream:
                export.write_csv(stream, table)
    elif fmt == "xlsx" and out is not None:
        sheets = [("intervals", export.row_table(result))]
        sheets.append(("totals", export.row_table(result, [*result.groups, result.total])))
        if contact_rows is not None:
            sheets.append(("contacts", table))
        with out.open("wb") as stream:
            export.write_xlsx(stream, sheets)
    else:
        from kefu.cli.report_table import print_report

        print_report(result)
    if out is not None:
        typer.echo(f"Wrote 已写入 {out}", err=True)
