"""The chain history → forecast → required agents → shifts → named agents."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.workforce.plan import PlanRequest, make_plan, pool_agents, serves, shift_instants
from kefu.workforce.roster import NamedShift, RosterAgent, WorkRules
from kefu.workforce.schedule_types import ScheduleError


def history(days: int, minutes: int = 30) -> pd.Series:
    """Contacts per interval: 6 per 30 min from 09:00 to 17:00, nothing at night."""
    index = pd.date_range("2026-11-02", periods=1440 // minutes * days, freq=f"{minutes}min")
    values = np.where((index.hour >= 9) & (index.hour < 17), 6.0 * minutes / 30, 0.0)
    if days >= 14:  # the GLM wants counts that vary, as real ones do
        values = np.random.default_rng(7).poisson(values + 0.2).astype(float)
    return pd.Series(values, index=index)


def test_given_short_history_when_planned_then_mean_day_and_named_shifts() -> None:
    agents = [RosterAgent(f"a{i}", WorkRules(days_off=frozenset({6}))) for i in range(6)]
    steps: list[str] = []
    plan = make_plan(
        history(3),
        300.0,
        agents,
        PlanRequest(horizon_days=2, shrinkage=0.0, time_limit_s=5),
        lambda step, _done: steps.append(step),
    )
    assert plan.first_day == dt.date(2026, 11, 5)
    assert "mean day of 3 days" in plan.notes[0]
    assert float(plan.forecast.mean[20]) == pytest.approx(6.0)  # 10:00
    assert max(plan.required) >= 2 and plan.required[0] == 0
    assert plan.roster.shifts and {s.day for s in plan.roster.shifts} == {0, 1}
    assert {"forecast", "staffing", "schedule", "roster", "done"} <= set(steps)


def test_given_two_weeks_when_planned_then_the_glm_forecasts() -> None:
    plan = make_plan(
        history(14, 60),
        240.0,
        [RosterAgent("a")],
        PlanRequest(interval_minutes=60, horizon_days=1, time_limit_s=2),
    )
    assert "Poisson GLM on 14 days" in plan.notes[0]
    assert plan.roster.unfilled  # one agent is not enough


def test_given_bad_interval_when_requested_then_refused() -> None:
    with pytest.raises(ScheduleError):
        PlanRequest(interval_minutes=20)


def test_given_skills_when_pooled_then_only_agents_serving_every_queue() -> None:
    sales = QueueSpec("sales", Channel.VOICE, {"sales": 3})
    chat = QueueSpec("chat", Channel.CHAT)
    both = AgentSpec("both", {"sales": 5})
    weak = AgentSpec("weak", {"sales": 2})
    voice_only = AgentSpec("v", {"sales": 5}, capacity={Channel.VOICE: 1})
    assert serves(both, sales) and not serves(weak, sales) and not serves(voice_only, chat)
    assert [a.agent_id for a in pool_agents([both, weak, voice_only], [sales, chat])] == ["both"]


def test_given_site_zone_when_instants_then_wall_clock_times() -> None:
    shift = NamedShift("a", "s", 1, 86_400 + 9 * 3600, 8 * 3600, ((86_400 + 12 * 3600, 1800),), 7.5)
    start, end, breaks = shift_instants(shift, dt.date(2026, 12, 7), "Asia/Shanghai")
    assert start == dt.datetime(2026, 12, 8, 1, tzinfo=dt.UTC).timestamp()
    assert end - start == 8 * 3600
    assert breaks == ((start + 3 * 3600, start + 3 * 3600 + 1800),)
