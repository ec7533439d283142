"""``kefu schedule``: choose shifts that cover a requirement at least cost (CP-SAT)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kefu.cli.app import app

if TYPE_CHECKING:
    from datetime import datetime

    from kefu.workforce.schedule_spec import ShiftSpec
    from kefu.workforce.schedule_types import ScheduleResult

__all__ = ["schedule"]

# Family names of fonts with Chinese glyphs that matplotlib may find on a machine.
_CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "AR PL UMing CN",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)


def _fail(message: str, code: int = 2) -> typer.Exit:
    from rich.console import Console

    Console(stderr=True).print(f"[bold red]error 错误:[/] {message}", highlight=False)
    return typer.Exit(code)


@app.command("schedule")
def schedule(
    requirements: Path | None = typer.Argument(
        None,
        help="Requirement CSV (interval_start,required) or a `kefu staff` plan; "
        "or --site to plan from the stored log. 需求文件",
        show_default=False,
    ),
    shifts: Path | None = typer.Option(
        None,
        "--shifts",
        help="Shift types YAML; default: 8 h and 4 h shifts spanning the busy hours. 班次定义",
    ),
    time_limit: float | None = typer.Option(
        None, "--time-limit", help="Solver time limit, s (default 60). 求解时限（秒）"
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Output folder (default out/<name>-schedule). 输出目录"
    ),
    json_output: bool = typer.Option(False, "--json", help="Print JSON. 输出 JSON"),
    column: str | None = typer.Option(
        None, "--column", help="Value column (default scheduled, else required). 需求列"
    ),
    under_penalty: float | None = typer.Option(
        None,
        "--under-penalty",
        help="Allow under-staffing at this cost per agent-interval (default: hard). 缺员惩罚",
    ),
    over_weight: float | None = typer.Option(
        None, "--over-weight", help="Cost per agent-interval over the requirement. 超员权重"
    ),
    max_seats: int | None = typer.Option(
        None, "--max-seats", help="Most agents present in any interval. 最大席位数"
    ),
    relative_gap: float | None = typer.Option(
        None, "--gap", help="Stop within this relative optimality gap. 相对间隙"
    ),
    cyclic: bool | None = typer.Option(
        None, "--cyclic/--no-cyclic", help="Wrap shifts past the end to the start. 循环排班"
    ),
    site: str | None = typer.Option(
        None, "--site", help="Plan a site from the stored log, named agents. 按站点历史排班"
    ),
    queue: list[str] = typer.Option(
        [], "--queue", help="With --site: a queue of the pool (default: all). 队列"
    ),
    since: str | None = typer.Option(None, "--since", help="History from (date). 历史起始"),
    until: str | None = typer.Option(None, "--until", help="History to (date). 历史截止"),
    interval: int = typer.Option(30, "--interval", help="15, 30 or 60 minutes. 时段"),
    horizon: int = typer.Option(7, "--horizon", help="Days to plan. 计划天数"),
    sl: float = typer.Option(0.8, "--sl", help="Service level target (fraction). 服务水平"),
    threshold: float = typer.Option(20.0, "--threshold", help="SL threshold, s. 服务时限"),
    patience: float | None = typer.Option(
        None, "--patience", help="Mean patience, s (Erlang A). 耐心时间"
    ),
    shrinkage: float = typer.Option(0.3, "--shrinkage", help="Fraction off the phones. 缩减率"),
    database_url: str | None = typer.Option(
        None, "--database-url", help="With --site: SQLAlchemy URL (default: settings). 数据库地址"
    ),
) -> None:
    """Schedule shifts to cover interval requirements at least cost. 班次排班（CP-SAT 优化）。"""
    if site is not None:
        _from_store(site, queue, since, until, json_output, database_url, interval, horizon, sl,
                    threshold, patience, shrinkage, time_limit)  # fmt: skip
        return
    if requirements is None:
        raise _fail("give a requirement file or --site 请给出需求文件或 --site")
    from kefu.workforce.schedule import (
        ScheduleError,
        ScheduleNoSolution,
        ScheduleOptions,
        shift_types_for_requirement,
    )
    from kefu.workforce.schedule_io import read_requirement_csv
    from kefu.workforce.schedule_spec import ShiftSpec, load_shift_spec, with_options

    try:
        req = read_requirement_csv(requirements, column)
        if shifts is not None:
            spec = load_shift_spec(shifts)
        else:
            step = max(1800, req.interval_s) if req.interval_s <= 3600 else 3600
            spec = ShiftSpec(
                shift_types_for_requirement(req.required, req.interval_s, step_s=step),
                ScheduleOptions(),
            )
        spec = with_options(
            spec,
            time_limit_s=time_limit,
            under_penalty=under_penalty,
            over_weight=over_weight,
            max_concurrent_agents=max_seats,
            relative_gap=relative_gap,
            cyclic=cyclic,
        )
        result = _solve(req.required, req.interval_s, spec, req.first_weekday, json_output)
    except ScheduleNoSolution as exc:
        raise _fail(exc.message, code=1) from None
    except ScheduleError as exc:
        raise _fail(exc.message) from None
    folder = out if out is not None else Path("out") / f"{requirements.stem}-schedule"
    try:
        files = _write(folder, result, req.origin)
    except OSError as exc:
        raise _fail(f"cannot write to {folder}: {exc.strerror}", code=1) from None
    if json_output:
        _print_json(result, req.origin, files)
    else:
        _print_tables(result, files)


def _from_store(
    site: str,
    queues: list[str],
    since: str | None,
    until: str | None,
    json_output: bool,
    database_url: str | None,
    *numbers: Any,
) -> None:
    import datetime as dt

    from kefu.cli.report_cmd import _settings_url
    from kefu.cli.schedule_store import plan_from_store
    from kefu.domain.errors import KefuError
    from kefu.workforce.plan import PlanRequest

    interval, horizon, sl, threshold, patience, shrinkage, time_limit = numbers
    try:
        last = dt.date.fromisoformat(until) if until else None
        first = dt.date.fromisoformat(since) if since else None
        request = PlanRequest(
            interval_minutes=interval,
            horizon_days=horizon,
            service_level=sl,
            threshold_s=threshold,
            patience_s=patience,
            shrinkage=shrinkage,
            time_limit_s=time_limit or 20.0,
        )
    except ValueError as exc:
        raise _fail(f"bad date 日期无效: {exc}") from None
    except KefuError as exc:
        raise _fail(exc.message) from None
    url, schema = (database_url, None) if database_url is not None else _settings_url()
    plan_from_store(url, schema, site, queues, first, last, request, json_output)


def _solve(
    required: tuple[float, ...], interval_s: int, spec: ShiftSpec, first_weekday: int, quiet: bool
) -> ScheduleResult:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from kefu.workforce.schedule import solve_schedule

    progress = Progress(
        SpinnerColumn(),
        TextColumn("Solving 求解中 ({task.completed:.0f}/{task.total:.0f} parts 子问题)"),
        BarColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=quiet,
    )
    with progress:
        task = progress.add_task("solve", total=1)

        def on_progress(done: int, total: int, _elapsed: float) -> None:
            progress.update(task, completed=done, total=total)

        return solve_schedule(
            required,
            interval_s,
            spec.shift_types,
            spec.options,
            first_weekday=first_weekday,
            on_progress=on_progress,
        )


def _write(folder: Path, result: ScheduleResult, origin: datetime | None) -> dict[str, str]:
    import csv

    from kefu.workforce.schedule_io import assignment_rows, interval_rows, summary

    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "intervals_csv": folder / "schedule-intervals.csv",
        "shifts_csv": folder / "schedule-shifts.csv",
        "json": folder / "schedule.json",
        "chart_png": folder / "schedule.png",
    }
    for key, rows in (
        ("intervals_csv", interval_rows(result, origin)),
        ("shifts_csv", assignment_rows(result, origin)),
    ):
        with files[key].open("w", newline="", encoding="utf-8") as handle:
            fields = list(rows[0]) if rows else ["shift", "agents"]
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
    document = {
        "summary": summary(result),
        "intervals": interval_rows(result, origin),
        "shifts": assignment_rows(result, origin),
    }
    files["json"].write_text(json.dumps(document, ensure_ascii=False, indent=2), "utf-8")
    _chart(files["chart_png"], result, origin)
    return {k: str(v) for k, v in files.items()}


def _cjk_font() -> str | None:
    from matplotlib import font_manager

    available = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in _CJK_FONTS if name in available), None)


def _chart(path: Path, result: ScheduleResult, origin: datetime | None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    cjk = _cjk_font()

    def text(english: str, chinese: str) -> str:
        # Without a Chinese font the glyphs would print as empty boxes.
        return f"{english} {chinese}" if cjk else english

    hours = (
        np.array(
            [c.start_s for c in result.intervals] + [len(result.intervals) * result.interval_s]
        )
        / 3600
    )
    required = np.array([c.required for c in result.intervals])
    scheduled = np.array([c.scheduled for c in result.intervals])
    with plt.rc_context({"font.family": ["DejaVu Sans", cjk] if cjk else ["DejaVu Sans"]}):
        fig, ax = plt.subplots(figsize=(max(8.0, min(24.0, len(required) / 16)), 4.5))
        ax.stairs(required, hours, label=text("Required", "需求"), color="tab:red", lw=1.5)
        ax.stairs(scheduled, hours, label=text("Scheduled", "排班"), color="tab:blue", lw=1.5)
        ax.fill_between(
            hours[:-1], required, scheduled, where=scheduled < required, step="post",
            color="tab:red", alpha=0.25, label=text("Under", "缺员"),
        )  # fmt: skip
        ax.fill_between(
            hours[:-1], required, scheduled, where=scheduled > required, step="post",
            color="tab:blue", alpha=0.15, label=text("Over", "超员"),
        )  # fmt: skip
        days = int(np.ceil(hours[-1] / 24))
        if days > 1:
            for d in range(1, days):
                ax.axvline(24 * d, color="grey", lw=0.5, ls=":")
        start = f" — {origin:%Y-%m-%d}" if origin is not None else ""
        ax.set_title(text("Requirement vs scheduled per interval", "各时段需求与排班") + start)
        ax.set_xlabel(text("Hours from the first midnight", "自首日零点起的小时数"))
        ax.set_ylabel(text("Agents", "座席数"))
        ax.set_xlim(hours[0], hours[-1])
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper right", fontsize="small")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)


def _print_json(result: ScheduleResult, origin: datetime | None, files: dict[str, str]) -> None:
    from kefu.workforce.schedule_io import assignment_rows, interval_rows, summary

    document = {
        "summary": summary(result),
        "files": files,
        "shifts": assignment_rows(result, origin),
        "intervals": interval_rows(result, origin),
    }
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2))


def _print_tables(result: ScheduleResult, files: dict[str, str]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title="Schedule 排班结果")
    table.add_column("Metric 指标")
    table.add_column("Value 值", justify="right")
    rows = [
        ("Status 状态", result.status),
        ("Cost 成本", f"{result.cost:,.2f}"),
        ("Objective 目标值", f"{result.objective:,.2f}"),
        ("Bound 下界", f"{result.best_bound:,.2f}"),
        ("Gap 间隙", f"{result.gap:.2%}"),
        ("Paid hours 带薪工时", f"{result.paid_hours:,.1f}"),
        ("Shifts worked 班次人次", f"{result.agents:,}"),
        ("Under agent-hours 缺员人时", f"{result.under_agent_hours:,.1f}"),
        ("Over agent-hours 超员人时", f"{result.over_agent_hours:,.1f}"),
        ("Understaffed intervals 缺员时段", f"{result.understaffed_intervals}"),
        ("Shift types 班次类型", f"{result.num_shift_types}"),
        ("Solve time 求解时间", f"{result.wall_time_s:.1f} s"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)

    by_type: dict[str, tuple[int, float]] = {}
    for a in result.assignments:
        agents, hours = by_type.get(a.shift, (0, 0.0))
        by_type[a.shift] = (agents + a.agents, hours + a.paid_hours)
    shifts = Table(title="Shifts used 使用的班次")
    shifts.add_column("Shift type 班次")
    shifts.add_column("Agent-days 人天", justify="right")
    shifts.add_column("Paid hours 带薪工时", justify="right")
    for name, (agents, hours) in sorted(by_type.items(), key=lambda kv: -kv[1][1]):
        shifts.add_row(name, f"{agents:,}", f"{hours:,.1f}")
    console.print(shifts)
    for label, path in (
        ("Intervals 时段", files["intervals_csv"]),
        ("Shifts 班次", files["shifts_csv"]),
        ("JSON", files["json"]),
        ("Chart 图表", files["chart_png"]),
    ):
        console.print(f"{label}: {path}", highlight=False, soft_wrap=True)
