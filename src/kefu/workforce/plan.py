"""From history to named shifts: forecast → required agents → shifts → roster.

:func:`make_plan` chains the library's steps on one pool of queues: the interval forecast
of the next whole local days (:func:`~kefu.workforce.forecast.forecast`; with less than
:data:`MIN_HISTORY_DAYS` of history, the mean of each time of day over the days there are),
the agents needed per interval (Erlang C, or A with a patience, then shrinkage:
:func:`~kefu.workforce.staffing.build_plan`), the shifts that cover them at least cost
(:func:`~kefu.workforce.schedule.solve_schedule`) and the named agents on them
(:func:`~kefu.workforce.roster.assign_agents`). :func:`shift_instants` turns the named
shifts into instants in the site's time zone. Pure: no store, no clock.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from kefu.domain.model import AgentSpec, QueueSpec
from kefu.workforce.forecast_model import forecast
from kefu.workforce.forecast_types import MIN_HISTORY_DAYS, Forecast, ForecastConfig, readonly
from kefu.workforce.required import StaffingTarget
from kefu.workforce.roster import NamedShift, Roster, RosterAgent, assign_agents
from kefu.workforce.schedule import solve_schedule
from kefu.workforce.schedule_shifts import shift_types_for_requirement
from kefu.workforce.schedule_types import ScheduleError, ScheduleOptions, ScheduleResult
from kefu.workforce.staffing import StaffingPlan, VolumeRow, build_plan

__all__ = [
    "INTERVALS",
    "PlanRequest",
    "WorkforcePlan",
    "forecast_days",
    "make_plan",
    "pool_agents",
    "serves",
    "shift_instants",
]

INTERVALS = (15, 30, 60)
"""Interval lengths (minutes) a plan may use."""
Progress = Callable[[str, float], None]
"""Told (step name, fraction done of that step) as the plan proceeds."""


@dataclass(frozen=True)
class PlanRequest:
    """What to plan: ``interval_minutes`` (15/30/60), ``horizon_days`` from the next local
    midnight, the service target (``service_level`` within ``threshold_s``; ``patience_s``
    switches to Erlang A), ``shrinkage`` (fraction of paid time off the phones) and the
    solvers' ``time_limit_s`` (the schedule gets half; the roster what is left, at least
    40 %, so the whole may run a little past it)."""

    interval_minutes: int = 30
    horizon_days: int = 7
    service_level: float = 0.8
    threshold_s: float = 20.0
    patience_s: float | None = None
    shrinkage: float = 0.3
    time_limit_s: float = 20.0

    def __post_init__(self) -> None:
        if self.interval_minutes not in INTERVALS:
            raise ScheduleError(
                f"the interval is 15, 30 or 60 minutes, not {self.interval_minutes}",
                text_key="error.plan_interval",
            )
        if not 1 <= self.horizon_days <= 14:
            raise ScheduleError("a plan covers 1 to 14 days", text_key="error.plan_horizon")
        if not 0 < self.service_level < 1 or not 0 < self.threshold_s <= 3600:
            raise ScheduleError(
                "the service level is a fraction within a threshold of 1 s to 1 h",
                text_key="error.plan_target",
            )
        if not 0 <= self.shrinkage < 0.9:
            raise ScheduleError("shrinkage is in [0, 0.9)", text_key="error.plan_shrinkage")
        if not 0 < self.time_limit_s <= 600:
            raise ScheduleError("the time limit is 1 to 600 s", text_key="error.plan_time_limit")


@dataclass(frozen=True, eq=False)
class WorkforcePlan:
    """The plan's steps; ``first_day`` is the local date of day 0, ``notes`` what the
    reader should know (the forecast used, places left open), ``model`` the forecast's
    (``glm`` or ``mean_day``) over ``history_days`` days with data."""

    forecast: Forecast
    staffing: StaffingPlan
    schedule: ScheduleResult
    roster: Roster
    first_day: dt.date
    interval_s: int
    notes: tuple[str, ...]
    model: str = "glm"
    history_days: int = 0

    @property
    def required(self) -> list[int]:
        """Agents to schedule per interval (after shrinkage)."""
        return [r.scheduled for r in self.staffing.rows]


def serves(agent: AgentSpec, queue: QueueSpec) -> bool:
    """Whether ``agent`` has the skills (at their levels) and the channel of ``queue``."""
    if agent.capacity.get(queue.channel, 0) <= 0:
        return False
    return all(agent.skills.get(s, 0) >= level for s, level in queue.skills.items())


def forecast_days(
    history: pd.Series, interval_minutes: int, horizon_days: int
) -> tuple[Forecast, str, int]:
    """The forecast of the ``horizon_days`` whole days after ``history``, the model used
    (``glm`` with :data:`MIN_HISTORY_DAYS` days of data or more, else ``mean_day``) and
    the days with data."""
    index = pd.DatetimeIndex(history.index)
    days = int(history.notna().groupby(index.normalize()).any().sum())
    if days >= MIN_HISTORY_DAYS:
        config = ForecastConfig(interval_minutes=interval_minutes, window_days=days)
        return forecast(history, horizon_days, config), "glm", days
    return _profile_forecast(history, interval_minutes, horizon_days), "mean_day", days


def _profile_forecast(history: pd.Series, interval_minutes: int, horizon_days: int) -> Forecast:
    """The mean of each time of day over the days with data, for each day of the horizon."""
    step = pd.Timedelta(minutes=interval_minutes)
    slots = 1440 // interval_minutes
    index = pd.DatetimeIndex(history.index)
    days = history.groupby(index.normalize())
    full = [g.to_numpy() for _, g in days if len(g) == slots and not np.isnan(g.to_numpy()).all()]
    if not full:
        raise ScheduleError(
            "no whole day of history to forecast from", text_key="error.plan_history"
        )
    profile = np.nanmean(np.vstack(full), axis=0)
    first = index[-1].normalize() + pd.Timedelta(days=1)
    index = pd.date_range(first, periods=slots * horizon_days, freq=step)
    mean = np.tile(profile, horizon_days)
    return Forecast(
        pd.DatetimeIndex(index), readonly(mean), readonly(mean), readonly(mean), 0.8, {}, ()
    )


def make_plan(
    history: pd.Series,
    aht_s: float,
    agents: Sequence[RosterAgent],
    request: PlanRequest,
    on_progress: Progress | None = None,
) -> WorkforcePlan:
    """Plan ``request`` from ``history`` (contacts per interval, naive local times at
    interval starts, NaN where missing) with handle time ``aht_s`` (s) for ``agents``."""
    tell = on_progress or _quiet
    started = time.perf_counter()
    notes: list[str] = []
    tell("forecast", 0.0)
    fc, model, days = forecast_days(history, request.interval_minutes, request.horizon_days)
    # A plain dict: the plan crosses to the server from a solving process (pickled).
    fc = replace(fc, event_uplift=dict(fc.event_uplift))
    if model == "glm":
        notes.append(f"forecast: Poisson GLM on {days} days")
    else:
        notes.append(f"forecast: mean day of {days} days (fewer than {MIN_HISTORY_DAYS})")
    tell("staffing", 0.0)
    target = StaffingTarget(
        service_level=request.service_level,
        threshold=request.threshold_s,
        patience=request.patience_s,
    )
    volumes = [
        VolumeRow(t.to_pydatetime(), "pool", float(c), float(aht_s))
        for t, c in zip(fc.index, fc.mean, strict=True)
    ]
    interval_s = request.interval_minutes * 60
    staffing = build_plan(volumes, target, shrinkage=request.shrinkage, interval_seconds=interval_s)
    required = [float(r.scheduled) for r in staffing.rows]
    tell("schedule", 0.0)
    first_day = fc.index[0].date()
    types = shift_types_for_requirement(required, interval_s, step_s=max(1800, interval_s))
    budget = request.time_limit_s

    def schedule_progress(done: int, total: int, _elapsed: float) -> None:
        tell("schedule", done / max(1, total))

    schedule = solve_schedule(
        required,
        interval_s,
        types,
        ScheduleOptions(time_limit_s=budget * 0.5, relative_gap=0.01),
        first_weekday=first_day.weekday(),
        on_progress=schedule_progress,
    )
    tell("roster", 0.0)
    # The roster keeps at least 40 % of the budget whatever the forecast took.
    left = max(0.4 * budget, budget - (time.perf_counter() - started))
    roster = assign_agents(
        schedule.assignments, agents, first_weekday=first_day.weekday(), time_limit_s=left
    )
    missing = sum(u.missing for u in roster.unfilled)
    if missing:
        notes.append(f"{missing} shift places have no agent")
    tell("done", 1.0)
    return WorkforcePlan(
        fc, staffing, schedule, roster, first_day, interval_s, tuple(notes), model, days
    )


def shift_instants(
    shift: NamedShift, first_day: dt.date, timezone: str
) -> tuple[float, float, tuple[tuple[float, float], ...]]:
    """A named shift's start, end and breaks in seconds since the epoch, its times of day
    read on ``timezone``'s wall clock from ``first_day``."""
    zone = ZoneInfo(timezone)
    midnight = dt.datetime.combine(first_day, dt.time())

    def at(offset_s: int) -> float:
        return (midnight + dt.timedelta(seconds=offset_s)).replace(tzinfo=zone).timestamp()

    breaks = tuple((at(b), at(b + n)) for b, n in shift.breaks)
    return at(shift.start_s), at(shift.start_s + shift.length_s), breaks


def pool_agents(agents: Sequence[AgentSpec], queues: Sequence[QueueSpec]) -> list[AgentSpec]:
    """The agents that serve every queue of the pool (a blended pool needs each of them)."""
    return [a for a in agents if all(serves(a, q) for q in queues)]


def _quiet(step: str, done: float) -> None:
    del step, done
