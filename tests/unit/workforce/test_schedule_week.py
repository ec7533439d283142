"""A week of 30-minute intervals with ~50 shift types, and the bank's real shift matrix."""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path

import pytest

from kefu.workforce.schedule import (
    ScheduleOptions,
    ShiftType,
    lp_lower_bound,
    solve_schedule,
    standard_shift_types,
)

H = 3600


def _weekly_requirement() -> list[float]:
    """Agents per half hour, Monday to Sunday: a morning and an afternoon peak, open 07–22 h,
    Monday busiest, weekends at 60 %."""
    day_scale = [1.15, 1.0, 0.95, 0.95, 1.05, 0.6, 0.55]
    required = []
    for scale in day_scale:
        for half_hour in range(48):
            t = half_hour / 2
            if t < 7 or t >= 22:
                required.append(0.0)
                continue
            load = 8 + 26 * math.exp(-(((t - 10.5) / 2.0) ** 2))
            load += 19 * math.exp(-(((t - 15) / 2.5) ** 2))
            required.append(float(math.ceil(load * scale)))
    return required


@pytest.mark.slow
def test_given_week_of_half_hours_and_50_shift_types_then_solves_fast_near_lp_bound() -> None:
    required = _weekly_requirement()
    types = standard_shift_types(
        first_start_s=6 * H + 1800, last_end_s=22 * H, lengths_s=(8 * H, 6 * H, 4 * H)
    )
    assert len(required) == 336
    assert 45 <= len(types) <= 65
    started = time.perf_counter()
    result = solve_schedule(required, 1800, types, ScheduleOptions(time_limit_s=60))
    elapsed = time.perf_counter() - started
    assert elapsed < 60
    assert result.status in {"OPTIMAL", "FEASIBLE"}
    assert result.under_agent_hours == 0
    assert all(c.scheduled >= c.required for c in result.intervals)
    # Cost is paid hours here (cost_per_hour = 1), so the LP bounds paid hours.
    bound = lp_lower_bound(required, 1800, types)
    assert bound <= result.paid_hours + 1e-6
    assert result.paid_hours <= bound * 1.02
    assert result.paid_hours == pytest.approx(result.cost)


def _bank_shift_types(path: Path) -> list[ShiftType]:
    """The 8 six-hour shifts of the bank's coverage matrix with the book's costs."""
    costs = [252, 288, 180, 180, 180, 288, 288, 288]
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    types = []
    for j, cost in enumerate(costs, start=1):
        hours = [int(r["Hour"]) - 1 for r in rows if r[f"Shift{j}"] == "1"]
        assert hours == list(range(hours[0], hours[0] + len(hours))), "a shift is contiguous"
        types.append(ShiftType(f"Shift{j}", hours[0] * H, len(hours) * H, cost=cost))
    return types


def test_given_bank_shift_matrix_when_scheduled_then_matches_the_exact_optimum(
    shared_data: Path,
) -> None:
    types = _bank_shift_types(shared_data / "anonymous_bank_shifts.csv")
    assert [t.length_s for t in types] == [6 * H] * 8
    # Hours 0–5 need no agents (the book's example); a daytime curve after that.
    required = [0, 0, 0, 0, 0, 0, 4, 6, 8, 10, 12, 12, 11, 12, 12, 11, 9, 8, 7, 6, 5, 4, 3, 2]
    result = solve_schedule(required, H, types)
    assert result.status == "OPTIMAL"
    assert result.under_agent_hours == 0
    assert result.cost == pytest.approx(result.objective)
    # Each shift covers consecutive hours, so the coverage matrix is an interval matrix:
    # totally unimodular, hence the LP optimum is integral and is the exact optimum.
    assert result.cost == pytest.approx(lp_lower_bound(required, H, types))
    assert not any(a.shift == "Shift1" for a in result.assignments)
