"""What ``kefu forecast run`` prints and writes: per-queue JSON records, forecast and backtest
tables (English and Simplified Chinese) and the backtest frame behind ``backtest.csv``."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Sequence

    import pandas as pd

    from kefu.workforce.forecast import BacktestResult, Event, Forecast, ForecastModel

__all__ = ["backtest_frame", "print_backtest", "print_queue", "queue_json"]

_WEEKDAYS = ("Mon 周一", "Tue 周二", "Wed 周三", "Thu 周四", "Fri 周五", "Sat 周六", "Sun 周日")


def _num(value: float, digits: int = 4) -> float | None:
    """A JSON-safe rounded number (NaN → null)."""
    return None if math.isnan(value) else round(float(value), digits)


def _pct(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.1%}"


def _missing_days(history: pd.Series) -> list[str]:
    """Days of the history with no data at all (ISO dates)."""
    import pandas as pd

    days = history.groupby(pd.DatetimeIndex(history.index).normalize()).count()
    return [f"{day:%Y-%m-%d}" for day in days.index[(days == 0).to_numpy()]]


def queue_json(
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
            "missing_days": _missing_days(history),
        },
        "model": {
            "window_start": model.start.isoformat(),
            "event_uplift": {k: _num(v) for k, v in model.event_uplift.items()},
            "closed_events": list(model.closed_labels),
            "dispersion": _num(model.dispersion),
            "converged": model.converged,
            "excluded_days": {
                "missing": [d.isoformat() for d in model.special_days.missing],
                "declared_holidays": [d.isoformat() for d in model.special_days.declared],
                "detected_holidays": [d.isoformat() for d in model.special_days.detected],
            },
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


def _dates(days: Any) -> str:
    return ", ".join(f"{day:%Y-%m-%d}" for day in days)


def print_queue(
    console: Any,
    queue: str,
    model: ForecastModel,
    fc: Forecast,
    events: list[Event],
    history: pd.Series | None = None,
    holidays: Sequence[dt.date] = (),
) -> None:
    import pandas as pd
    from rich.table import Table

    table = Table(title=f"Forecast 预测 — {queue}", title_justify="left")
    for name in ("Date 日期", "Weekday 星期", "Contacts 来电量", "Peak 峰值", "Peak at 高峰时段"):
        table.add_column(name, justify="right" if name.startswith(("Con", "Peak ")) else "left")
    table.add_column("Events 事件")
    by_day: dict[Any, list[str]] = {}
    for event in events:
        by_day.setdefault(event.day, []).append(event.label)
    days = fc.index.normalize()
    ahead = sorted({d for d in holidays if (days == pd.Timestamp(d)).any()})
    for day in ahead:
        by_day.setdefault(day, []).append("holiday 节假日")
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
    missing = _missing_days(history) if history is not None else []
    if missing:
        console.print(
            f"[yellow]Missing days 缺失日[/] ({len(missing)}, not read as 0 contacts 未按 0 计): "
            + ", ".join(missing),
            highlight=False,
        )
    if ahead:
        console.print(
            "[yellow]Holidays in the forecast are forecast as ordinary days "
            "预测期内的节假日按普通日预测[/]; label them as events (--event DATE:LABEL) to "
            "learn their level "
            "以事件标注可学习其话务水平",
            highlight=False,
        )
    special = model.special_days
    if special.declared:
        console.print(
            f"Holidays left out 已排除节假日: {_dates(special.declared)}", highlight=False
        )
    if special.detected:
        console.print(
            "Detected holidays left out 识别并排除的节假日 (< 50 % of the weekday's median "
            f"低于同星期中位数一半): {_dates(special.detected)}",
            highlight=False,
        )
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


def print_backtest(console: Any, queue: str, result: BacktestResult) -> None:
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
        "Floor WAPE 下限",
        "vs floor 对下限",
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
        floor = "—" if math.isnan(s.floor_ratio) else f"{s.floor_ratio:.2f}"
        table.add_row(
            label,
            _pct(s.model.wape),
            _pct(s.baseline.wape),
            ratio,
            _pct(s.floor_wape),
            floor,
            _pct(s.model.mape),
            _pct(s.baseline.mape),
        )
    console.print(table)
    console.print(
        "Floor 噪声下限: the WAPE of a forecaster that knows each interval's Poisson mean "
        "已知每时段泊松均值时的最小误差",
        highlight=False,
    )
    if result.skipped_days:
        console.print(
            f"Not scored 未评分 (missing or holidays 缺失或节假日): {_dates(result.skipped_days)}",
            highlight=False,
        )


def backtest_frame(results: dict[str, BacktestResult]) -> pd.DataFrame:
    import pandas as pd

    rows = [
        {"queue": queue, **score.to_dict()}
        for queue, result in results.items()
        for score in (*result.by_horizon, result.overall)
    ]
    return pd.DataFrame(rows)
