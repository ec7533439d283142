"""Forecast quality: the horizon's days, missing days, holidays and the Poisson noise floor."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from kefu.workforce.forecast import (
    Event,
    ForecastConfig,
    ForecastError,
    backtest,
    find_special_days,
    fit_model,
    generate_history,
    history_from_frame,
    load_history,
    poisson_mae,
    seasonal_naive,
)

START = dt.date(2026, 1, 5)  # a Monday
HALF_HOURLY = ForecastConfig(interval_minutes=30, window_days=28)


def _as_rows(series: pd.Series, drop_days: tuple[str, ...] = ()) -> pd.DataFrame:
    """A history CSV frame without any row on ``drop_days``."""
    frame = series.reset_index()
    day = frame["interval_start"].dt.strftime("%Y-%m-%d")
    frame = frame[~day.isin(drop_days)]
    frame["interval_start"] = frame["interval_start"].dt.strftime("%Y-%m-%d %H:%M")
    return frame


def test_given_history_ending_mid_day_when_forecast_then_whole_days_from_next_midnight() -> None:
    history = generate_history(START, 30, 30, seed=3)
    history = history[:-21]  # ends with the 13:00 interval of the last day
    model = fit_model(history, HALF_HOURLY)
    fc = model.forecast(2)
    assert model.end == pd.Timestamp("2026-02-03 13:30")
    assert fc.index[0] == pd.Timestamp("2026-02-04 00:00")
    assert fc.index[-1] == pd.Timestamp("2026-02-05 23:30")  # the day's last interval kept
    assert len(fc.index) == 2 * 48


def test_given_history_ending_at_midnight_when_forecast_then_it_starts_there() -> None:
    history = generate_history(START, 28, 30, seed=3)
    fc = fit_model(history, HALF_HOURLY).forecast(1)
    assert fc.index[0] == pd.Timestamp("2026-02-02 00:00")
    assert len(fc.index) == 48


def test_given_dst_zone_when_forecast_over_spring_and_autumn_changes_then_local_days() -> None:
    spring = generate_history(dt.date(2026, 2, 2), 33, 30, seed=4)[:-10]  # ends 03-06 19:00
    fc = fit_model(spring, HALF_HOURLY).forecast(3, tz="America/New_York")
    per_day = pd.Series(1, index=fc.index).groupby(fc.index.normalize()).sum()
    # 8 March 2026: clocks go from 02:00 to 03:00, so 02:00 and 02:30 do not exist.
    assert per_day.to_dict() == {
        pd.Timestamp("2026-03-07"): 48,
        pd.Timestamp("2026-03-08"): 46,
        pd.Timestamp("2026-03-09"): 48,
    }
    assert pd.Timestamp("2026-03-08 02:00") not in fc.index
    autumn = generate_history(dt.date(2026, 10, 1), 31, 30, seed=4)
    fc = fit_model(autumn, HALF_HOURLY).forecast(1, tz="America/New_York")
    # 1 November 2026: 01:00-02:00 happens twice; each wall-clock interval is kept once.
    assert fc.index[0] == pd.Timestamp("2026-11-01") and len(fc.index) == 48


def test_given_utc_timestamps_and_site_zone_when_loaded_then_local_days() -> None:
    times = pd.date_range("2026-02-01 05:00", "2026-03-08 03:55", freq="5min", tz="UTC")
    frame = pd.DataFrame({"timestamp": times.strftime("%Y-%m-%dT%H:%M:%SZ")})
    local = history_from_frame(frame, 60, tz="America/New_York")["default"]
    # The last contact, 03:55 UTC on 8 March, is 22:55 on 7 March in New York.
    assert local.index[-1] == pd.Timestamp("2026-03-07 23:00")
    assert local[pd.Timestamp("2026-03-07 22:00")] == 12
    model = fit_model(local, ForecastConfig(interval_minutes=60))
    assert model.forecast(1, "America/New_York").index[0] == pd.Timestamp("2026-03-08")
    naive = history_from_frame(frame, 60)["default"]
    assert naive.index[-1] == pd.Timestamp("2026-03-08 23:00")  # UTC days without a zone


def test_given_a_week_without_rows_when_loaded_then_missing_not_zero() -> None:
    history = generate_history(START, 35, 30, seed=5)
    gap = tuple(f"2026-01-{d}" for d in range(19, 26))
    loaded = history_from_frame(_as_rows(history, gap), 30)["default"]
    assert len(loaded) == len(history)
    on_gap = loaded.index.normalize().isin(pd.DatetimeIndex(gap))
    assert loaded[on_gap].isna().all()
    assert loaded[~on_gap].notna().all()
    special = fit_model(loaded, HALF_HOURLY).special_days
    assert special.missing == tuple(dt.date(2026, 1, d) for d in range(19, 26))


def test_given_a_week_gap_when_fitted_then_forecast_not_dragged_down() -> None:
    history = generate_history(START, 35, 30, seed=5, day_noise_cv=0.0)
    gap = (*(f"2026-01-{d}" for d in range(26, 32)), "2026-02-01")
    with_gap = history_from_frame(_as_rows(history, gap), 30)["default"]
    full = fit_model(history, HALF_HOURLY).forecast(7).mean.sum()
    gapped = fit_model(with_gap, HALF_HOURLY).forecast(7).mean.sum()
    # A week of zeros in a four-week window would pull the forecast down by about a quarter.
    assert gapped == pytest.approx(full, rel=0.03)


def test_given_day_without_contacts_in_raw_records_when_loaded_then_missing() -> None:
    times = pd.date_range("2026-01-05 08:00", "2026-01-09 18:00", freq="7min")
    times = times[(times.normalize() != pd.Timestamp("2026-01-07")) & (times.hour >= 8)]
    times = times[times.hour < 18]
    frame = pd.DataFrame({"timestamp": times.strftime("%Y-%m-%d %H:%M:%S")})
    series = history_from_frame(frame, 60)["default"]
    assert series["2026-01-07"].isna().all()
    assert series["2026-01-06"].notna().all() and series["2026-01-06 03:00"] == 0


def _with_low_day(day: str, share: float) -> pd.Series:
    history = generate_history(START, 35, 30, seed=6, day_noise_cv=0.02)
    on = history.index.normalize() == pd.Timestamp(day)
    history[on] = np.round(history[on] * share)
    return history


def test_given_day_far_below_its_weekday_when_fitted_then_detected_and_left_out() -> None:
    low = _with_low_day("2026-02-05", 0.1)  # a Thursday at a tenth of its level
    model = fit_model(low, HALF_HOURLY)
    assert model.special_days.detected == (dt.date(2026, 2, 5),)
    same = low.mask(low.index.normalize() == pd.Timestamp("2026-02-05"))
    expected = fit_model(same, HALF_HOURLY).forecast(7).mean
    np.testing.assert_allclose(model.forecast(7).mean, expected, rtol=1e-9)


def test_given_day_above_half_its_weekday_when_fitted_then_not_detected() -> None:
    model = fit_model(_with_low_day("2026-02-05", 0.6), HALF_HOURLY)
    assert model.special_days.detected == ()


def test_given_low_day_declared_or_labelled_when_fitted_then_not_detected() -> None:
    low = _with_low_day("2026-02-05", 0.1)
    off = ForecastConfig(interval_minutes=30, window_days=28, holiday_ratio=None)
    declared = fit_model(low, off, holidays=[dt.date(2026, 2, 5)])
    assert declared.special_days.declared == (dt.date(2026, 2, 5),)
    assert fit_model(low, off).special_days.detected == ()
    event = fit_model(low, HALF_HOURLY, [Event(dt.date(2026, 2, 5), "strike")])
    assert event.special_days.detected == ()
    assert event.event_uplift["strike"] < 0.2  # learned as the label's level instead


def test_given_weekday_always_closed_when_fitted_then_not_a_holiday() -> None:
    history = generate_history(START, 35, 60, seed=7)
    history[history.index.day_of_week == 6] = 0.0  # closed on Sundays
    model = fit_model(history, ForecastConfig(interval_minutes=60, window_days=28))
    assert model.special_days.excluded == ()
    sunday = model.forecast(7)
    assert sunday.mean[sunday.index.day_of_week == 6].sum() == 0


@settings(max_examples=25, deadline=None)
@given(
    scale=st.floats(0.2, 20.0),
    low_day=st.integers(0, 27),
    share=st.floats(0.0, 1.0),
)
def test_property_detection_is_scale_free_and_follows_the_rule(
    scale: float, low_day: int, share: float
) -> None:
    history = generate_history(START, 28, 60, seed=8, daily_volume=3000)
    day = pd.Timestamp(START) + pd.Timedelta(days=low_day)
    on = history.index.normalize() == day
    history[on] = history[on] * share
    found = find_special_days(history).detected
    assert find_special_days(history * scale).detected == found
    totals = history.groupby(history.index.normalize()).sum()
    for d in found:
        same = totals[(totals.index.day_of_week == d.weekday()) & (totals.index.date != d)]
        assert totals[pd.Timestamp(d)] < 0.5 * float(np.median(same))


def test_given_all_missing_history_then_clear_error() -> None:
    index = pd.date_range("2026-01-05", periods=48 * 20, freq="30min")
    with pytest.raises(ForecastError, match="no data"):
        fit_model(pd.Series(np.nan, index=index), HALF_HOURLY)


def test_given_too_few_days_with_data_then_error_says_missing_days_do_not_count() -> None:
    history = generate_history(START, 20, 30, seed=9)
    history[history.index < pd.Timestamp("2026-01-15")] = np.nan
    with pytest.raises(ForecastError, match="missing days and holidays do not count"):
        fit_model(history, HALF_HOURLY)


@pytest.mark.parametrize("lam", [0.0, 0.3, 1.0, 2.5, 13.0, 80.0, 400.0])
def test_given_poisson_mean_when_floor_computed_then_equals_expected_absolute_error(
    lam: float,
) -> None:
    n = np.arange(0, int(lam + 40 * math.sqrt(lam + 1)) + 10)
    direct = float(np.sum(np.abs(n - lam) * stats.poisson.pmf(n, lam)))
    assert poisson_mae(np.array([lam]))[0] == pytest.approx(direct, rel=1e-9, abs=1e-12)


def test_given_pure_poisson_traffic_when_backtested_then_model_near_the_noise_floor() -> None:
    history = generate_history(START, 63, 30, seed=10, day_noise_cv=0.0)
    result = backtest(history, horizon_days=1, origins=7, config=HALF_HOURLY)
    overall = result.overall
    assert overall.floor_wape > 0
    # Knowing the weekly shape is all there is to know here: only estimation noise remains.
    assert 0.95 < overall.floor_ratio < 1.12
    assert overall.wape_ratio < 0.8  # the seasonal naive carries a whole week's noise
    record = overall.to_dict()
    assert record["floor_ratio"] == pytest.approx(overall.floor_ratio, abs=1e-6)


def test_given_missing_and_holiday_test_days_when_backtested_then_not_scored() -> None:
    history = generate_history(START, 49, 30, seed=11)
    history[history.index.normalize() == pd.Timestamp("2026-02-20")] = np.nan
    result = backtest(
        history,
        horizon_days=2,
        origins=3,
        config=HALF_HOURLY,
        holidays=[dt.date(2026, 2, 21)],
    )
    assert result.origins[0] == pd.Timestamp("2026-02-19")
    assert result.skipped_days == (dt.date(2026, 2, 20), dt.date(2026, 2, 21))
    # Origins 19, 20 and 21 February, two days each: only the 19th and the 22nd are scored.
    assert result.overall.intervals == 2 * 48
    assert result.to_dict()["skipped_days"] == ["2026-02-20", "2026-02-21"]


def test_given_missing_last_week_when_seasonal_naive_then_the_week_before() -> None:
    history = generate_history(START, 21, 60, seed=12)
    history[history.index >= pd.Timestamp("2026-01-19")] = np.nan
    index = pd.date_range("2026-01-26", periods=24, freq="h")
    expected = history["2026-01-12"].to_numpy()
    np.testing.assert_array_equal(seasonal_naive(history, index), expected)


def test_given_real_bank_arrivals_when_fitted_over_passover_then_holidays_detected(
    shared_data: Path,
) -> None:
    arrivals = load_history(shared_data / "anonymous_bank_1999_arrivals_6min.csv", 30)
    history = arrivals["default"][:"1999-04-30"]
    model = fit_model(history, ForecastConfig(interval_minutes=30, window_days=56))
    detected = set(model.special_days.detected)
    # Passover (1 and 7 April 1999) and Independence Day (21 April 1999).
    assert {dt.date(1999, 4, 1), dt.date(1999, 4, 7), dt.date(1999, 4, 21)} <= detected
    assert model.special_days.missing == ()
    fc = model.forecast(7)
    assert fc.index[0] == pd.Timestamp("1999-05-01") and len(fc.index) == 7 * 48


def test_given_6_minute_counts_when_loaded_at_15_minutes_then_straddling_bins_spread() -> None:
    times = pd.date_range("2026-01-05", periods=240, freq="6min")
    counts = np.zeros(240)
    counts[:5] = [6, 12, 30, 6, 12]  # the first half hour: 00:00, 00:06, ..., 00:24
    frame = pd.DataFrame({"interval_start": times.strftime("%Y-%m-%d %H:%M"), "contacts": counts})
    series = history_from_frame(frame, 15)["default"]
    assert len(series) == 96
    # 00:12-00:18 straddles 00:15: half of its 30 contacts goes to each quarter hour.
    assert series.iloc[:2].tolist() == [6 + 12 + 15, 15 + 6 + 12]
    assert series.sum() == counts.sum()


def test_given_bank_arrivals_when_run_at_15_minutes_through_cli_then_forecast(
    shared_data: Path, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from kefu.cli import app

    result = CliRunner().invoke(
        app,
        ["forecast", "run", str(shared_data / "anonymous_bank_1999_arrivals_6min.csv"),
         "--interval", "15", "--horizon", "1", "--out", str(tmp_path), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    queue = json.loads(result.stdout)["queues"][0]
    assert queue["intervals"][0]["interval_start"] == "2000-01-01T00:00:00"
    assert len(queue["intervals"]) == 96
    assert queue["history"]["missing_days"] == []
    assert 100 < queue["daily"][0]["contacts"] < 600  # a Saturday: about 210 calls


@settings(max_examples=6, deadline=None)
@given(
    dropped=st.sets(st.integers(1, 26), min_size=1, max_size=5),
    interval=st.sampled_from([30, 60]),
)
def test_property_missing_days_never_become_zeros(dropped: set[int], interval: int) -> None:
    """Days without rows load as NaN, are listed as missing, get no fitted value, and weigh
    on the forecast exactly as the same days declared holidays do (not at all)."""
    days = tuple(sorted((START + dt.timedelta(days=d)).isoformat() for d in dropped))
    history = generate_history(START, 28, interval, seed=17, daily_volume=1500)
    loaded = history_from_frame(_as_rows(history, days), interval)["default"]
    on_gap = loaded.index.normalize().isin(pd.DatetimeIndex(days))
    assert loaded[on_gap].isna().all() and loaded[~on_gap].notna().all()
    config = ForecastConfig(interval_minutes=interval, window_days=28, harmonics=2)
    gapped = fit_model(loaded, config)
    assert gapped.special_days.missing == tuple(dt.date.fromisoformat(d) for d in days)
    assert gapped.fitted[on_gap].isna().all()
    assert (gapped.fitted[~on_gap].dropna() >= 0).all()
    declared = fit_model(history, config, holidays=[dt.date.fromisoformat(d) for d in days])
    np.testing.assert_allclose(gapped.forecast(2).mean, declared.forecast(2).mean, rtol=1e-9)
