"""The executive dashboard, ``/reports/executive`` (seed 003: dashboards, not piles of
detail): service level met per queue over the last weeks against each queue's target,
volume and cost per contact per week (agents' logged-in hours × the configured cost per
hour / contacts handled), FCR and CSAT over the weeks shown, and the volume forecast
against the actual per day (:mod:`kefu.web.executive_forecast`). Supervisors see their
sites, admins every site; agents are refused.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kefu.adapters.storage.report_source import ReportQuery, ReportRun
from kefu.analytics.buckets import zone
from kefu.analytics.fcr import FcrCount, FcrReport, compute_fcr
from kefu.analytics.scorecard import csat_by
from kefu.domain.errors import KefuError
from kefu.domain.model import QueueSpec
from kefu.service import RoutingEngine
from kefu.service.cases import SurveyWing
from kefu.web.executive_forecast import volume_check
from kefu.web.i18n import page_templates, request_catalog
from kefu.web.report_chart import level_bars
from kefu.web.report_views import fmt, local_time
from kefu.web.reports_page import ReportAccess

__all__ = ["ExecutivePage", "week_range"]

DEFAULT_WEEKS = 6
MAX_WEEKS = 26
DAY_S = 86_400.0


def week_range(now: float, weeks: int, timezone: str) -> tuple[float, float]:
    """[Monday 00:00 ``weeks`` - 1 weeks before this week's, next Monday 00:00) in
    ``timezone``, seconds since the epoch."""
    tz = zone(timezone)
    today = datetime.fromtimestamp(now, tz).date()
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=weeks - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=tz)
    nxt = monday + timedelta(weeks=1)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz)
    return start.timestamp(), end.timestamp()


class ExecutivePage:
    """``GET /reports/executive?weeks=N&site=S``."""

    def __init__(
        self,
        access: ReportAccess,
        engine: RoutingEngine,
        surveys: SurveyWing | None,
        cost_per_hour: float,
    ) -> None:
        self.access = access
        self.engine = engine
        self.surveys = surveys
        self.cost_per_hour = cost_per_hour
        self.templates = page_templates()
        self.templates.env.globals["fmt"] = fmt
        self.router = APIRouter(include_in_schema=False)
        self.router.add_api_route("/reports/executive", self.page, methods=["GET"])

    async def page(self, request: Request, weeks: int = DEFAULT_WEEKS) -> Response:
        user = await self.access.caller(request)
        if isinstance(user, Response):
            return user
        site = request.query_params.get("site") or None
        scoped = await self.access.scope(request, user, site)
        if isinstance(scoped, Response):
            return scoped
        sites, timezone = scoped
        weeks = min(max(weeks, 1), MAX_WEEKS)
        since, until = week_range(self.engine.now(), weeks, timezone)
        source = self.access.source
        assert source is not None
        query = ReportQuery(
            since, until, period="week", timezone=timezone, group_by=("queue",), sites=sites
        )
        try:
            run: ReportRun = await self.access.read(source.run, query, False)
            weekly: ReportRun = await self.access.read(
                source.run,
                ReportQuery(since, until, period="week", timezone=timezone, sites=sites),
                False,
            )
        except KefuError as exc:
            return self.access.bad_input(request, exc)
        specs: dict[str, QueueSpec] = await self.access.read(source.queue_specs)
        asked = request.query_params.get("fcr") == "1"  # decodes the weeks' events: slow
        fcr = await self.access.read(_fcr, source, since, until) if asked else None
        csat = await self._csat(since, until, sites)
        local = zone(timezone)
        mine = sorted(q for q, s in specs.items() if sites is None or s.site_id in sites)
        volume = None
        try:
            # A model fit per week shown (seconds each on a busy machine): when asked.
            if request.query_params.get("volume") == "1":
                volume = await self.access.read(
                    volume_check,
                    source,
                    mine,
                    datetime.fromtimestamp(since, local).date(),
                    weeks,
                    datetime.fromtimestamp(self.engine.now(), local).date(),
                    timezone,
                )
        except KefuError as exc:
            return self.access.bad_input(request, exc)
        report = run.report
        labels = [local_time(b, timezone, "week") for b in report.buckets[:-1]]
        index = {b: k for k, b in enumerate(report.buckets[:-1])}
        queues: dict[str, list[Any]] = {}
        for row in report.rows:
            cells = queues.setdefault(row.group[0], [None] * len(labels))
            cells[index[row.start_s]] = row.contacts.service_level
        grid = []
        for queue_id in sorted(queues):
            spec = specs.get(queue_id)
            target = spec.sl_target if spec is not None else None
            grid.append((queue_id, target, queues[queue_id]))
        totals = []
        for row in weekly.report.rows:
            handled = row.contacts.handled
            staffed_h = row.agents.staffed_s / 3600.0 if row.agents is not None else 0.0
            cost = (
                staffed_h * self.cost_per_hour / handled
                if handled and self.cost_per_hour > 0
                else None
            )
            totals.append(
                (local_time(row.start_s, timezone, "week"), row.contacts, staffed_h, cost)
            )
        targets = [t for _, t, _ in grid if t is not None]
        chart = level_bars(
            request_catalog(request).text("reports.exec_chart"),
            [
                (label, _level(weekly.report.rows, b))
                for label, b in zip(labels, report.buckets[:-1], strict=True)
            ],
            min(targets) if targets else 0.8,
        )
        return self.templates.TemplateResponse(
            request,
            "executive.html",
            {
                "user": user,
                "weeks": weeks,
                "site": site,
                "labels": labels,
                "grid": grid,
                "totals": totals,
                "fcr": None if fcr is None else _fcr_of(fcr, specs, sites),
                "fcr_shown": fcr is not None,
                "csat": csat.get("all"),
                "cost_per_hour": self.cost_per_hour,
                "chart": chart,
                "timezone": timezone,
                "volume": volume,
            },
        )

    async def _csat(self, since: float, until: float, sites: frozenset[str] | None) -> Any:
        wing = self.surveys
        if wing is None:
            return {}

        def look(_engine: RoutingEngine) -> Any:
            return csat_by(list(wing.book.surveys.values()), since, until, lambda _s: "all", sites)

        return await wing.engine.query(look)


def _level(rows: Any, start: float) -> float | None:
    for row in rows:
        if row.start_s == start:
            value: float | None = row.contacts.service_level
            return value
    return None


def _fcr_of(
    report: FcrReport, specs: dict[str, QueueSpec], sites: frozenset[str] | None
) -> float | None:
    """FCR over the queues of ``sites`` (every queue for ``None``)."""
    if sites is None:
        return report.overall.fcr
    first = repeated = 0
    for queue_id, count in report.by_queue.items():
        spec = specs.get(queue_id)
        if spec is not None and spec.site_id in sites:
            first += count.resolved_first
            repeated += count.repeated
    return FcrCount(first, repeated).fcr


def _fcr(source: Any, since: float, until: float) -> Any:
    events = (e for batch in source.events(since - DAY_S, until) for e in batch)
    return compute_fcr(events, since=since, until=until)
