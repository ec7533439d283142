"""Benchmark: kefu's interval forecaster against seasonal naive, statsforecast's MSTL and the
Poisson noise floor, on the Anonymous Bank's real 1999 arrivals.

Not a test. A rolling-origin backtest at 15, 30 and 60 minutes: at each origin (a midnight)
every model is fitted on the ``--window`` days before it and forecasts the next
``--horizon`` days; errors are pooled over origins and reported for the first day ahead
(day 1) and for all horizon days.

* **Data**: ``anonymous_bank_1999_arrivals_6min.csv`` (shared data beside the project).
  30 and 60 minutes add up 5 and 10 six-minute counts. 15 minutes is not a multiple of 6:
  of each half hour's five 6-minute bins, the first two go to its first quarter hour, the
  last two to its second, and the middle one (minutes 12–18) is split between them by a
  binomial draw with p = ½ (fixed seed): the arrivals of a Poisson process split at random
  stay Poisson, and whole counts keep the noise floor exact. 5 minutes cannot be made from
  6-minute counts: a smaller run bins the per-call records of February 1999
  (``anonymous_bank_1999_february.tsv``, VRU entry times) into 5 and 15 minutes and runs
  kefu's own ``backtest`` (14-day window, the last 7 days as next-day origins; 28 days are
  too few for MSTL's weekly season).
* **Special days**: the days the data flags (11–12 January imputed, 23 May altered) and the
  days below half the median of their weekday over the year (holidays and their eves,
  known in advance from the calendar) are declared holidays: kefu leaves them out of its
  fit, the other models see them filled with the same interval a week earlier, and no
  model is scored on them.
* **Metric**: WAPE = Σ|actual − forecast| / Σ actual (the mean absolute error over the
  mean count) and RMSE in contacts per interval. **Noise floor**: the error of the ideal
  forecaster who knows each interval's Poisson mean λ: Σ E|N − λ| / Σ actual for the WAPE
  and √(mean λ) for the RMSE, with λ = kefu's forecast. ``ratio`` = error / floor
  (1 is the best any forecaster can do on average).
* **Models**: kefu (``fit_model``: Poisson GLM, weekday × interval shape and harmonics);
  seasonal naive (the same interval a week before); statsforecast ``MSTL`` with daily and
  weekly seasons (its default AutoETS trend), forecasts clipped at 0; ``kefu_carry`` is
  kefu's fit with ``ForecastConfig.carry = --carry`` (0.5: the last whole day's level
  surprise carried, halved per day further on). Two references
  that are not forecasts: ``day_total`` is kefu's forecast scaled to each day's actual total
  (what knowing the day's level in advance would give), and ``hindsight`` estimates each
  interval from the actual counts of the two intervals on either side of it on the same
  day (the interval itself left out): roughly what knowing the day's own level and shape
  afterwards gives.

* **Intraday and decomposition** (see :mod:`forecast_intraday`): ``pm_*`` groups score the
  afternoons with ``intraday`` added; kefu's ratio is split into day level and the rest.

* **Sweep** (``--sweep``, kefu only): the same backtest with each of kefu's model options
  in ``SWEEP`` (weekly trend, 28-day half-life, 6 harmonics, 84-day window), to show how
  far the options move the ratio to the floor.

Run after ``make bench-setup`` (statsforecast lives in ``.venv-bench``, not in kefu)::

    PYTHONPATH=src .venv-bench/bin/python bench/forecast.py          # --no-mstl: kefu only

Prints error, floor and ratio per model and interval and writes
``bench/results/forecast-<date>.json`` (date, machine, load average, figures).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import math
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast_intraday import afternoon_reforecast, decomposition, print_decomposition
from kefu.workforce.forecast import (
    ForecastConfig,
    backtest,
    find_special_days,
    fit_model,
    history_from_frame,
    load_history,
    poisson_mae,
    seasonal_naive,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DATA = ROOT.parent / "shared" / "data" / "anonymous_bank_1999_arrivals_6min.csv"
MODELS = ("kefu", "kefu_carry", "intraday", "seasonal_naive", "mstl", "day_total", "hindsight")
_DAY = pd.Timedelta(days=1)
GROUPS = ("day_1", "all_days", "pm_day_1", "pm_all_days")
"""Scored groups: the first day ahead, all horizon days, and the afternoons (from
``--cutoff`` o'clock) of both, where ``intraday`` re-forecasts from the morning's actuals."""


def machine() -> dict[str, Any]:
    """CPU model, cores, platform, Python version and load average now."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "loadavg_at_start": os.getloadavg(),
    }


