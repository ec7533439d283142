"""What the workforce pages show of a plan and of work rules: plain values for the
templates (times on the site's wall clock)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from kefu.adapters.storage.workforce_history import ArrivalHistory
from kefu.domain.errors import ValidationError
from kefu.service.workforce import PublishedShift, WorkRules
from kefu.workforce.forecast_types import MIN_HISTORY_DAYS
from kefu.workforce.plan import PlanRequest, WorkforcePlan, shift_instants
from kefu.workforce.schedule import format_clock

__all__ = [
    "clock",
    "form_date",
    "form_number",
    "plan_request",
    "plan_tables",
    "rules_form_values",
    "shift_line",
]


def rules_form_values(rules: WorkRules) -> dict[str, str]:
    """The rules as the form's fields show them."""
    start = rules.preferred_start
    return {
        "contracted_hours": f"{rules.contracted_hours:g}",
        "days_off": ",".join(str(d) for d in sorted(rules.days_off)),
        "max_days": str(rules.max_days),
        "min_rest_hours": f"{rules.min_rest_hours:g}",
        "preferred_start": ""
        if start is None
        else f"{format_clock(start[0])}-{format_clock(start[1])}",
    }


def clock(at: float, zone: ZoneInfo) -> str:
    """``YYYY-MM-DD HH:MM`` on the zone's wall clock."""
    return dt.datetime.fromtimestamp(at, zone).strftime("%Y-%m-%d %H:%M")


def shift_line(shift: PublishedShift, timezone: str) -> dict[str, Any]:
    """A published shift as a line: day, start, end and breaks on the wall clock."""
    zone = ZoneInfo(timezone)
    start = dt.datetime.fromtimestamp(shift.start, zone)
    return {
        "agent_id": shift.agent_id,
        "day": start.strftime("%Y-%m-%d"),
        "weekday": start.weekday(),
        "start": start.strftime("%H:%M"),
        "end": dt.datetime.fromtimestamp(shift.end, zone).strftime("%H:%M"),
        "breaks": [
            f"{dt.datetime.fromtimestamp(a, zone):%H:%M}-{dt.datetime.fromtimestamp(b, zone):%H:%M}"
            for a, b in shift.breaks
        ],
        "hours": (shift.end - shift.start) / 3600.0,
    }


def plan_tables(plan: WorkforcePlan, history: ArrivalHistory, timezone: str) -> dict[str, Any]:
    """The plan's figures: per day, per interval, per agent, and the places left open."""
    slots = len(plan.schedule.intervals)
    per_day = 86_400 // plan.interval_s
    coverage = plan.schedule.intervals
    intervals: list[dict[str, Any]] = []
    for i, stamp in enumerate(plan.forecast.index):
        row = plan.staffing.rows[i]
        intervals.append(
            {
                "time": stamp.strftime("%Y-%m-%d %H:%M"),
                "forecast": float(plan.forecast.mean[i]),
                "required": row.required,
                "scheduled": row.scheduled,
                "covered": coverage[i].scheduled if i < slots else 0.0,
            }
        )
    days = []
    for d in range(len(intervals) // per_day):
        chunk = intervals[d * per_day : (d + 1) * per_day]
        days.append(
            {
                "day": (plan.first_day + dt.timedelta(days=d)).isoformat(),
                "forecast": sum(r["forecast"] for r in chunk),
                "peak": max((r["scheduled"] for r in chunk), default=0),
                "agents": sum(1 for s in plan.roster.shifts if s.day == d),
            }
        )
    agents: dict[str, list[dict[str, Any]]] = {}
    for s in plan.roster.shifts:
        start, end, breaks = shift_instants(s, plan.first_day, timezone)
        line = shift_line(PublishedShift(s.agent_id, start, end, breaks, "", s.shift), timezone)
        agents.setdefault(s.agent_id, []).append(line)
    return {
        "model": plan.model,
        "history_days": plan.history_days,
        "min_days": MIN_HISTORY_DAYS,
        "status": plan.schedule.status,
        "roster_status": plan.roster.status,
        "aht_s": history.aht_s,
        "missing_days": [d.isoformat() for d in history.missing_days],
        "days": days,
        "intervals": intervals,
        "agents": sorted(agents.items()),
        "hours": plan.roster.hours(),
        "unfilled": [
            {
                "day": (plan.first_day + dt.timedelta(days=u.day)).isoformat(),
                "start": format_clock(u.start_s % 86_400),
                "missing": u.missing,
            }
            for u in plan.roster.unfilled
        ],
    }


def form_number(values: dict[str, str], name: str, default: float) -> float:
    text = values.get(name, "").strip()
    if not text:
        return default
    try:
        return float(text)
    except ValueError:
        raise ValidationError(
            f"{name} must be a number", text_key="error.plan_number", field=name
        ) from None


def form_date(values: dict[str, str], name: str, default: dt.date) -> dt.date:
    text = values.get(name, "").strip()
    if not text:
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"{name} must be a date (YYYY-MM-DD)", text_key="error.plan_date", field=name
        ) from None


def plan_request(values: dict[str, str]) -> PlanRequest:
    """The plan's parameters from the form (percentages as the page shows them)."""
    patience = form_number(values, "patience", 0.0)
    return PlanRequest(
        interval_minutes=int(form_number(values, "interval", 30)),
        horizon_days=int(form_number(values, "horizon", 7)),
        service_level=form_number(values, "sl", 80.0) / 100.0,
        threshold_s=form_number(values, "threshold", 20.0),
        patience_s=patience if patience > 0 else None,
        shrinkage=form_number(values, "shrinkage", 30.0) / 100.0,
        time_limit_s=form_number(values, "time_limit", 20.0),
    )
