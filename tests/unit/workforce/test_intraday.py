"""Intraday re-forecast and staffing gap on hand-made numbers."""

from __future__ import annotations

import pytest

from kefu.workforce.intraday import intraday, scheduled_per_interval
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