def quarter_hours(six_minute: pd.Series, seed: int) -> pd.Series:
    """15-minute counts from 6-minute counts (module doc: the 12–18 bin split at random)."""
    rng = np.random.default_rng(seed)
    counts = six_minute.to_numpy(dtype=np.int64).reshape(-1, 5)
    middle = rng.binomial(counts[:, 2], 0.5)
    first = counts[:, 0] + counts[:, 1] + middle
    second = counts[:, 3] + counts[:, 4] + counts[:, 2] - middle
    values = np.column_stack([first, second]).ravel().astype(np.float64)
    start = six_minute.index[0]
    index = pd.date_range(start, periods=values.size, freq="15min", name="interval_start")
    return pd.Series(values, index=index, name="contacts")


def arrivals(data: Path, minutes: int, seed: int) -> pd.Series:
    """The bank's 1999 arrivals per ``minutes`` interval."""
    if minutes == 15:
        six = load_history(data, 6)["default"]
        return quarter_hours(six, seed)
    return load_history(data, minutes)["default"]


def flagged_days(data: Path) -> list[dt.date]:
    """Days the data's ``note`` column flags (imputed or altered by the package authors)."""
    frame = pd.read_csv(data, usecols=["date", "note"], dtype=str, keep_default_na=False)
    return sorted({dt.date.fromisoformat(d) for d in frame.loc[frame["note"] != "", "date"]})


def mstl_forecast(past: pd.Series, slots: int, steps: int) -> np.ndarray:
    """statsforecast MSTL with daily and weekly seasons, clipped at 0."""
    from statsforecast.models import MSTL

    model = MSTL(season_length=[slots, 7 * slots])
    mean = model.forecast(y=past.to_numpy(dtype=np.float64), h=steps)["mean"]
    return np.clip(np.asarray(mean, dtype=np.float64), 0.0, None)


def hindsight(series: pd.Series, index: pd.DatetimeIndex) -> np.ndarray:
    """Mean of the actual counts two intervals either side (same day, itself left out)."""
    days = pd.DatetimeIndex(series.index).normalize()
    parts = [series.groupby(days).shift(k) for k in (-2, -1, 1, 2)]
    mean = pd.concat(parts, axis=1).mean(axis=1, skipna=True)
    return mean.reindex(index).fillna(0.0).to_numpy(dtype=np.float64)


def day_total(forecast: np.ndarray, actual: np.ndarray, index: pd.DatetimeIndex) -> np.ndarray:
    """``forecast`` scaled so that each day adds up to its actual total."""
    days = index.normalize()
    want = pd.Series(actual).groupby(days).transform("sum").to_numpy(dtype=np.float64)
    have = pd.Series(forecast).groupby(days).transform("sum").to_numpy(dtype=np.float64)
    return np.asarray(forecast * want / np.where(have > 0, have, 1.0), dtype=np.float64)


def week_filled(series: pd.Series) -> pd.Series:
    """NaN intervals filled with the same interval a week earlier (or later at the start)."""
    out = series.copy()
    for lag in (7, 14, 21, -7, -14):
        out = out.fillna(series.shift(lag, freq="D").reindex(out.index))
    return out.fillna(0.0)


@dataclass
class Tally:
    """Running sums of one model's errors over the scored intervals."""

    abs_err: float = 0.0
    sq_err: float = 0.0
    seconds: float = 0.0


@dataclass
class Scores:
    """Pooled errors of all models for one horizon group (day 1, or all days)."""

    intervals: int = 0
    actual: float = 0.0
    floor_abs: float = 0.0
    floor_lambda: float = 0.0
    models: dict[str, Tally] = field(default_factory=dict)

    def add(self, actual: np.ndarray, lam: np.ndarray, forecasts: dict[str, np.ndarray]) -> None:
        self.intervals += actual.size
        self.actual += float(actual.sum())
        self.floor_abs += float(poisson_mae(lam).sum())
        self.floor_lambda += float(lam.sum())
        for name, fc in forecasts.items():
            tally = self.models.setdefault(name, Tally())
            tally.abs_err += float(np.abs(actual - fc).sum())
            tally.sq_err += float(((actual - fc) ** 2).sum())

    def record(self) -> dict[str, Any]:
        floor_wape = self.floor_abs / self.actual
        floor_rmse = math.sqrt(self.floor_lambda / self.intervals)
        out: dict[str, Any] = {
            "intervals": self.intervals,
            "contacts": self.actual,
            "mean_per_interval": self.actual / self.intervals,
            "floor_wape": floor_wape,
            "floor_rmse": floor_rmse,
        }
        for name, tally in self.models.items():
            wape = tally.abs_err / self.actual
            rmse = math.sqrt(tally.sq_err / self.intervals)
            out[name] = {
                "wape": wape,
                "rmse": rmse,
                "wape_ratio_to_floor": wape / floor_wape,
                "rmse_ratio_to_floor": rmse / floor_rmse,
            }
        return out


