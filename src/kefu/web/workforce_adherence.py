"""Schedule adherence for supervisors (``/workforce/adherence``: each agent of a site now,
scheduled activity, actual state, in or out of adherence and since when; and adherence
per agent over a range of days) and an agent's own upcoming shifts (``/me/schedule``).

The figures are :mod:`kefu.analytics.adherence` over the published shifts and the agents'
stored presence events; the tolerance (minutes) is the settings' unless the page asks.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from kefu.adapters.storage.workforce_history import local_midnight
from kefu.analytics.adherence import (
    AgentAdherence,
    ScheduledShift,
    adherence_now,
    adherence_over,
)
from kefu.domain import events as ev
from kefu.domain.errors import KefuError, ValidationError
from kefu.service import RoutingEngine
from kefu.service.security import Principal
from kefu.service.workforce import PublishedShift, WorkforceBook
from kefu.web._http import user_of
from kefu.web.i18n import refusal
from kefu.web.reports_page import ReportAccess
from kefu.web.workforce_views import clock, shift_line

__all__ = ["AdherenceView", "read_adherence", "scheduled"]

DAY_S = 86_400.0
LOOKBACK_S = 7 * DAY_S
"""Presence events read before a range: the state an agent was in when it began."""
UPCOMING_S = 14 * DAY_S


def scheduled(shifts: list[PublishedShift]) -> list[ScheduledShift]:
    return [ScheduledShift(s.agent_id, s.start, s.end, s.breaks) for s in shifts]


class AdherenceView:
    """The two pages, over the report source (presence events) and the workforce book."""

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

    def _tolerance_s(self, request: Request) -> float:
        text = request.query_params.get("tolerance", "").strip()
        minutes = self.access.settings.adherence_tolerance_min
        if text:
            try:
                minutes = float(text)
            except ValueError:
                minutes = -1.0
            if not 0 <= minutes <= 120:
                raise ValidationError(
                    "the tolerance is 0 to 120 minutes", text_key="error.adherence_tolerance"
                )
        return minutes * 60.0

    def _events(self, agents: list[str], since: float, until: float) -> list[ev.Event]:
        source = self.access.source
        assert source is not None
        out: list[ev.Event] = []
        for agent in agents:
            out.extend(source.agent_events(agent, since, until))
        return out

    async def page(self, request: Request) -> Response:
        user = await self.access.caller(request)
        if isinstance(user, Response):
            return user
        zones = await self.access.zones()
        visible = sorted(s for s in zones if user.is_admin or s in user.sites)
        site = request.query_params.get("site") or (visible[0] if visible else "")
        if site not in visible:
            return refusal(request, "reports.unknown_site", 404)
        zone = ZoneInfo(zones[site])
        now = self.engine.now()
        today = dt.datetime.fromtimestamp(now, zone).date()
        try:
            tolerance_s = self._tolerance_s(request)
            first = _day(request, "since", today)
            last = _day(request, "until", today)
            if last < first:
                raise ValidationError(
                    "the period ends before it starts", text_key="error.period_order"
                )
        except KefuError as exc:
            return self.access.bad_input(request, exc)
        since = local_midnight(first, zones[site])
        until = min(now, local_midnight(last + dt.timedelta(days=1), zones[site]))

        def look(e: RoutingEngine) -> tuple[list[str], list[PublishedShift]]:
            agents = sorted(a for a, st in e.router.agents.items() if st.spec.site_id == site)
            shifts = self.book.shifts(min(since, now - DAY_S), now + DAY_S, sites=[site])
            return agents, shifts

        agents, shifts = await self.engine.query(look, stored=False)
        begin = min(since, now - DAY_S) - LOOKBACK_S
        events = await self.access.read(self._events, agents, begin, now + 1.0)
        plan = scheduled(shifts)
        rows = adherence_now(plan, events, now, tolerance_s, agents)
        ranged = (
            adherence_over(plan, events, since, until, tolerance_s, now) if until > since else {}
        )
        current = {s.agent_id: s for s in shifts if s.start <= now < s.end}
        return self.templates.TemplateResponse(
            request,
            "workforce_adherence.html",
            {
                "user": user,
                "site": site,
                "sites": visible,
                "rows": rows,
                "since_text": {r.agent_id: clock(r.since, zone) for r in rows if r.since},
                "shift_text": {a: shift_line(s, zones[site]) for a, s in current.items()},
                "ranged": ranged,
                "first": first.isoformat(),
                "last": last.isoformat(),
                "tolerance_min": tolerance_s / 60.0,
                "now_text": clock(now, zone),
            },
        )

    async def my_schedule(self, request: Request) -> Response:
        user: Principal | None = await user_of(request, self.access.security)
        if user is None:
            return RedirectResponse(f"/login?next={quote('/me/schedule')}", status_code=303)
        agent_id = user.agent_id
        now = self.engine.now()

        def look(e: RoutingEngine) -> tuple[list[PublishedShift], str]:
            if agent_id is None or agent_id not in e.router.agents:
                return [], self.access.settings.timezone
            site = e.router.agents[agent_id].spec.site_id or ""
            found = e.sites.get(site)
            zone = found.timezone if found is not None else self.access.settings.timezone
            return self.book.shifts(now, now + UPCOMING_S, agent_id=agent_id), zone

        shifts, zone = await self.engine.query(look, stored=False)
        return self.templates.TemplateResponse(
            request,
            "my_schedule.html",
            {
                "user": user,
                "agent_id": agent_id,
                "timezone": zone,
                "lines": [shift_line(s, zone) for s in shifts],
            },
        )


def _day(request: Request, name: str, default: dt.date) -> dt.date:
    text = request.query_params.get(name, "").strip()
    if not text:
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"{name} must be a date (YYYY-MM-DD)", text_key="error.plan_date", field=name
        ) from None


def read_adherence(
    access: ReportAccess,
    shifts: list[PublishedShift],
    agents: list[str],
    since: float,
    until: float,
    now: float,
) -> dict[str, AgentAdherence]:
    """Adherence per agent over [since, until) from the stored presence events up to
    ``now`` (blocking: run it in a worker thread), at the settings' tolerance."""
    source = access.source
    if source is None or until <= since or not shifts:
        return {}
    scheduled_agents = sorted({s.agent_id for s in shifts} & set(agents))
    events: list[ev.Event] = []
    for agent in scheduled_agents:
        events.extend(source.agent_events(agent, since - LOOKBACK_S, now + 1.0))
    tolerance_s = access.settings.adherence_tolerance_min * 60.0
    plan = [s for s in scheduled(shifts) if s.agent_id in scheduled_agents]
    return adherence_over(plan, events, since, until, tolerance_s, now)
