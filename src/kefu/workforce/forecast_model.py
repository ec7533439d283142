"""Interval contact forecasts: weekday × time-of-day seasonality and event days.

The model is a Poisson generalized linear model (statsmodels ``GLM``, log link) fitted to
the contacts per interval of the last ``window_days`` of history. For interval ``i`` of day
``d``::

    log E[y] = weekday(d) + slot(i) + Σ_k weekday-specific harmonics k of slot(i)
               [+ trend · weeks] + Σ_label uplift(label) · [d is a `label` event day]

* ``slot(i)`` is one effect per interval of the day: the shared intraday shape.
* The harmonics (``harmonics`` sine/cosine pairs for each weekday but the busiest) bend that
  shape smoothly per weekday (a short Friday, a late Saturday) with far fewer parameters than
  one effect per weekday × interval; that backtests better on real call-center data.
  Sparse queues get fewer harmonics (at least two intervals with contacts per parameter,
  and fewer again if the fit breaks down); :attr:`ForecastModel.harmonics` tells how many.
* Each event label (``billing``, ``campaign`` ...) gets one multiplicative uplift learned from
  its days in history and applied on its future days.
* Weekday × interval cells with no contact in the window (a closed night) and days of a label
  that never had a contact (a closed holiday) are forecast as exactly 0 and left out of the
  fit; every other forecast is ``exp(...) > 0``, so forecasts are never negative.
* Dispersion φ = Pearson χ² / residual degrees of freedom (quasi-Poisson). Prediction
  intervals use a negative binomial with the forecast mean μ and variance φ·μ + μ²·Var(η̂).
* Missing intervals (NaN), missing days and holidays (declared or detected, see
  :mod:`kefu.workforce.forecast_days`) are left out of the fit, never read as 0 contacts.
* The forecast horizon is whole local days from the first midnight at or after the end of
  the history; in a time zone with daylight saving time, wall-clock times that do not exist
  (the hour skipped in spring) are left out, so such a day has fewer intervals.

Timestamps are naive local wall-clock times at the start of each interval.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from kefu.workforce.forecast_days import SpecialDays, find_special_days, last_day_surprise
from kefu.workforce.forecast_types import (
    MIN_HISTORY_DAYS,
    Event,
    Forecast,
    ForecastConfig,
    ForecastError,
    check_history,
    readonly,
)

__all__ = ["ForecastModel", "fit_model", "forecast"]

_DAY = pd.Timedelta(days=1)
_WEEK = pd.Timedelta(days=7)
_MAX_ETA = 50.0  # caps exp() of the linear predictor; no real interval gets near e^50

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def _day_labels(events: Iterable[Event]) -> dict[pd.Timestamp, frozenset[str]]:
    days: dict[pd.Timestamp, set[str]] = {}
    for event in events:
        days.setdefault(pd.Timestamp(event.day), set()).add(event.label)
    return {day: frozenset(labels) for day, labels in days.items()}


def _slot_dow(
    index: pd.DatetimeIndex, interval_minutes: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Interval of the day (0-based) and weekday (Monday = 0) of each time."""
    minutes = index.hour.to_numpy() * 60 + index.minute.to_numpy()
    slot = np.asarray(minutes // interval_minutes, dtype=np.int64)
    return slot, np.asarray(index.day_of_week.to_numpy(), dtype=np.int64)


def _label_mask(index: pd.DatetimeIndex, label_days: tuple[pd.Timestamp, ...]) -> BoolArray:
    return np.asarray(index.normalize().isin(pd.DatetimeIndex(label_days)), dtype=np.bool_)


@dataclass(frozen=True, eq=False)
class _Design:
    """Everything needed to build the model matrix of any index the same way."""

    interval_minutes: int
    harmonics: int
    trend: bool
    end: pd.Timestamp
    ref_slot: int
    ref_dow: int
    dead_cells: BoolArray  # weekday * slots + slot → no contact in the window
    labels: tuple[str, ...]  # labels with an uplift column
    closed_labels: tuple[str, ...]  # labels whose days never had a contact
    label_days: Mapping[str, tuple[pd.Timestamp, ...]]

    @property
    def slots(self) -> int:
        return 1440 // self.interval_minutes

    def matrix(self, index: pd.DatetimeIndex) -> FloatArray:
        slot, dow = _slot_dow(index, self.interval_minutes)
        cols: list[FloatArray] = [(dow == d).astype(np.float64) for d in range(7)]
        cols += [(slot == s).astype(np.float64) for s in range(self.slots) if s != self.ref_slot]
        angle = 2.0 * np.pi * slot / self.slots
        for d in range(7):
            if d == self.ref_dow:
                continue  # its harmonics would be a sum of the slot effects
            on_day = (dow == d).astype(np.float64)
            for k in range(1, self.harmonics + 1):
                cols += [on_day * np.sin(k * angle), on_day * np.cos(k * angle)]
        if self.trend:
            cols.append(np.asarray((index - self.end) / _WEEK, dtype=np.float64))
        for label in self.labels:
            cols.append(_label_mask(index, self.label_days[label]).astype(np.float64))
        return np.column_stack(cols)

    def dead_rows(self, index: pd.DatetimeIndex) -> BoolArray:
        slot, dow = _slot_dow(index, self.interval_minutes)
        dead = self.dead_cells[dow * self.slots + slot]
        for label in self.closed_labels:
            dead = dead | _label_mask(index, self.label_days[label])
        return np.asarray(dead, dtype=np.bool_)


def _interval(mean: FloatArray, var: FloatArray, level: float) -> tuple[FloatArray, FloatArray]:
    from scipy import stats

    q = np.array([(1.0 - level) / 2.0, (1.0 + level) / 2.0])
    lower = np.zeros_like(mean)
    upper = np.zeros_like(mean)
    over = (mean > 0) & (var > mean * (1.0 + 1e-9))
    poisson = (mean > 0) & ~over
    if over.any():
        size = mean[over] ** 2 / (var[over] - mean[over])
        prob = mean[over] / var[over]
        lower[over] = stats.nbinom.ppf(q[0], size, prob)
        upper[over] = stats.nbinom.ppf(q[1], size, prob)
    if poisson.any():
        lower[poisson] = stats.poisson.ppf(q[0], mean[poisson])
        upper[poisson] = stats.poisson.ppf(q[1], mean[poisson])
    return lower, upper


@dataclass(frozen=True, eq=False)
class ForecastModel:
    """A fitted model; :meth:`forecast` and :meth:`predict` apply it to future intervals.

    ``start``/``end`` bound the fitted window (``end`` is the first interval after history);
    ``event_uplift`` maps each learned label to its multiplier (1.6 = 60 % more contacts);
    ``closed_labels`` had no contact on any of their days and are forecast as 0;
    ``dispersion`` is the quasi-Poisson φ (1 for pure Poisson noise); ``special_days`` lists
    the days of the window left out of the fit (missing, declared and detected holidays);
    ``fitted`` is the in-sample mean contacts per interval, NaN on those days;
    ``level_day`` is the last whole day fitted and ``level_surprise`` its actual / fitted
    total, carried into the forecast by ``config.carry`` (None and 1.0 when there is none).
    """

    config: ForecastConfig
    start: pd.Timestamp
    end: pd.Timestamp
    event_uplift: Mapping[str, float]
    closed_labels: tuple[str, ...]
    dispersion: float
    converged: bool
    fitted: pd.Series
    special_days: SpecialDays
    level_day: pd.Timestamp | None
    level_surprise: float
    _design: _Design = field(repr=False)
    _params: FloatArray = field(repr=False)
    _cov: FloatArray = field(repr=False)
    _event_days: Mapping[pd.Timestamp, frozenset[str]] = field(repr=False)

    @property
    def harmonics(self) -> int:
        """Harmonics per weekday actually fitted (fewer than asked on sparse history)."""
        return self._design.harmonics

    def predict(self, index: pd.DatetimeIndex) -> Forecast:
        """Forecast the intervals starting at ``index`` (any times on the interval grid)."""
        x = self._design.matrix(index)
        eta = np.minimum(x @ self._params, _MAX_ETA)
        mean = np.exp(eta)
        if self.config.carry > 0 and self.level_day is not None:
            ahead = np.asarray((index.normalize() - self.level_day) / _DAY, dtype=np.float64)
            share = self.config.carry ** np.maximum(ahead, 1.0)
            mean = mean * np.maximum(1.0 + share * (self.level_surprise - 1.0), 0.0)
        var_eta = np.einsum("ij,jk,ik->i", x, self._cov, x)
        var = self.dispersion * mean + mean**2 * np.maximum(var_eta, 0.0)
        dead = self._design.dead_rows(index)
        mean[dead] = 0.0
        var[dead] = 0.0
        lower, upper = _interval(mean, var, self.config.level)
        known = set(self._design.labels) | set(self._design.closed_labels)
        seen = {
            label
            for day in pd.DatetimeIndex(index.normalize().unique())
            for label in self._event_days.get(day, frozenset())
        }
        return Forecast(
            index=index,
            mean=readonly(mean),
            lower=readonly(lower),
            upper=readonly(upper),
            level=self.config.level,
            event_uplift=self.event_uplift,
            unlearned_events=tuple(sorted(seen - known)),
        )

    def forecast(self, horizon_days: int, tz: dt.tzinfo | str | None = None) -> Forecast:
        """Forecast ``horizon_days`` whole local days from the first midnight at or after the
        end of the history; ``tz`` (the site's time zone) drops the wall-clock times that do
        not exist there (the hour skipped when daylight saving time starts)."""
        if horizon_days < 1:
            raise ValueError(f"horizon_days must be >= 1, got {horizon_days}")
        first = self.end.ceil("D")
        index = pd.date_range(
            first, first + horizon_days * _DAY, freq=self.config.step, inclusive="left"
        )
        if tz is not None:
            # Repeated (autumn) times are kept once: ``ambiguous`` picks one of the two.
            local = index.tz_localize(tz, nonexistent="NaT", ambiguous=np.ones(len(index), bool))
            index = index[np.asarray(local.notna(), dtype=np.bool_)]
        return self.predict(pd.DatetimeIndex(index))


@dataclass(frozen=True, eq=False)
class _Fit:
    params: FloatArray
    cov: FloatArray
    dispersion: float
    converged: bool


def _fit_glm(y: FloatArray, x: FloatArray, weights: FloatArray | None) -> _Fit | None:
    """Poisson GLM by IRLS; None when it breaks down (near-separated sparse data)."""
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM
    from threadpoolctl import threadpool_limits

    # One BLAS thread: these small solves gain nothing from threads, and on a busy machine
    # spinning BLAS threads made a fit tens of times slower.
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        # Near-empty cells make IRLS warn about tiny weights; the fit itself is fine.
        warnings.simplefilter("ignore")
        try:
            glm = GLM(y, x, family=families.Poisson(), var_weights=weights)
            result = glm.fit(scale="X2", wls_method="lstsq")
            params = np.asarray(result.params, dtype=np.float64)
            cov = np.asarray(result.cov_params(), dtype=np.float64)
        except (ValueError, np.linalg.LinAlgError):
            return None
    if not (np.isfinite(params).all() and np.isfinite(cov).all()):
        return None
    dispersion = float(result.scale)
    return _Fit(
        params,
        cov,
        max(dispersion, 1e-9) if math.isfinite(dispersion) else 1.0,
        bool(result.converged),
    )


def fit_model(
    history: pd.Series,
    config: ForecastConfig | None = None,
    events: Iterable[Event] = (),
    holidays: Iterable[dt.date] = (),
) -> ForecastModel:
    """Fit the model to the last ``config.window_days`` of ``history``.

    ``history`` holds contacts per interval (see :func:`check_history`); ``events`` may
    include future days, whose labels are applied by :meth:`ForecastModel.forecast`;
    ``holidays`` (local dates) are left out of the fit, as are missing and detected holidays.
    """
    cfg = config or ForecastConfig()
    series = check_history(history, cfg.interval_minutes)
    end = series.index[-1] + cfg.step
    train = series[series.index >= end - pd.Timedelta(days=cfg.window_days)]
    event_days = _day_labels(events)
    special = find_special_days(
        train, holidays, cfg.holiday_ratio, (day.date() for day in event_days)
    )
    skipped = pd.DatetimeIndex(train.index).normalize().isin(pd.DatetimeIndex(special.excluded))
    train = train.mask(np.asarray(skipped, dtype=np.bool_))
    observed = train.notna().to_numpy()
    span_days = observed.sum() * cfg.interval_minutes / 1440
    if span_days < MIN_HISTORY_DAYS:
        raise ForecastError(
            f"need at least {MIN_HISTORY_DAYS} days of history for the weekly seasonality, "
            f"got {span_days:.1f} (missing days and holidays do not count)",
            days=float(span_days),
        )
    design = _make_design(train, cfg, end, event_days)
    y = np.nan_to_num(train.to_numpy(dtype=np.float64))
    rows = ~design.dead_rows(train.index) & observed
    weights = None
    if cfg.half_life_days is not None:
        age_days = np.asarray((end - train.index[rows]) / _DAY, dtype=np.float64)
        weights = 0.5 ** (age_days / cfg.half_life_days)
    # Sparse queues (few contacts, many empty cells) get fewer harmonics: at least two
    # intervals with contacts per parameter, and fewer again while the fit fails.
    fit: _Fit | None = None
    for harmonics in range(cfg.harmonics, -1, -1):
        design = dataclasses.replace(design, harmonics=harmonics)
        x = design.matrix(train.index)
        cols = np.any(x[rows] != 0.0, axis=0)
        if rows.sum() < 2 * cols.sum() and harmonics > 0:
            continue
        if rows.sum() > cols.sum():
            fit = _fit_glm(y[rows], x[rows][:, cols], weights)
        if fit is not None:
            break
    if fit is None:
        raise ForecastError(
            "too little history with contacts to fit the seasonality",
            intervals=int(rows.sum()),
            parameters=int(cols.sum()),
        )
    params = np.zeros(x.shape[1])
    params[cols] = fit.params
    cov = np.zeros((x.shape[1], x.shape[1]))
    cov[np.ix_(cols, cols)] = fit.cov
    fitted = np.exp(np.minimum(x @ params, _MAX_ETA))
    fitted[~rows] = 0.0  # closed cells
    fitted[~observed] = np.nan  # missing days and holidays: no fit, never 0 contacts
    first_label = x.shape[1] - len(design.labels)
    surprise = last_day_surprise(train, pd.Series(fitted, index=train.index), cfg.slots_per_day)
    uplift = {label: math.exp(params[first_label + j]) for j, label in enumerate(design.labels)}
    return ForecastModel(
        config=cfg,
        start=train.index[0],
        end=end,
        event_uplift=MappingProxyType(uplift),
        closed_labels=design.closed_labels,
        dispersion=fit.dispersion,
        converged=fit.converged,
        fitted=pd.Series(fitted, index=train.index, name="fitted"),
        special_days=special,
        level_day=surprise[0] if surprise else None,
        level_surprise=surprise[1] if surprise else 1.0,
        _design=design,
        _params=readonly(params),
        _cov=readonly(cov),
        _event_days=MappingProxyType(event_days),
    )


def _make_design(
    train: pd.Series,
    cfg: ForecastConfig,
    end: pd.Timestamp,
    event_days: Mapping[pd.Timestamp, frozenset[str]],
) -> _Design:
    slots = cfg.slots_per_day
    slot, dow = _slot_dow(pd.DatetimeIndex(train.index), cfg.interval_minutes)
    y = np.nan_to_num(train.to_numpy(dtype=np.float64))  # missing: no contact counted
    label_days: dict[str, list[pd.Timestamp]] = {}
    for day, labels in sorted(event_days.items()):
        for label in labels:
            label_days.setdefault(label, []).append(day)
    train_days = pd.DatetimeIndex(train.index).normalize()
    live: list[str] = []
    closed: list[str] = []
    for label, days in sorted(label_days.items()):
        mask = np.asarray(train_days.isin(pd.DatetimeIndex(days)), dtype=np.bool_)
        if not mask.any():
            continue  # no day of this label in the window: nothing to learn from
        (live if y[mask].sum() > 0 else closed).append(label)
    return _Design(
        interval_minutes=cfg.interval_minutes,
        harmonics=cfg.harmonics,
        trend=cfg.trend,
        end=end,
        ref_slot=int(np.argmax(np.bincount(slot, weights=y, minlength=slots))),
        ref_dow=int(np.argmax(np.bincount(dow, weights=y, minlength=7))),
        dead_cells=np.bincount(dow * slots + slot, weights=y, minlength=7 * slots) <= 0,
        labels=tuple(live),
        closed_labels=tuple(closed),
        label_days=MappingProxyType({k: tuple(v) for k, v in label_days.items()}),
    )


def forecast(
    history: pd.Series,
    horizon_days: int,
    config: ForecastConfig | None = None,
    events: Iterable[Event] = (),
    holidays: Iterable[dt.date] = (),
    tz: dt.tzinfo | str | None = None,
) -> Forecast:
    """Fit on ``history`` and forecast the next ``horizon_days`` whole local days."""
    return fit_model(history, config, events, holidays).forecast(horizon_days, tz)
