"""The Rich table of ``kefu report`` (fits an 80-column terminal)."""

from __future__ import annotations

from datetime import datetime

from rich import box
from rich.console import Console
from rich.table import Table

from kefu.analytics.buckets import zone
from kefu.analytics.history import HistoryReport, ReportRow

__all__ = ["print_report"]


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def _sec(x: float | None) -> str:
    return "-" if x is None else f"{x:.0f}"


def _cells(row: ReportRow) -> list[str]:
    c, a = row.contacts, row.agents
    return [
        str(c.offered),
        str(c.answered),
        f"{c.abandoned}({c.short_abandons})",
        _pct(c.service_level),
        _sec(c.asa_s),
        _sec(c.aht_s),
        f"{_sec(c.talk_s)}/{_sec(c.hold_s)}/{_sec(c.wrapup_s)}",
        _pct(None if a is None else a.occupancy),
        str(c.transferred_out),
    ]


def print_report(report: HistoryReport, console: Console | None = None) -> None:
    """Print the rows, one per bucket × group, then the totals."""
    out = console if console is not None else Console()
    tz = zone(report.timezone)
    if report.period in ("day", "week", "month"):
        fmt = "%Y-%m-%d"
    elif report.until - report.since <= 86400.0:
        fmt = "%H:%M"
    else:
        fmt = "%m-%d %H:%M"

    def when(at: float) -> str:
        return datetime.fromtimestamp(at, tz).strftime(fmt)

    start = datetime.fromtimestamp(report.since, tz).strftime("%Y-%m-%d %H:%M")
    end = datetime.fromtimestamp(report.until, tz).strftime("%Y-%m-%d %H:%M")
    out.print(f"[bold]{start} → {end}[/] {report.timezone} · {report.period}", highlight=False)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1))
    table.add_column("start", no_wrap=True)
    grouped = bool(report.group_by)
    if grouped:  # one column for all dimensions keeps the table within 80 columns
        table.add_column("/".join(report.group_by), overflow="fold", min_width=6)
    for name in ("off", "ans", "ab(sh)", "SL", "ASA", "AHT", "T/H/W", "occ", "xfer"):
        table.add_column(name, justify="right", no_wrap=True)

    def group(row: ReportRow) -> list[str]:
        return ["/".join(row.group)] if grouped else []

    for row in report.rows:
        table.add_row(when(row.start_s), *group(row), *_cells(row))
    table.add_section()
    for row in report.groups if grouped else ():
        table.add_row("total", *group(row), *_cells(row), style="bold")
    table.add_row("all", *([""] if grouped else []), *_cells(report.total), style="bold")
    out.print(table)
    notes = [
        "start 开始 total 小计 all 合计 off=offered 来电 ans=answered 接通",
        "ab(sh)=abandoned (short) 放弃(短放弃) SL 服务水平 ASA 平均应答 AHT 平均处理",
        "T/H/W=talk/hold/wrap-up 通话/保持/话后 occ=occupancy 占用率 xfer=transfers 转接",
        "times in seconds 时间单位为秒; as of 数据截至 "
        f"{datetime.fromtimestamp(report.as_of, tz):%Y-%m-%d %H:%M}",
        f"SL: {report.sl_variant}",
        f"waiting at the end 仍在等待: {report.waiting_at_end}",
    ]
    if not report.predicted_wait_known:
        notes.append("predicted-wait accuracy: the events carry no predicted wait 事件无预测等待")
    else:
        mae = report.total.contacts.predicted_wait_mae_s
        notes.append(f"predicted-wait MAE 预测等待平均误差: {_sec(mae)} s")
    for note in notes:
        out.print(note, highlight=False, style="dim")
