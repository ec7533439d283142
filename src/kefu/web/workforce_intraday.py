"""``/workforce/intraday``: today for some queues of a site, per interval: the forecast
(from the 28 days before today), the contacts so far, the rest of the day re-forecast from
them, agents needed and agents scheduled by the published shifts, and the gap.

Supervisors see their sites (another: 404), admins every site, agents 403. The math is
:mod:`kefu.workforce.intraday`; the reads run in a worker thread.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from kefu.adapters.storage.workforce_history import arrival_history, local_midnight
from kefu.domain.errors import KefuError, ValidationError
from kefu.domain.model import AgentSpec, QueueSpec
from kefu.service import RoutingEngine
from kefu.service.workforce import PublishedShift, WorkforceBook
from kefu.web.i18n import refusal, request_catalog
from kefu.web.reports_page import ReportAccess
from kefu.web.workforce_views import plan_request
from kefu.workforce.intraday import Intraday, intraday, scheduled_per_interval
from kefu.workforce.plan import PlanRequest, forecast_days, pool_agents
from kefu.workforce.required import StaffingTarget

__all__ = ["IntradayView"]

HISTORY_DAYS = 28


_MINUTES = ("15", "30", "60")


def worded(request: Request, exc: KefuError) -> str:
    """The refusal's text in the request's language (its catalog text, else the English)."""
    if exc.text_key is None:
        return exc.message
    found = request_catalog(request).text(exc.text_key, **exc.details)
    return exc.message if found == exc.text_key else found


class IntradayView:
    """The intraday page over the report source, the engine and the workforce book."""

    def __init__(
        self,
        access: ReportAccess,
        engine: RoutingEngine,
        book: WorkforceBook,
        templates: Jinja2Templates,
    ) -> None:
        self.access = access
        self.engine = engine
        self.book = book
        self.templates = templates

    async def page(self, request: Request) -> Response:
        user = await self.access.caller(request)
        if isinstance(user, Response):
            return user
        zones = await self.access.zones()
        visible = sorted(s for s in zones if user.is_admin or s in user.sites)
        site = request.query_params.get("site") or (visible[0] if visible else "")
        if site not in visible:
            return refusal(request, "reports.unknown_site", 404)
        zone = zones[site]
        now = self.engine.now()
        today = dt.datetime.fromtimestamp(now, ZoneInfo(zone)).date()
        since, until = (
            local_midnight(today, zone),
            local_midnight(today + dt.timedelta(days=1), zone),
        )

        def look(e: RoutingEngine) -> tuple[list[QueueSpec], list[AgentSpec], list[Any]]:
            queues = [q.spec for q in e.router.queues.values() if q.spec.site_id == site]
            agents = [a.spec for a in e.router.agents.values() if a.spec.site_id == site]
            return (
                sorted(queues, key=lambda q: q.queue_id),
                agents,
                self.book.shifts(since, until, sites=[site]),
            )

        queues, agents, shifts = await self.engine.query(look, stored=False)
        asked = set(request.query_params.getlist("queue"))
        picked = [q for q in queues if q.queue_id in asked] or queues[:1]
        values = dict(request.query_params.items())
        try:
            if not picked:
                raise ValidationError("pick at least one queue", text_key="error.plan_queues")
            req = plan_request({**values, "horizon": "1"})
            pool = {a.agent_id for a in pool_agents(agents, picked)}
            mine = [s for s in shifts if s.agent_id in pool]
            day: Intraday = await self.access.read(
                self._compute, [q.queue_id for q in picked], today, zone, now, req, mine
            )
        except KefuError as exc:
            # The page stays a page (its menu and form) with the reason where the table
            # would be: a new center has no full day of history yet.
            return self.templates.TemplateResponse(
                request,
                "workforce_intraday.html",
                {
                    "user": user,
                    "site": site,
                    "sites": visible,
                    "queues": queues,
                    "picked": {q.queue_id for q in picked},
                    "day": None,
                    "error": worded(request, exc),
                    "interval": int(v) if (v := values.get("interval")) in _MINUTES else 30,
                    "today": today.isoformat(),
                    "times": [],
                },
                status_code=400,
            )
        local = ZoneInfo(zone)
        return self.templates.TemplateResponse(
            request,
            "workforce_intraday.html",
            {
                "user": user,
                "site": site,
                "sites": visible,
                "queues": queues,
                "picked": {q.queue_id for q in picked},
                "day": day,
                "error": None,
                "interval": req.interval_minutes,
                "today": today.isoformat(),
                "times": [f"{dt.datetime.fromtimestamp(r.start, local):%H:%M}" for r in day.rows],
            },
        )

    def _compute(
        self,
        queues: list[str],
        today: dt.date,
        zone: str,
        now: float,
        req: PlanRequest,
        shifts: list[PublishedShift],
    ) -> Intraday:
        source = self.access.source
        assert source is not None
        minutes = req.interval_minutes
        first = today - dt.timedelta(days=HISTORY_DAYS)
        past = arrival_history(source, queues, first, today - dt.timedelta(days=1), minutes, zone)
        fc, _model, _days = forecast_days(past.contacts, minutes, 1)
        interval_s = minutes * 60
        midnight = local_midnight(today, zone)
        starts = [midnight + i * interval_s for i in range(len(fc.mean))]
        elapsed = max(0, min(len(starts), int((now - midnight) // interval_s)))
        actual: list[float] = []
        if elapsed:
            seen = arrival_history(source, queues, today, today, minutes, zone).contacts
            # A day without contacts so far reads as missing (NaN): here it is zeros.
            actual = [float(c) for c in seen.fillna(0.0).to_numpy()[:elapsed]]
        scheduled = scheduled_per_interval(
            [(s.start, s.end, s.breaks) for s in shifts], starts, interval_s
        )
        target = StaffingTarget(
            service_level=req.service_level, threshold=req.threshold_s, patience=req.patience_s
        )
        return intraday(
            starts,
            [float(f) for f in fc.mean],
            actual,
            scheduled,
            aht_s=past.aht_s,
            interval_s=interval_s,
            target=target,
            shrinkage=req.shrinkage,
        )
