"""``kefu forecast``: interval forecasts of contact volume, backtests and sample histories."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from kefu.cli.app import app
from kefu.cli.forecast_output import backtest_frame, print_backtest, print_queue, queue_json

if TYPE_CHECKING:
    from kefu.workforce.forecast import BacktestResult, Event, Forecast, ForecastModel

__all__ = ["forecast_app"]

forecast_app = typer.Typer(
    name="forecast",
    help=(
        "Interval forecasts of contact volume with weekly seasonality and event days; "
        "backtests against the seasonal-naive baseline and the Poisson noise floor.\n\n"
        "来电量时段预测（周/日季节性与事件日），并与季节性朴素基线及泊松噪声下限回测比较。"
    ),
    no_args_is_help=True,
)
app.add_typer(forecast_app, name="forecast")

_INTERVALS = (5, 15, 30, 60)
_INTERVAL_TEXT = "5, 15, 30 or 60"


def _fail(message: str, code: int = 2) -> typer.Exit:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True).print(
        f"[bold red]error 错误:[/] {escape(message)}", highlight=False, soft_wrap=True
    )
    return typer.Exit(code)


def _holidays(items: list[str], path: Path | None) -> list[dt.date]:
    from kefu.workforce.forecast import load_holidays, parse_holiday

    out = [parse_holiday(item) for item in items]
    if path is not None:
        out += load_holidays(path)
    return out


def _zone(name: str | None) -> str | None:
    """The site's IANA time zone name, checked."""
    if name is None:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (use an IANA name: Asia/Shanghai)") from exc
    return name


def _events(items: list[str], path: Path | None) -> list[Event]:
    from kefu.workforce.forecast import load_events, parse_event

    out = [parse_event(item) for item in items]
    if path is not None:
        out += load_events(path)
    return out


