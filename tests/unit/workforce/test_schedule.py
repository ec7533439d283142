"""Shift scheduling with CP-SAT: exact small cases, constraints, errors and invariants."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.workforce.schedule import (
    BreakRule,
    ScheduleError,
    ScheduleInfeasible,
    ScheduleOptions,
    ShiftType,
    break_options,
    lp_lower_bound,
    shift_types_for_requirement,
    solve_schedule,
    standard_shift_types,
)

H = 3600


def _hand_types() -> list[ShiftType]:
    return [
        ShiftType("A", start_s=0, length_s=2 * H, cost=10),
        ShiftType("B", start_s=2 * H, length_s=2 * H, cost=10),
        ShiftType("C", start_s=0, length_s=4 * H, cost=15),
    ]


def _agents(result: object, shift: str) -> int:
    return sum(a.agents for a in result.assignments if a.shift == shift)  # type: ignore[attr-defined]


def test_given_hand_solved_case_when_scheduled_then_cost_is_the_known_optimum() -> None:
    # Hours need 2, 2, 3, 1. Two long shifts (30) plus one late short one (10) = 40;
    # all-short costs 50 and one long costs 45, so 40 is optimal.
    result = solve_schedule([2, 2, 3, 1], H, _hand_types())
    assert result.status == "OPTIMAL"
    assert result.cost == pytest.approx(40.0)
    assert result.objective == pytest.approx(40.0)
    assert (_agents(result, "A"), _agents(result, "B"), _agents(result, "C")) == (0, 1, 2)
    assert [c.scheduled for c in result.intervals] == [2, 2, 3, 3]
    assert [c.over for c in result.intervals] == [0, 0, 0, 2]
    assert result.under_agent_hours == 0
    assert result.paid_hours == pytest.approx(2 * 4 + 2)


def test_given_fractional_requirement_when_scheduled_then_rounded_up_and_reported_raw() -> None:
    result = solve_schedule([1.2, 0.4], H, [ShiftType("S", 0, 2 * H)])
    assert _agents(result, "S") == 2
    assert [c.required for c in result.intervals] == [1.2, 0.4]
    assert result.intervals[0].over == pytest.approx(0.8)


def test_given_break_window_when_two_agents_needed_then_breaks_are_staggered() -> None:
    lunch = BreakRule(length_s=H, earliest_s=H, latest_s=2 * H)
    shift = ShiftType("S", start_s=0, length_s=4 * H, breaks=(lunch,))
    result = solve_schedule([1, 1, 1, 1], H, [shift])
    assert _agents(result, "S") == 2
    assert sorted(b for a in result.assignments for b in a.breaks) == [(H, H), (2 * H, H)]
    assert all(c.scheduled >= 1 for c in result.intervals)
    assert result.paid_hours == pytest.approx(6.0)  # 2 × (4 h − 1 h unpaid)


def test_given_paid_break_when_costed_then_counts_as_paid_time() -> None:
    shift = ShiftType("S", 0, 4 * H, breaks=(BreakRule(H, H, H, paid=True),))
    assert shift.paid_s == 4 * H
    assert ShiftType("U", 0, 4 * H, breaks=(BreakRule(H, H, H),)).paid_s == 3 * H


def test_given_quarter_hour_break_in_half_hour_intervals_then_presence_is_fractional() -> None:
    shift = ShiftType("S", 0, 2 * H, breaks=(BreakRule(900, 1800, 1800),))
    result = solve_schedule([1, 0.5, 1, 1], 1800, [shift])
    assert _agents(result, "S") == 1
    assert [c.scheduled for c in result.intervals] == [1, 0.5, 1, 1]


def test_given_max_and_min_agents_when_scheduled_then_both_are_respected() -> None:
    types = [
        ShiftType("cheap", 0, 4 * H, cost=1, max_agents=2),
        ShiftType("dear", 0, 4 * H, cost=5),
        ShiftType("forced", 4 * H, 4 * H, cost=3, min_agents=1),
    ]
    result = solve_schedule([5] * 4 + [0] * 4, H, types)
    assert (_agents(result, "cheap"), _agents(result, "dear"), _agents(result, "forced")) == (
        2,
        3,
        1,
    )
    assert result.cost == pytest.approx(2 * 1 + 3 * 5 + 3)


def test_given_max_agents_on_many_break_options_then_the_total_is_capped() -> None:
    shift = ShiftType("S", 0, 4 * H, breaks=(BreakRule(H, H, 2 * H),), max_agents=3)
    other = ShiftType("T", 0, 4 * H, cost=100)
    result = solve_schedule([6, 0, 0, 6], H, [shift, other])
    assert _agents(result, "S") == 3


def test_given_max_agents_too_low_when_coverage_hard_then_infeasible_names_intervals() -> None:
    types = [ShiftType("only", 8 * H, 4 * H, max_agents=1)]
    required = [0.0] * 24
    required[9] = 3
    with pytest.raises(ScheduleInfeasible, match=r"day 0 09:00 needs 3, at most 1 possible"):
        solve_schedule(required, H, types)


def test_given_demand_outside_every_shift_when_coverage_hard_then_infeasible() -> None:
    required = [1.0] * 24
    with pytest.raises(ScheduleInfeasible, match="23 interval") as info:
        solve_schedule(required, H, [ShiftType("late", 23 * H, 2 * H)])
    assert info.value.error_id == "schedule_infeasible"
    assert isinstance(info.value, ValueError)


def test_given_seat_cap_below_requirement_then_infeasible() -> None:
    options = ScheduleOptions(max_concurrent_agents=2)
    with pytest.raises(ScheduleInfeasible, match="max_concurrent_agents=2"):
        solve_schedule([3, 1], H, [ShiftType("S", 0, 2 * H)], options)


def test_given_daily_cap_that_only_the_solver_sees_then_infeasible_is_reported() -> None:
    types = [ShiftType("early", 0, 2 * H), ShiftType("late", 2 * H, 2 * H)]
    options = ScheduleOptions(max_agents_per_day=1)
    with pytest.raises(ScheduleInfeasible, match="no schedule meets the hard constraints"):
        solve_schedule([1, 1, 1, 1], H, types, options)


def test_given_minimums_above_daily_cap_then_infeasible_before_solving() -> None:
    types = [ShiftType("a", 0, H, min_agents=2), ShiftType("b", H, H, min_agents=2)]
    with pytest.raises(ScheduleInfeasible, match="add up to 4 on day 0"):
        solve_schedule([0, 0], H, types, ScheduleOptions(max_agents_per_day=3))


def test_given_soft_coverage_when_penalty_is_low_then_understaffing_is_cheaper() -> None:
    types = [ShiftType("S", 0, 4 * H, cost=100)]
    cheap = solve_schedule([1, 0, 0, 0], H, types, ScheduleOptions(under_penalty=10))
    assert cheap.agents == 0
    assert cheap.under_agent_hours == pytest.approx(1.0)
    assert cheap.objective == pytest.approx(10.0)
    dear = solve_schedule([1, 0, 0, 0], H, types, ScheduleOptions(under_penalty=1000))
    assert dear.agents == 1
    assert dear.under_agent_hours == 0
    assert dear.objective == pytest.approx(100.0)


def test_given_soft_coverage_and_unreachable_demand_then_penalty_is_in_the_objective() -> None:
    result = solve_schedule(
        [0, 2, 0, 0], H, [ShiftType("S", 2 * H, H, cost=1)], ScheduleOptions(under_penalty=5)
    )
    assert result.objective == pytest.approx(10.0)
    assert result.understaffed_intervals == 1


def test_given_over_weight_when_costs_tie_then_less_overstaffing_wins() -> None:
    # Equal cost, but "wide" overstaffs the last hour.
    types = [ShiftType("wide", 0, 3 * H, cost=3), ShiftType("narrow", 0, 2 * H, cost=3)]
    result = solve_schedule([1, 1, 0], H, types, ScheduleOptions(over_weight=0.5))
    assert _agents(result, "narrow") == 1
    assert result.over_agent_hours == 0


def test_given_weekday_rule_when_week_starts_saturday_then_only_weekday_instances() -> None:
    shift = ShiftType("weekday", 9 * H, 8 * H, weekdays=frozenset(range(5)))
    weekend = ShiftType("any", 9 * H, 8 * H, cost=100)
    required = ([0.0] * 9 + [1.0] * 8 + [0.0] * 7) * 3
    result = solve_schedule(required, H, [shift, weekend], first_weekday=5)
    by_day = {(a.shift, a.day) for a in result.assignments}
    assert by_day == {("any", 0), ("any", 1), ("weekday", 2)}


def test_given_night_demand_when_cyclic_then_shift_wraps_to_the_horizon_start() -> None:
    night = ShiftType("night", 22 * H, 8 * H)
    required = [1.0] * 6 + [0.0] * 16 + [1.0] * 2
    with pytest.raises(ScheduleInfeasible):
        solve_schedule(required, H, [night])
    result = solve_schedule(required, H, [night], ScheduleOptions(cyclic=True))
    assert result.agents == 1
    assert [c.scheduled for c in result.intervals] == required


def test_given_progress_callback_then_every_part_is_reported() -> None:
    seen: list[tuple[int, int]] = []
    required = ([0.0] * 8 + [2.0] * 8 + [0.0] * 8) * 3
    solve_schedule(
        required, H, [ShiftType("d", 8 * H, 8 * H)], on_progress=lambda d, t, _: seen.append((d, t))
    )
    assert seen[0] == (0, 3)
    assert seen[-1] == (3, 3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"length_s": 0}, "length"),
        ({"start_s": 86_400}, "start"),
        ({"min_agents": 3, "max_agents": 2}, "below min_agents"),
        ({"breaks": (BreakRule(H, 3 * H, 4 * H),)}, "ends after the shift"),
        ({"weekdays": frozenset({7})}, "weekdays"),
        ({"cost": -1.0}, "cost"),
    ],
)
def test_given_bad_shift_type_then_clear_error(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"name": "bad", "start_s": 0, "length_s": 4 * H, **kwargs}
    with pytest.raises(ScheduleError, match=message):
        ShiftType(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("required", "interval", "message"),
    [([], H, "no intervals"), ([1.0, -1.0], H, ">= 0"), ([math.nan], H, "finite"), ([1], 0, "> 0")],
)
def test_given_bad_requirement_then_clear_error(
    required: list[float], interval: int, message: str
) -> None:
    with pytest.raises(ScheduleError, match=message):
        solve_schedule(required, interval, [ShiftType("S", 0, H)])


def test_given_duplicate_names_or_bad_options_then_clear_error() -> None:
    with pytest.raises(ScheduleError, match="repeated: S"):
        solve_schedule([1], H, [ShiftType("S", 0, H), ShiftType("S", 0, 2 * H)])
    with pytest.raises(ScheduleError, match="time_limit_s"):
        ScheduleOptions(time_limit_s=0)
    with pytest.raises(ScheduleError, match="under_penalty"):
        ScheduleOptions(under_penalty=-1)


def test_given_wide_break_windows_then_placements_are_capped_with_a_clear_error() -> None:
    breaks = tuple(BreakRule(900, 0, 6 * H) for _ in range(3))
    with pytest.raises(ScheduleError, match="placements"):
        break_options(ShiftType("S", 0, 8 * H, breaks=breaks), 900, 64)


def test_given_ordered_breaks_then_placements_never_overlap() -> None:
    shift = ShiftType(
        "S", 0, 8 * H, breaks=(BreakRule(H, 2 * H, 4 * H), BreakRule(H, 3 * H, 5 * H))
    )
    options = break_options(shift, H, 64)
    assert options
    assert all(a[0] + a[1] <= b[0] for a, b in options)


def test_standard_set_matches_its_description() -> None:
    types = standard_shift_types()
    assert len(types) == 17 + 25
    assert {t.length_s for t in types} == {8 * H, 4 * H}
    eight = [t for t in types if t.length_s == 8 * H]
    assert min(t.start_s for t in eight) == 6 * H
    assert max(t.start_s for t in eight) == 14 * H
    assert all(len(t.breaks) == 1 and t.paid_s == 7.5 * H for t in eight)


def test_shift_types_for_requirement_span_the_busy_hours() -> None:
    required = [0.0] * 48
    required[16:40] = [3.0] * 24  # 08:00–20:00
    types = shift_types_for_requirement(required, 1800)
    assert min(t.start_s for t in types) == 8 * H
    assert max(t.start_s + t.length_s for t in types) == 20 * H
    round_the_clock = shift_types_for_requirement([1.0] * 48, 1800)
    assert len({t.start_s for t in round_the_clock}) == 48


@settings(max_examples=25, deadline=None)
@given(
    required=st.lists(st.integers(0, 6), min_size=8, max_size=24),
    soft=st.booleans(),
    over=st.sampled_from([0.0, 0.3]),
)
def test_property_schedule_is_consistent_and_never_beats_the_lp_bound(
    required: list[int], soft: bool, over: float
) -> None:
    types = [
        ShiftType("long", 0, 6 * H, breaks=(BreakRule(H, 2 * H, 3 * H),)),
        ShiftType("mid", 4 * H, 4 * H),
        ShiftType("short", 8 * H, 4 * H, cost_per_hour=1.2),
        ShiftType("day", 10 * H, 8 * H, cost=9.5),
        ShiftType("late", 12 * H, 6 * H, max_agents=3),
        ShiftType("night", 18 * H, 6 * H),
    ]
    options = ScheduleOptions(
        under_penalty=2.0 if soft else None, over_weight=over, time_limit_s=10
    )
    result = solve_schedule(required, H, types, options)
    bound = lp_lower_bound(required, H, types, options)
    assert result.objective >= bound - 1e-6
    assert result.best_bound <= result.objective + 1e-9
    assert result.cost == pytest.approx(sum(a.cost for a in result.assignments))
    under = sum(c.under for c in result.intervals)
    over_total = sum(c.over for c in result.intervals)
    expected = result.cost + (2.0 * under if soft else 0.0) + over * over_total
    assert result.objective == pytest.approx(expected, abs=1e-6)
    if not soft:
        assert under == 0
    for a in result.assignments:
        assert a.agents > 0
        if a.shift == "late":
            assert a.agents <= 3
