"""``kefu forecast``: interval forecasts of contact volume, backtests and sample histories."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kefu.cli.app import app

if TYPE_CHECKING:
    import pandas as pd

    from kefu.workforce.forecast import BacktestResult, Event, Forecast, ForecastModel

__all__ = ["forecast_app"]

forecast_app = typer.Typer(
    name="forecast",
    help=(
        "Interval forecasts of contact volume with weekly seasonality and event days; "
        "backtests against the seasonal-naive baseline.\n\n"
        "来电量时段预测（周/日季节性与事件日），并与季节性朴素基线回测比较。"
    ),
    no_args_is_help=True,
)
app.add_typer(forecast_app, name="forecast")

_INTERVALS = (15, 30, 60)
_WEEKDAYS = ("Mon 周一", "Tue 周二", "Wed 周三", "Thu 周四", "Fri 周五", "Sat 周六", "Sun 周日")


def _fail(message: str, code: int = 2) -> typer.Exit:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True).print(
        f"[bold red]error 错误:[/] {escape(message)}", highlight=False, soft_wrap=True
    )
    return typer.Exit(code)


def _num(value: float, digits: int = 4) -> float | None:
    """A JSON-safe rounded number (NaN → null)."""
    return None if math.isnan(value) else round(float(value), digits)


def _pct(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.1%}"


def _events(items: list[str], path: Path | None) -> list[Event]:
    from kefu.workforce.forecast import load_events, parse_event

    out = [parse_event(item) for item in items]
    if path is not None:
        out += load_events(path)
    return out


def _queue_json(
    queue: str,
    history: pd.Series,
    model: ForecastModel,
    fc: Forecast,
    result: BacktestResult | None,
) -> dict[str, Any]:
    daily = fc.daily_totals()
    return {
        "queue": queue,
        "history": {
            "start": history.index[0].isoformat(),
            "end": model.end.isoformat(),
            "intervals": len(history),
            "contacts": _num(float(history.sum()), 3),
        },
        "model": {
            "window_start": model.start.isoformat(),
            "event_uplift": {k: _num(v) for k, v in model.event_uplift.items()},
            "closed_events": list(model.closed_labels),
            "dispersion": _num(model.dispersion),
            "converged": model.converged,
        },
        "unlearned_events": list(fc.unlearned_events),
        "daily": [
            {"date": f"{day:%Y-%m-%d}", "contacts": _num(float(total), 2)}
            for day, total in zip(daily.index, daily.to_numpy(), strict=True)
        ],
        "intervals": [
            {"interval_start": t.isoformat(), "forecast": _num(m, 3), "lower": lo, "upper": hi}
            for t, m, lo, hi in zip(fc.index, fc.mean, fc.lower, fc.upper, strict=True)
        ],
        "backtest": result.to_dict() if result else None,
    }


def _print_queue(
    console: Any, queue: str, model: ForecastModel, fc: Forecast, events: list[Event]
) -> None:
    from rich.table import Table

    table = Table(title=f"Forecast 预测 — {queue}", title_justify="left")
    for name in ("Date 日期", "Weekday 星期", "Contacts 来电量", "Peak 峰值", "Peak at 高峰时段"):
        table.add_column(name, justify="right" if name.startswith(("Con", "Peak ")) else "left")
    table.add_column("Events 事件")
    by_day: dict[Any, list[str]] = {}
    for event in events:
        by_day.setdefault(event.day, []).append(event.label)
    days = fc.index.normalize()
    for day in days.unique():
        on = days == day
        peak = int(fc.mean[on].argmax())
        table.add_row(
            day.date().isoformat(),
            _WEEKDAYS[day.weekday()],
            f"{fc.mean[on].sum():,.0f}",
            f"{fc.mean[on][peak]:.1f}",
            f"{fc.index[on][peak]:%H:%M}",
            ", ".join(sorted(by_day.get(day.date(), []))),
        )
    console.print(table)
    if model.event_uplift:
        uplifts = ", ".join(f"{k} ×{v:.2f}" for k, v in sorted(model.event_uplift.items()))
        console.print(f"Learned event uplift 事件日增幅: {uplifts}", highlight=False)
    if model.closed_labels:
        console.print(f"Closed event days 停业事件日: {', '.join(model.closed_labels)}")
    if fc.unlearned_events:
        console.print(
            "[yellow]No history for 无历史可学习的事件:[/] "
            f"{', '.join(fc.unlearned_events)} — forecast without uplift 未加增幅",
            highlight=False,
        )


def _print_backtest(console: Any, queue: str, result: BacktestResult) -> None:
    from rich.table import Table

    table = Table(
        title=f"Backtest 回测 — {queue}: {len(result.origins)} origins 起点, "
        f"window 窗口 {result.window_days} d",
        title_justify="left",
    )
    for name in (
        "Horizon day 预测日",
        "Model WAPE 模型",
        "Naive WAPE 朴素",
        "Ratio 比值",
        "Model MAPE 模型",
        "Naive MAPE 朴素",
    ):
        table.add_column(name, justify="right")
    rows = [(str(s.horizon_day), s) for s in result.by_horizon]
    rows.append(("All 全部", result.overall))
    if result.event_days is not None:
        rows.append(("Event days 事件日", result.event_days))
    for label, s in rows:
        ratio = "—" if math.isnan(s.wape_ratio) else f"{s.wape_ratio:.2f}"
        table.add_row(
            label,
            _pct(s.model.wape),
            _pct(s.baseline.wape),
            ratio,
            _pct(s.model.mape),
            _pct(s.baseline.mape),
        )
    console.print(table)


def _backtest_frame(results: dict[str, BacktestResult]) -> pd.DataFrame:
    import pandas as pd

    rows = [
        {"queue": queue, **score.to_dict()}
        for queue, result in results.items()
        for score in (*result.by_horizon, result.overall)
    ]
    return pd.DataFrame(rows)


@forecast_app.command("run")
def run(
    history: Path = typer.Argument(
        ...,
        help="History CSV: interval_start,contacts[,queue] or timestamp per contact. 历史数据",
        show_default=False,
    ),
    interval: int = typer.Option(30, "--interval", help="Interval, minutes: 15, 30 or 60. 时段"),
    horizon: int = typer.Option(7, "--horizon", min=1, help="Days to forecast. 预测天数"),
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
        raise _fail(f"--interval must be 15, 30 or 60 minutes, got {interval}")
    if aht is not None and not aht > 0:
        raise _fail(f"--aht must be > 0 seconds, got {aht}")
    try:
        config = ForecastConfig(
            interval_minutes=interval,
            window_days=window,
            trend=trend,
            half_life_days=half_life,
            level=level,
        )
        event_list = _events(event, events)
        histories = load_history(history, interval, queue)
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
                model = fit_model(series, config, event_list)
                fitted[name] = (model, model.forecast(horizon))
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
            _backtest_frame(results).to_csv(files["backtest_csv"], index=False)
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
            "queues": [
                _queue_json(q, histories[q], m, fc, results.get(q)) for q, (m, fc) in fitted.items()
            ],
            "files": {k: str(v) for k, v in files.items()},
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    console = Console()
    for q, (m, fc) in fitted.items():
        _print_queue(console, q, m, fc, event_list)
        if q in results:
            _print_backtest(console, q, results[q])
    if aht is None:
        console.print("Tip 提示: pass --aht SECONDS to fill aht_s for kefu staff. 用 --aht 填写。")
    for label, path in files.items():
        console.print(f"Wrote 已写入 {label}: {path}", highlight=False)


@forecast_app.command("generate")
def generate(
    out: Path = typer.Option(..., "--out", help="CSV file to write. 输出文件", show_default=False),
    days: int = typer.Option(56, "--days", min=1, help="Days of history. 天数"),
    start: str = typer.Option("2026-01-05", "--start", help="First day, YYYY-MM-DD. 起始日期"),
    interval: int = typer.Option(30, "--interval", help="Interval, minutes: 15, 30 or 60. 时段"),
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
        raise _fail(f"--interval must be 15, 30 or 60 minutes, got {interval}")
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