SWEEP: dict[str, dict[str, Any]] = {
    "trend": {"trend": True},
    "half_life_28d": {"half_life_days": 28.0},
    "harmonics_6": {"harmonics": 6},
    "window_84d": {"window_days": 84},
}
"""kefu's model options tried by ``--sweep`` (besides the default: 56 days, 4 harmonics)."""


def run_interval(
    minutes: int,
    args: argparse.Namespace,
    holidays: list[dt.date],
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The rolling-origin backtest of every model at ``minutes``; ``options`` change kefu's
    :class:`ForecastConfig` (and with it the window every model is fitted on)."""
    series = arrivals(args.data, minutes, args.seed)
    slots = 1440 // minutes
    days = pd.DatetimeIndex(series.index).normalize()
    masked = series.mask(np.asarray(days.isin(pd.DatetimeIndex(holidays)), dtype=np.bool_))
    settings: dict[str, Any] = {"window_days": args.window, "harmonics": 4, **(options or {})}
    config = ForecastConfig(interval_minutes=minutes, **settings)
    window = config.window_days
    first = pd.Timestamp(args.first_origin)
    origins = [first + i * args.step_days * _DAY for i in range(args.origins)]
    groups = {name: Scores() for name in GROUPS}
    seconds = dict.fromkeys(MODELS, 0.0)
    for n, origin in enumerate(origins, start=1):
        past = masked[(masked.index < origin) & (masked.index >= origin - window * _DAY)]
        test = masked[(masked.index >= origin) & (masked.index < origin + args.horizon * _DAY)]
        times = pd.DatetimeIndex(test.index)
        forecasts: dict[str, np.ndarray] = {}
        t = time.perf_counter()
        model = fit_model(past, config, holidays=holidays)
        forecasts["kefu"] = model.predict(times).mean
        seconds["kefu"] += time.perf_counter() - t
        carried = dataclasses.replace(config, carry=args.carry)
        forecasts["kefu_carry"] = dataclasses.replace(model, config=carried).predict(times).mean
        t = time.perf_counter()
        forecasts["seasonal_naive"] = seasonal_naive(masked[masked.index < origin], times)
        seconds["seasonal_naive"] += time.perf_counter() - t
        actual = test.to_numpy(dtype=np.float64)
        forecasts["day_total"] = day_total(forecasts["kefu"], actual, times)
        forecasts["hindsight"] = hindsight(masked, times)
        if args.mstl:
            t = time.perf_counter()
            forecasts["mstl"] = mstl_forecast(week_filled(past), slots, len(times))
            seconds["mstl"] += time.perf_counter() - t
        scored = ~np.isnan(actual)
        day1 = scored & (np.arange(actual.size) < slots)
        refc, afternoon = afternoon_reforecast(forecasts["kefu"], actual, times, args.cutoff)
        masks = {
            "day_1": day1,
            "all_days": scored,
            "pm_day_1": afternoon & day1,
            "pm_all_days": afternoon & scored,
        }
        for name, on in masks.items():
            chosen = dict(forecasts, intraday=refc) if name.startswith("pm_") else forecasts
            groups[name].add(
                actual[on], forecasts["kefu"][on], {k: v[on] for k, v in chosen.items()}
            )
        print(f"  {minutes} min: origin {n}/{len(origins)} {origin:%Y-%m-%d}", file=sys.stderr)
    record: dict[str, Any] = {name: scores.record() for name, scores in groups.items()}
    record["fit_seconds"] = {k: v for k, v in seconds.items() if k in groups["day_1"].models}
    return record


def february(path: Path, minutes: int) -> dict[str, Any]:
    """kefu's backtest on the February 1999 call records binned into ``minutes``."""
    frame = pd.read_csv(path, sep="\t", dtype=str)
    stamps = "19" + frame["date"].str.strip() + " " + frame["vru_entry"].str.strip()
    times = pd.to_datetime(stamps, format="%Y%m%d %H:%M:%S")
    calls = pd.DataFrame({"timestamp": times.dt.strftime("%Y-%m-%d %H:%M:%S")})
    series = history_from_frame(calls, minutes)["default"]
    config = ForecastConfig(interval_minutes=minutes, window_days=14)
    result = backtest(series, horizon_days=1, origins=7, config=config)
    o = result.overall
    print(
        f"{minutes:>3} min Feb records, next day, {len(result.origins)} origins: mean "
        f"{o.actual / o.intervals:.1f}/interval  kefu WAPE {o.model.wape:.3f} "
        f"(×{o.floor_ratio:.2f} floor {o.floor_wape:.3f})  seasonal naive "
        f"{o.baseline.wape:.3f} (×{o.baseline.wape / o.floor_wape:.2f})"
    )
    return o.to_dict()


def print_table(minutes: int, record: dict[str, Any]) -> None:
    for group in GROUPS:
        r = record[group]
        print(
            f"{minutes:>3} min {group:<8} mean {r['mean_per_interval']:6.1f}/interval  "
            f"floor WAPE {r['floor_wape']:.3f} RMSE {r['floor_rmse']:.2f}"
        )
        for name in MODELS:
            if name in r:
                m = r[name]
                print(
                    f"    {name:<15} WAPE {m['wape']:.3f} (×{m['wape_ratio_to_floor']:.2f} floor)"
                    f"  RMSE {m['rmse']:.2f} (×{m['rmse_ratio_to_floor']:.2f} floor)"
                )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intervals", default="15,30,60", help="minutes, comma-separated")
    parser.add_argument("--first-origin", default="1999-03-01")
    parser.add_argument("--origins", type=int, default=20)
    parser.add_argument("--step-days", type=int, default=14)
    parser.add_argument("--horizon", type=int, default=7, help="days")
    parser.add_argument("--window", type=int, default=56, help="days of history per fit")
    parser.add_argument("--seed", type=int, default=1999)
    parser.add_argument("--carry", type=float, default=0.5, help="kefu_carry's carry")
    parser.add_argument("--cutoff", type=int, default=12, help="intraday re-forecast hour")
    parser.add_argument("--data", type=Path, default=DATA, help="the 6-minute arrivals CSV")
    parser.add_argument("--no-mstl", dest="mstl", action="store_false")
    parser.add_argument("--no-write", dest="write", action="store_false")
    parser.add_argument(
        "--sweep", action="store_true", help="also kefu with each option of SWEEP (no MSTL)"
    )
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"shared data not found at {args.data}; nothing to benchmark")
        return {}
    record: dict[str, Any] = {
        "benchmark": "forecast",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "parameters": {k: v for k, v in vars(args).items() if k not in ("write", "data")},
    }
    flagged = flagged_days(args.data)
    hourly = load_history(args.data, 60)["default"]
    detected = find_special_days(hourly, ratio=0.5).detected
    holidays = sorted({*flagged, *detected})
    record["declared_days"] = {
        "flagged_in_data": [d.isoformat() for d in flagged],
        "below_half_weekday_median": [d.isoformat() for d in detected],
    }
    print(f"declared holidays / special days: {len(holidays)}")
    results: dict[str, Any] = {}
    for minutes in (int(m) for m in args.intervals.split(",")):
        results[str(minutes)] = run = run_interval(minutes, args, holidays)
        print_table(minutes, run)
        for group in ("day_1", "all_days"):
            run[group]["decomposition"] = decomposition(run[group])
            print_decomposition(minutes, group, run[group]["decomposition"])
    record["results"] = results
    if args.sweep:
        sweep: dict[str, Any] = {}
        for minutes in (int(m) for m in args.intervals.split(",")):
            for name, options in SWEEP.items():
                mstl, args.mstl = args.mstl, False
                run = run_interval(minutes, args, holidays, options)
                args.mstl = mstl
                sweep[f"{minutes}:{name}"] = {"options": options, **run}
                ratios = [f"{run[g]['kefu']['wape_ratio_to_floor']:.3f}" for g in GROUPS[:2]]
                print(f"{minutes:>3} min kefu {name:<14} WAPE ×floor day 1 / all: {ratios}")
        record["sweep"] = sweep
    records = args.data.parent / "anonymous_bank_1999_february.tsv"
    if records.is_file():
        record["february_records"] = {str(m): february(records, m) for m in (5, 15)}
    else:
        print(f"call records not found at {records}; no 5-minute run")
    record["machine"]["loadavg_at_end"] = os.getloadavg()
    if args.write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        path = RESULTS / f"forecast-{stamp}.json"
        path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return record


if __name__ == "__main__":
    main()
