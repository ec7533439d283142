"""Named agents on a schedule's places, by their work rules."""

from __future__ import annotations

import pytest

from kefu.workforce.roster import RosterAgent, WorkRules, assign_agents
from kefu.workforce.schedule_types import ScheduleError, ShiftAssignment

H = 3600


def place(day: int, start_h: int, agents: int, length_h: int = 8) -> ShiftAssignment:
    start = day * 86_400 + start_h * H
    return ShiftAssignment("s", day, start, length_h * H, (), agents, agents * length_h, 0.0)


def test_given_days_off_when_assigned_then_agent_never_works_them() -> None:
    places = [place(d, 9, 1) for d in range(7)]
    agents = [RosterAgent("a", WorkRules(days_off=frozenset({5, 6}), max_days=7))]
    roster = assign_agents(places, agents, time_limit_s=5)
    assert sorted(s.day for s in roster.shifts) == [0, 1, 2, 3, 4]
    assert {(u.day, u.missing) for u in roster.unfilled} == {(5, 1), (6, 1)}


def test_given_contracted_hours_when_assigned_then_weekly_hours_kept() -> None:
    places = [place(d, 9, 2) for d in range(5)]
    agents = [RosterAgent("a", WorkRules(contracted_hours=24)), RosterAgent("b")]
    roster = assign_agents(places, agents, time_limit_s=5)
    hours = roster.hours()
    assert hours["a"] == 24 and hours["b"] == 40
    assert sum(u.missing for u in roster.unfilled) == 2


def test_given_rest_rule_when_late_then_early_shift_then_not_both() -> None:
    places = [place(0, 14, 1), place(1, 6, 1)]  # ends 22:00, next starts 06:00: 8 h rest
    roster = assign_agents(places, [RosterAgent("a")], time_limit_s=5)
    assert len(roster.shifts) == 1
    relaxed = assign_agents(places, [RosterAgent("a", WorkRules(min_rest_hours=8))], time_limit_s=5)
    assert len(relaxed.shifts) == 2


def test_given_preferences_when_two_agents_then_each_gets_preferred_start() -> None:
    places = [place(0, 6, 1), place(0, 14, 1)]
    early = RosterAgent("early", WorkRules(preferred_start=(5 * H, 7 * H)))
    late = RosterAgent("late", WorkRules(preferred_start=(13 * H, 15 * H)))
    roster = assign_agents(places, [late, early], time_limit_s=5)
    assert {(s.agent_id, s.start_s) for s in roster.shifts} == {("early", 6 * H), ("late", 14 * H)}


def test_given_first_weekday_when_days_off_then_weekday_of_day_zero_respected() -> None:
    # Day 0 is a Saturday (5): an agent off on weekends works day 2 (Monday) only.
    places = [place(0, 9, 1), place(2, 9, 1)]
    agents = [RosterAgent("a", WorkRules(days_off=frozenset({5, 6})))]
    roster = assign_agents(places, agents, first_weekday=5, time_limit_s=5)
    assert [s.day for s in roster.shifts] == [2]


def test_given_bad_rules_when_built_then_refused() -> None:
    with pytest.raises(ScheduleError):
        WorkRules(contracted_hours=0)
    with pytest.raises(ScheduleError):
        WorkRules(days_off=frozenset({7}))
    with pytest.raises(ScheduleError):
        assign_agents([], [RosterAgent("a"), RosterAgent("a")])


def test_given_rules_when_the_greedy_start_fills_then_it_keeps_every_rule() -> None:
    from kefu.workforce.roster import _greedy

    places = [place(d, 9, 2) for d in range(7)] + [place(0, 22, 1, length_h=4)]
    agents = [
        RosterAgent("a", WorkRules(contracted_hours=24, days_off=frozenset({6}))),
        RosterAgent("b", WorkRules(max_days=2)),
    ]
    allowed = {
        (i, k)
        for i, a in enumerate(agents)
        for k, p in enumerate(places)
        if p.day % 7 not in a.rules.days_off
    }
    chosen = _greedy(places, agents, allowed)
    a_days = sorted(places[k].day for i, k in chosen if i == 0)
    b_days = sorted(places[k].day for i, k in chosen if i == 1)
    assert len(a_days) == 3 and 6 not in a_days  # 24 h of 8 h shifts
    assert len(b_days) == 2
    assert (0, 7) not in chosen or 0 not in a_days  # 09-17 then 22-02: one a day
    assert assign_agents(places, agents, time_limit_s=5).status == "OPTIMAL"
