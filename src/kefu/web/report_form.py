"""The report pages' query string: a date range, a period, a grouping, a site and a sort
order, read into a :class:`ReportForm` (bad input refused with a
:class:`~kefu.domain.errors.ValidationError` naming its catalog key).

Dates are local dates or times of the report's time zone (``2026-01-05``,
``2026-01-05T08:30``) or ISO times with their offset (the drill-down links); ``until`` is
excluded, as in ``kefu report``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from kefu.analytics.buckets import parse_period, zone
from kefu.analytics.history import DIMENSIONS
from kefu.domain.errors import KefuError, ValidationError

__all__ = [
    "MAX_RANGE_DAYS",
    "PERIODS",
    "SORTABLE",
    "ReportForm",
    "parse_instant",
    "read_form",
]

PERIODS = ("interval:15", "interval:30", "interval:60", "day", "week", "month")
"""The periods the page offers."""
MAX_RANGE_DAYS = 400
"""The longest range a page reports on, days."""
DEFAULT_DAYS = 7
SORTABLE = (
    "start",
    "group",
    "offered",
    "answered",
    "abandoned",
    "short_abandons",
    "service_level",
    "asa_s",
    "aht_s",
    "talk_s",
    "hold_s",
    "wrapup_s",
    "occupancy",
    "utilisation",
    "transferred_out",
    "callbacks",
    "predicted_wait_mae_s",
)
"""The columns a report table sorts by."""


@dataclass(frozen=True, slots=True)
class ReportForm:
    """What the page was asked: [since, until) in seconds since the epoch (and as typed),
    the period, the grouping, one site or all the caller sees (``None``), the time zone,
    the sort column and whether descending."""

    since: float
    until: float
    since_text: str
    until_text: str
    period: str
    group_by: tuple[str, ...]
    site: str | None
    timezone: str
    sort: str
    descending: bool

    def query_string(self, **changes: str) -> str:
        """The form as a query string, with ``changes`` applied (for links)."""
        from urllib.parse import urlencode

        values: list[tuple[str, str]] = [
            ("since", self.since_text),
            ("until", self.until_text),
            ("period", self.period),
            *(("group", g) for g in self.group_by),
        ]
        if self.site is not None:
            values.append(("site", self.site))
        values += [("sort", self.sort), ("order", "desc" if self.descending else "asc")]
        replaced = set(changes)
        kept = [(k, v) for k, v in values if k not in replaced]
        return urlencode(kept + list(changes.items()))


def parse_instant(text: str, timezone: str, what: str) -> float:
    """A local date or time of ``timezone`` (or an ISO time with its offset) → seconds
    since the epoch."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(
            f"{what} {text!r} is not a date or time: use 2026-01-05 or 2026-01-05T08:30",
            text_key="error.report_instant",
            what=what,
            value=text,
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(timezone))
    return moment.timestamp()


def _one(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = params.get(name) or []
    value = values[-1].strip() if values else ""
    return value or None


def read_form(
    params: Mapping[str, Sequence[str]],
    *,
    now: float,
    timezone: str,
    default_period: str = "day",
    default_days: int = DEFAULT_DAYS,
) -> ReportForm:
    """The form of the query ``params`` (name → values); missing dates default to the last
    ``default_days`` (or ``days``) whole days up to today included, in ``timezone``."""
    tz = zone(timezone)
    today = datetime.fromtimestamp(now, tz).date()
    days = _one(params, "days")
    if days is not None:
        default_days = min(max(int(days), 1), MAX_RANGE_DAYS) if days.isdigit() else 1
    since_text = _one(params, "since") or (today - timedelta(days=default_days - 1)).isoformat()
    until_text = _one(params, "until") or (today + timedelta(days=1)).isoformat()
    since = parse_instant(since_text, timezone, "since")
    until = parse_instant(until_text, timezone, "until")
    if not until > since:
        raise ValidationError("the period ends before it starts", text_key="error.period_order")
    if until - since > MAX_RANGE_DAYS * 86_400.0:
        raise ValidationError(
            f"the range is too long: at most {MAX_RANGE_DAYS} days",
            text_key="error.report_range",
            days=MAX_RANGE_DAYS,
        )
    period = _one(params, "period") or default_period
    try:
        parse_period(period)
    except KefuError:
        raise ValidationError(
            f"unknown period {period!r}: use {', '.join(PERIODS)}",
            text_key="error.report_period",
            period=period,
        ) from None
    groups: list[str] = []
    for value in params.get("group") or []:
        groups.extend(g.strip() for g in value.split(",") if g.strip())
    for g in groups:
        if g not in DIMENSIONS:
            raise ValidationError(
                f"cannot group by {g!r}: use {', '.join(DIMENSIONS)}",
                text_key="error.report_group",
                group=g,
            )
    group_by = tuple(dict.fromkeys(groups))
    sort = _one(params, "sort") or "start"
    if sort not in SORTABLE:
        sort = "start"
    return ReportForm(
        since=since,
        until=until,
        since_text=since_text,
        until_text=until_text,
        period=period,
        group_by=group_by,
        site=_one(params, "site"),
        timezone=timezone,
        sort=sort,
        descending=_one(params, "order") == "desc",
    )
