"""Rolling-origin backtest of the interval forecaster against a seasonal-naive baseline.

At each origin (a midnight) the model is fitted on the history before it and forecasts the
next ``horizon_days`` days; the baseline forecasts each interval as the same interval one
week earlier (for horizons past a week, the last observed week repeated). Errors per
horizon day (day 1 = the first 24 hours after the origin), pooled over origins:

* WAPE = Σ|actual − forecast| / Σ actual;
* MAPE = mean of |actual − forecast| / actual over intervals with actual > 0;
* the Poisson noise floor of the WAPE = Σ E|N − λ| / Σ actual, with N ~ Poisson(λ) and λ the
  model's forecast: the WAPE the ideal forecaster, who knows each interval's true mean,
  still makes on average on Poisson arrivals. ``floor_ratio`` = model WAPE / floor (1 is
  the best possible; real traffic, whose daily level also varies, stays above it).

Missing intervals (NaN) and holidays are not scored.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from kefu.workforce.forecast_model import fit_model
from kefu.workforce.forecast_types import (
    MIN_HISTORY_DAYS,
    Event,
    ForecastConfig,
    ForecastError,
    check_history,
)

__all__ = [
    "BacktestPath",
    "BacktestResult",
    "HorizonScore",
    "Score",
    "backtest",
    "mape",
    "poisson_mae",
    "seasonal_naive",
    "wape",
]

_DAY = pd.Timedelta(days=1)
_WEEK = pd.Timedelta(days=7)

FloatArray = NDArray[np.float64]


def _json_number(value: float) -> float | None:
    return None if math.isnan(value) else round(float(value), 6)


def wape(actual: FloatArray, forecast: FloatArray) -> float:
    """Σ|a − f| / Σa; NaN when there were no contacts."""
    total = float(np.sum(actual))
    return float(np.sum(np.abs(actual - forecast))) / total if total > 0 else math.nan


def mape(actual: FloatArray, forecast: FloatArray) -> float:
    """Mean of |a − f| / a over intervals with a > 0; NaN when there are none."""
    busy = actual > 0
    if not busy.any():
        return math.nan
    return float(np.mean(np.abs(actual[busy] - forecast[busy]) / actual[busy]))


def poisson_mae(mean: FloatArray) -> FloatArray:
    """E|N − λ| for N ~ Poisson(λ), per λ in ``mean``: 2 e^−λ λ^(k+1) / k! with k = ⌊λ⌋."""
    from scipy.special import gammaln

    lam = np.asarray(mean, dtype=np.float64)
    out = np.zeros_like(lam)
    pos = lam > 0
    k = np.floor(lam[pos])
    out[pos] = 2.0 * np.exp(-lam[pos] + (k + 1.0) * np.log(lam[pos]) - gammaln(k + 1.0))
    return out


def seasonal_naive(history: pd.Series, index: pd.DatetimeIndex) -> FloatArray:
    """Each interval of ``index`` (after the history) forecast as the same interval of the
    last observed week: one week earlier, or two for the second week ahead, and so on;
    where that week is missing (NaN), the week before it, up to eight weeks back."""
    step = history.index[1] - history.index[0] if len(history) > 1 else pd.Timedelta(0)
    end = history.index[-1] + step
    weeks_back = np.maximum(np.floor((index - end) / _WEEK).astype(np.int64) + 1, 1)
    values = np.full(len(index), np.nan)
    for extra in range(8):
        gap = np.isnan(values)
        if not gap.any():
            break
        source = index[gap] - pd.to_timedelta(7 * (weeks_back[gap] + extra), unit="D")
        values[gap] = history.reindex(source).to_numpy(dtype=np.float64)
    if np.isnan(values).any():
        raise ForecastError("the seasonal-naive baseline needs a full week of history")
    return values


@dataclass(frozen=True)
class Score:
    """WAPE and MAPE (fractions: 0.12 = 12 %) of one forecast over some intervals."""

    wape: float
    mape: float


@dataclass(frozen=True)
class HorizonScore:
    """Model and baseline errors over ``intervals`` intervals of one horizon day.

    ``horizon_day`` is 1.. for one day after the origins, 0 for all days together;
    ``actual`` is the total of contacts scored; ``floor_wape`` the Poisson noise floor of the
    WAPE (module doc).
    """

    horizon_day: int
    intervals: int
    actual: float
    model: Score
    baseline: Score
    floor_wape: float = math.nan

    @property
    def floor_ratio(self) -> float:
        """Model WAPE / its Poisson noise floor (1: as good as any forecaster can be)."""
        if not self.floor_wape > 0:
            return math.nan
        return self.model.wape / self.floor_wape

    @property
    def wape_ratio(self) -> float:
        """Model WAPE / baseline WAPE (below 1: the model is better)."""
        if not self.baseline.wape > 0:
            return math.nan
        return self.model.wape / self.baseline.wape

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record (NaN → None)."""
        return {
            "horizon_day": self.horizon_day,
            "intervals": self.intervals,
            "actual": _json_number(self.actual),
            "model_wape": _json_number(self.model.wape),
            "model_mape": _json_number(self.model.mape),
            "baseline_wape": _json_number(self.baseline.wape),
            "baseline_mape": _json_number(self.baseline.mape),
            "wape_ratio": _json_number(self.wape_ratio),
            "floor_wape": _json_number(self.floor_wape),
            "floor_ratio": _json_number(self.floor_ratio),
        }