@forecast_app.command("run")
def run(
    history: Path = typer.Argument(
        ...,
        help="History CSV: interval_start,contacts[,queue] or timestamp per contact. 历史数据",
        show_default=False,
    ),
    interval: int = typer.Option(
        30, "--interval", help="Interval, minutes: 5, 15, 30 or 60. 时段（分钟）"
    ),
    horizon: int = typer.Option(
        7, "--horizon", min=1, help="Whole days to forecast from the next midnight. 预测天数"
    ),
    tz: str | None = typer.Option(
        None,
        "--tz",
        help="Site time zone (IANA, e.g. Asia/Shanghai) for times with a UTC offset and "
        "the horizon's days. 站点时区",
    ),
    holiday: list[str] = typer.Option(
        [], "--holiday", help="Holiday YYYY-MM-DD, left out of the fit; repeatable. 节假日"
    ),
    holidays_file: Path | None = typer.Option(
        None, "--holidays", help="Holidays CSV with a date column. 节假日文件"
    ),
    detect_holidays: bool = typer.Option(
        True,
        "--detect-holidays/--no-detect-holidays",
        help="Leave out days below half their weekday's median. 自动识别节假日",
    ),
    event: list[str] = typer.Option(
        [], "--event", help="Event day DATE:LABEL, repeatable (2026-03-01:billing). 事件日"
    ),
    events: Path | None = typer.Option(None, "--events", help="Events CSV date,event. 事件文件"),
    run_backtest: bool = typer.Option(
        False, "--backtest", help="Rolling-origin backtest vs seasonal naive. 回测"
    ),
    origins: int = typer.Option(
        7, "--origins", min=1, help="Backtest origins, a day apart. 起点数"
    ),
    window: int = typer.Option(56, "--window", min=14, help="Days of history to fit. 拟合窗口"),
    level: float = typer.Option(0.8, "--level", help="Prediction interval level. 预测区间"),
    trend: bool = typer.Option(False, "--trend", help="Fit a weekly trend. 拟合趋势"),
    half_life: float | None = typer.Option(
        None, "--half-life", help="Weight history by this half-life, days. 半衰期（天）"
    ),
    queue: str | None = typer.Option(
        None, "--queue", help="Queue to forecast, or name of a queue-less history. 队列"
    ),
    aht: float | None = typer.Option(
        None, "--aht", help="Average handling time, s, for the aht_s column. 平均处理时长（秒）"
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Output folder (default out/<name>-forecast). 输出目录"
    ),
    json_output: bool = typer.Option(False, "--json", help="Print JSON. 输出 JSON"),
) -> None:
    """Forecast contacts per interval; writes forecast.csv (kefu staff input) and a chart.
    预测每时段来电量，输出 forecast.csv（可用于 kefu staff）与图表。"""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn

    from kefu.workforce.forecast import (
        ChartInput,
        ForecastConfig,
        backtest,
        fit_model,
        load_history,
        render_forecast_chart,
        staffing_frame,
    )

    if interval not in _INTERVALS:
        raise _fail(f"--interval must be {_INTERVAL_TEXT} minutes, got {interval}")
    if aht is not None and not aht > 0:
        raise _fail(f"--aht must be > 0 seconds, got {aht}")
    try:
        config = ForecastConfig(
            interval_minutes=interval,
            window_days=window,
            trend=trend,
            half_life_days=half_life,
            level=level,
            holiday_ratio=0.5 if detect_holidays else None,
        )
        event_list = _events(event, events)
        holiday_list = _holidays(holiday, holidays_file)
        zone = _zone(tz)
        histories = load_history(history, interval, queue, zone)
    except (ValueError, OSError) as exc:
        raise _fail(str(exc)) from exc

    err = Console(stderr=True)
    fitted: dict[str, tuple[ForecastModel, Forecast]] = {}
    results: dict[str, BacktestResult] = {}
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("Fitting 拟合", total=len(histories))
        try:
            for name, series in histories.items():
                model = fit_model(series, config, event_list, holiday_list)
                fitted[name] = (model, model.forecast(horizon, zone))
                progress.advance(task)
                if run_backtest:
                    bt = progress.add_task(f"Backtest 回测 {name}", total=origins)

                    def step(done: int, total: int, bt: TaskID = bt) -> None:
                        progress.update(bt, completed=done, total=total)

                    results[name] = backtest(
                        series,
                        horizon_days=horizon,
                        origins=origins,
                        config=config,
                        events=event_list,
                        on_origin=step,
                        holidays=holiday_list,
                    )
        except ValueError as exc:
            raise _fail(f"{name}: {exc}") from exc

    folder = out or Path("out") / f"{history.stem}-forecast"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        files = {"forecast_csv": folder / "forecast.csv", "chart_png": folder / "forecast.png"}
        frame = staffing_frame(((q, fc) for q, (_, fc) in fitted.items()), aht)
        frame.to_csv(files["forecast_csv"], index=False)
        if results:
            files["backtest_csv"] = folder / "backtest.csv"
            backtest_frame(results).to_csv(files["backtest_csv"], index=False)
        charts = [
            ChartInput(q, histories[q], m.fitted, fc, results.get(q))
            for q, (m, fc) in fitted.items()
        ]
        render_forecast_chart(files["chart_png"], charts)
    except OSError as exc:
        raise _fail(f"cannot write to {folder}: {exc}") from exc

    if json_output:
        payload = {
            "interval_minutes": interval,
            "horizon_days": horizon,
            "time_zone": zone,
            "holidays": [day.isoformat() for day in holiday_list],
            "queues": [
                queue_json(q, histories[q], m, fc, results.get(q)) for q, (m, fc) in fitted.items()
            ],
            "files": {k: str(v) for k, v in files.items()},
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    console = Console()
    for q, (m, fc) in fitted.items():
        print_queue(console, q, m, fc, event_list, histories[q], holiday_list)
        if q in results:
            print_backtest(console, q, results[q])
    if aht is None:
        console.print("Tip 提示: pass --aht SECONDS to fill aht_s for kefu staff. 用 --aht 填写。")
    for label, path in files.items():
        console.print(f"Wrote 已写入 {label}: {path}", highlight=False)


@forecast_app.command("generate")
def generate(
    out: Path = typer.Option(..., "--out", help="CSV file to write. 输出文件", show_default=False),
    days: int = typer.Option(56, "--days", min=1, help="Days of history. 天数"),
    start: str = typer.Option("2026-01-05", "--start", help="First day, YYYY-MM-DD. 起始日期"),
    interval: int = typer.Option(
        30, "--interval", help="Interval, minutes: 5, 15, 30 or 60. 时段（分钟）"
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed. 随机种子"),
    daily_volume: float = typer.Option(
        2000.0, "--daily-volume", min=0.0, help="Mean contacts of a Wednesday. 日均来电量"
    ),
    trend: float = typer.Option(0.0, "--trend", help="Growth per week (0.02 = 2 %). 周增长率"),
    noise: float = typer.Option(
        0.05, "--day-noise", min=0.0, help="Day-to-day noise (coefficient of variation). 日波动"
    ),
    billing_day: int | None = typer.Option(
        None, "--billing-day", min=1, max=31, help="Monthly billing surge on this day. 账单日"
    ),
    event: list[str] = typer.Option([], "--event", help="Surge day DATE:LABEL, repeatable. 事件日"),
    uplift: float = typer.Option(1.6, "--uplift", min=0.0, help="Surge multiplier. 事件增幅"),
    queue: str | None = typer.Option(None, "--queue", help="Add a queue column. 队列名"),
    events_out: Path | None = typer.Option(
        None, "--events-out", help="Events CSV (default <out>_events.csv). 事件文件"
    ),
    json_output: bool = typer.Option(False, "--json", help="Print JSON. 输出 JSON"),
) -> None:
    """Write a realistic sample contact history (and its event days) to CSV.
    生成逼真的示例来电历史（及事件日）。"""
    import pandas as pd

    from kefu.workforce.forecast import generate_history, monthly_events, parse_event

    if interval not in _INTERVALS:
        raise _fail(f"--interval must be {_INTERVAL_TEXT} minutes, got {interval}")
    try:
        event_list = [parse_event(item) for item in event]
        if billing_day is not None:
            # Four weeks past the history too, so a forecast knows the next billing day.
            event_list += monthly_events(start, days + 28, billing_day, "billing")
        series = generate_history(
            start,
            days,
            interval,
            seed,
            daily_volume=daily_volume,
            trend_per_week=trend,
            day_noise_cv=noise,
            events=event_list,
            event_uplift=uplift,
        )
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    frame = series.reset_index()
    frame["interval_start"] = frame["interval_start"].dt.strftime("%Y-%m-%d %H:%M:%S")
    if queue:
        frame["queue"] = queue
    files = {"history_csv": out}
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(out, index=False)
        if event_list:
            files["events_csv"] = events_out or out.with_name(f"{out.stem}_events.csv")
            pd.DataFrame(
                {
                    "date": [e.day.isoformat() for e in event_list],
                    "event": [e.label for e in event_list],
                }
            ).to_csv(files["events_csv"], index=False)
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc}") from exc
    summary = {
        "days": days,
        "interval_minutes": interval,
        "intervals": len(series),
        "contacts": int(series.sum()),
        "events": len(event_list),
        "files": {k: str(v) for k, v in files.items()},
    }
    if json_output:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    from rich.console import Console

    Console().print(
        f"Wrote 已写入 {summary['intervals']} intervals 时段, {summary['contacts']:,} contacts "
        f"来电 over {days} days 天 → {out}"
        + (f"; events 事件 → {files['events_csv']}" if "events_csv" in files else ""),
        highlight=False,
    )
