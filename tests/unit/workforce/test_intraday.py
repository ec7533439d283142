"""Intraday re-forecast and staffing gap on hand-made numbers."""

from __future__ import annotations

import numpy as np
import pytest

from kefu.workforce.forecast import poisson_mae
from kefu.workforce.intraday import intraday, reforecast, scheduled_per_interval
from kefu.workforce.required import StaffingTarget

TARGET = StaffingTarget(service_level=0.8, threshold=20.0)


def test_given_a_busy_morning_when_reforecast_then_the_rest_scales_by_the_damped_ratio() -> None:
    starts = [i * 1800.0 for i in range(4)]
    got = intraday(
        starts, [10, 10, 10, 10], [25, 25], [3, 3, 3, 3],
        aht_s=180, interval_s=1800, target=TARGET, shrinkage=0.0,
    )  # fmt: skip
    # (50 + 5) / (20 + 5) = 2.2
    assert got.ratio == pytest.approx(2.2)
    assert [r.reforecast for r in got.rows] == pytest.approx([25, 25, 22, 22])
    assert [r.actual for r in got.rows] == [25, 25, None, None]
    assert got.rows[2].needed >= got.rows[3].needed > 0
    assert got.rows[2].gap == 3 - got.rows[2].needed


def test_given_nothing_over_when_reforecast_then_the_forecast_stands() -> None:
    got = intraday(
        [0.0, 900.0], [4.0, 8.0], [], [1, 1],
        aht_s=120, interval_s=900, target=TARGET, shrinkage=0.3,
    )  # fmt: skip
    assert got.ratio == 1.0 and [r.reforecast for r in got.rows] == [4.0, 8.0]


def test_given_shifts_with_a_break_when_counted_then_agents_off_break_at_mid_interval() -> None:
    shifts = [(0.0, 3600.0, [(1800.0, 2700.0)]), (900.0, 3600.0, [])]
    assert scheduled_per_interval(shifts, [0.0, 900.0, 1800.0, 2700.0, 3600.0], 900.0) == [
        1, 2, 1, 2, 0,
    ]  # fmt: skip


def test_given_misaligned_input_then_refused() -> None:
    with pytest.raises(ValueError):
        intraday([0.0], [1.0, 2.0], [], [0], aht_s=1, interval_s=900, target=TARGET, shrinkage=0)


def test_given_a_morning_when_reforecast_alone_then_actuals_then_the_scaled_rest() -> None:
    ratio, day = reforecast([10.0, 10.0, 20.0], [5.0], prior=5.0)
    # (5 + 5) / (10 + 5)
    assert ratio == pytest.approx(2 / 3)
    assert day == pytest.approx([5.0, 20 / 3, 40 / 3])
    with pytest.raises(ValueError):
        reforecast([1.0], [1.0, 2.0])


def test_given_poisson_days_of_random_level_when_afternoon_reforecast_then_near_the_floor() -> None:
    # Known rates: a fixed intraday profile (48 half hours, about 2,000 contacts a day)
    # times a random daily level (±20 %), Poisson counts. The day-ahead forecast knows the
    # profile and the mean level only; the re-forecast learns the day's level by noon.
    rng = np.random.default_rng(16)
    slots = np.arange(48)
    profile = 2.0 + 80.0 * np.exp(-(((slots - 26) / 8.0) ** 2))
    noon = 24
    ahead_err = intraday_err = floor = total = 0.0
    for _ in range(300):
        rate = profile * rng.gamma(25.0, 1 / 25.0)
        counts = rng.poisson(rate).astype(float)
        _ratio, day = reforecast(list(profile), list(counts[:noon]))
        pm = slice(noon, None)
        ahead_err += float(np.abs(counts[pm] - profile[pm]).sum())
        intraday_err += float(np.abs(counts[pm] - np.asarray(day[pm])).sum())
        floor += float(poisson_mae(rate[pm]).sum())
        total += float(counts[pm].sum())
    ahead, again = ahead_err / floor, intraday_err / floor
    assert ahead > 1.4  # the day's level is 20 % off on average: far above the floor
    assert 1.0 < again < 1.1  # what is left is the noon ratio's own Poisson noise
    assert floor / total == pytest.approx(0.12, abs=0.01)