@dataclass(frozen=True, eq=False)
class BacktestPath:
    """Actual, model and baseline per interval after the last origin (read-only arrays)."""

    index: pd.DatetimeIndex
    actual: FloatArray
    model: FloatArray
    baseline: FloatArray


@dataclass(frozen=True)
class BacktestResult:
    """Scores per horizon day (``by_horizon``), over all days (``overall``) and over event
    days only (``event_days``, None without events in the tested days); ``skipped_days``
    are the tested days not scored (missing or declared holidays)."""

    horizon_days: int
    window_days: int
    origins: tuple[pd.Timestamp, ...]
    by_horizon: tuple[HorizonScore, ...]
    overall: HorizonScore
    event_days: HorizonScore | None
    last: BacktestPath
    skipped_days: tuple[dt.date, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record of the scores (without the last origin's path)."""
        return {
            "horizon_days": self.horizon_days,
            "window_days": self.window_days,
            "origins": [origin.isoformat() for origin in self.origins],
            "by_horizon": [score.to_dict() for score in self.by_horizon],
            "overall": self.overall.to_dict(),
            "event_days": self.event_days.to_dict() if self.event_days else None,
            "skipped_days": [day.isoformat() for day in self.skipped_days],
        }


class _Tally:
    """Running sums for WAPE and MAPE of a model and the baseline."""

    def __init__(self) -> None:
        self.intervals = 0
        self.actual = 0.0
        self.abs_err = np.zeros(2)
        self.pct_err = np.zeros(2)
        self.busy = 0
        self.floor = 0.0

    def add(self, actual: FloatArray, model: FloatArray, baseline: FloatArray) -> None:
        scored = ~np.isnan(actual)
        actual, model, baseline = actual[scored], model[scored], baseline[scored]
        self.floor += float(poisson_mae(model).sum())
        busy = actual > 0
        self.intervals += actual.size
        self.actual += float(actual.sum())
        self.busy += int(busy.sum())
        for i, fc in enumerate((model, baseline)):
            self.abs_err[i] += float(np.abs(actual - fc).sum())
            self.pct_err[i] += float((np.abs(actual[busy] - fc[busy]) / actual[busy]).sum())

    def score(self, horizon_day: int) -> HorizonScore:
        def one(i: int) -> Score:
            w = self.abs_err[i] / self.actual if self.actual > 0 else math.nan
            m = self.pct_err[i] / self.busy if self.busy else math.nan
            return Score(wape=float(w), mape=float(m))

        floor = self.floor / self.actual if self.actual > 0 else math.nan
        return HorizonScore(horizon_day, self.intervals, self.actual, one(0), one(1), floor)


def _origins(
    series: pd.Series, step: pd.Timedelta, horizon_days: int, origins: int, step_days: int
) -> list[pd.Timestamp]:
    end = series.index[-1] + step
    last = end.normalize() - horizon_days * _DAY
    first = last - (origins - 1) * step_days * _DAY
    need = MIN_HISTORY_DAYS
    have = (first - series.index[0]) / _DAY
    if have < need:
        total = need + horizon_days + (origins - 1) * step_days
        raise ForecastError(
            f"too little history for this backtest: need about {total} days "
            f"({need} before the first origin + {origins} origins every {step_days} "
            f"day(s) + a {horizon_days}-day horizon), got {(end - series.index[0]) / _DAY:.1f}",
            days=float((end - series.index[0]) / _DAY),
        )
    return [first + i * step_days * _DAY for i in range(origins)]


def backtest(
    history: pd.Series,
    horizon_days: int = 7,
    origins: int = 7,
    step_days: int = 1,
    config: ForecastConfig | None = None,
    events: Iterable[Event] = (),
    on_origin: Callable[[int, int], None] | None = None,
    holidays: Iterable[dt.date] = (),
) -> BacktestResult:
    """Rolling-origin backtest on ``history`` (contacts per interval).

    ``origins`` origins ``step_days`` apart, the last one ``horizon_days`` before the end of
    the last whole day. With the defaults (7 origins a day apart) every horizon day is
    scored on each weekday once. ``on_origin(done, total)`` is called after each origin.
    ``holidays`` are left out of the fits and of the scores, as are missing days.
    """
    if horizon_days < 1:
        raise ValueError(f"horizon_days must be >= 1, got {horizon_days}")
    if origins < 1:
        raise ValueError(f"origins must be >= 1, got {origins}")
    if step_days < 1:
        raise ValueError(f"step_days must be >= 1, got {step_days}")
    cfg = config or ForecastConfig()
    series = check_history(history, cfg.interval_minutes)
    event_list = tuple(events)
    event_days = pd.DatetimeIndex(sorted({pd.Timestamp(e.day) for e in event_list}))
    holiday_list = tuple(holidays)
    off = pd.DatetimeIndex(series.index).normalize().isin(pd.DatetimeIndex(holiday_list))
    series = series.mask(np.asarray(off, dtype=np.bool_))
    starts = _origins(series, cfg.step, horizon_days, origins, step_days)
    tallies = [_Tally() for _ in range(horizon_days)]
    overall, on_events = _Tally(), _Tally()
    path: BacktestPath | None = None
    for done, origin in enumerate(starts, start=1):
        past = series[series.index < origin]
        test = series[(series.index >= origin) & (series.index < origin + horizon_days * _DAY)]
        times = pd.DatetimeIndex(test.index)
        model = fit_model(past, cfg, event_list, holiday_list).predict(times)
        baseline = seasonal_naive(past, times)
        actual = test.to_numpy(dtype=np.float64)
        day = np.asarray((times - origin) // _DAY, dtype=np.int64)
        for h, tally in enumerate(tallies):
            on = day == h
            tally.add(actual[on], model.mean[on], baseline[on])
        overall.add(actual, model.mean, baseline)
        on_event = np.asarray(times.normalize().isin(event_days), dtype=np.bool_)
        if on_event.any():
            on_events.add(actual[on_event], model.mean[on_event], baseline[on_event])
        path = BacktestPath(times, actual, model.mean, baseline)
        if on_origin is not None:
            on_origin(done, len(starts))
    if path is None:  # unreachable: origins >= 1
        raise RuntimeError("backtest ran no origin")
    for values in (path.actual, path.baseline):
        values.flags.writeable = False
    tested = series[series.index >= starts[0]]
    totals = tested.groupby(pd.DatetimeIndex(tested.index).normalize()).count()
    skipped = tuple(day.date() for day in totals.index[(totals == 0).to_numpy()])
    return BacktestResult(
        horizon_days=horizon_days,
        window_days=cfg.window_days,
        origins=tuple(starts),
        by_horizon=tuple(t.score(h) for h, t in enumerate(tallies, start=1)),
        overall=overall.score(0),
        event_days=on_events.score(0) if on_events.intervals else None,
        last=path,
        skipped_days=skipped,
    )
