"""Agents' scorecards: ``/reports/agents`` (the agents of the supervisor's sites, or with
``?team=<id>`` the member agents of one team, one line each) and
``/reports/agents/{agent_id}`` (one agent: contacts handled per channel, handle time,
occupancy, FCR and CSAT when there are any, transfers out, time in each not-ready reason).

An agent sees its own scorecard only (another's: 403); a supervisor the agents and teams of
its sites (others: 404); admins every agent. Lines are by agent, never ranked by contacts
per hour alone (seed 000).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kefu.adapters.storage.report_source import ReportQuery, ReportRun, ReportSource
from kefu.analytics.fcr import FcrReport, compute_fcr
from kefu.analytics.history import ReportRow
from kefu.analytics.scorecard import (
    Csat,
    csat_by,
    group_total,
    presence_seconds,
    work_by_channel,
)
from kefu.domain import events as ev
from kefu.domain.errors import KefuError
from kefu.service import RoutingEngine
from kefu.service.cases import SurveyWing
from kefu.service.security import Principal, Role
from kefu.service.teams import Team, TeamBook
from kefu.service.workforce import WorkforceBook
from kefu.web.i18n import page_templates, refusal
from kefu.web.report_form import ReportForm, read_form
from kefu.web.report_views import fmt
from kefu.web.reports_page import ReportAccess
from kefu.web.workforce_adherence import read_adherence

__all__ = ["ScorecardPages"]

DAY_S = 86_400.0


class ScorecardPages:
    """``/reports/agents`` and ``/reports/agents/{agent_id}``."""

    def __init__(
        self,
        access: ReportAccess,
        engine: RoutingEngine,
        surveys: SurveyWing | None,
        workforce: WorkforceBook | None = None,
    ) -> None:
        self.access = access
        self.engine = engine
        self.surveys = surveys
        self.workforce = workforce
        self.templates = page_templates()
        self.templates.env.globals["fmt"] = fmt
        self.router = APIRouter(include_in_schema=False)
        self.router.add_api_route("/reports/agents", self.team, methods=["GET"])
        self.router.add_api_route("/reports/agents/{agent_id}", self.agent, methods=["GET"])

    def _form(self, request: Request, timezone: str) -> ReportForm:
        params = {k: request.query_params.getlist(k) for k in request.query_params}
        params.pop("group", None)
        return read_form(params, now=self.engine.now(), timezone=timezone)

    async def _csat(self, since: float, until: float, sites: frozenset[str] | None) -> Any:
        wing = self.surveys
        if wing is None:
            return {}

        def look(_engine: RoutingEngine) -> Any:
            return csat_by(
                list(wing.book.surveys.values()), since, until, lambda s: s.agent_id, sites
            )

        return await wing.engine.query(look)

    def _fcr(self, form: ReportForm, asked: bool) -> FcrReport | None:
        """FCR over the range when ``asked`` (it decodes the events of the range)."""
        source = self.access.source
        if not asked or source is None:
            return None
        events = (e for batch in source.events(form.since - DAY_S, form.until) for e in batch)
        return compute_fcr(events, since=form.since, until=form.until)

    async def _adherence(self, form: ReportForm, agents: list[str]) -> dict[str, Any]:
        """Schedule adherence per agent over the range (to now), where shifts were
        published."""
        book = self.workforce
        if book is None:
            return {}
        now = self.engine.now()
        until = min(form.until, now)

        def look(_engine: RoutingEngine) -> Any:
            return book.shifts(form.since, until)

        shifts = await self.engine.query(look, stored=False)
        found: dict[str, Any] = await self.access.read(
            read_adherence, self.access, shifts, agents, form.since, until, now
        )
        return found

    async def _run(self, form: ReportForm, sites: frozenset[str] | None) -> ReportRun:
        source = self.access.source
        assert source is not None
        query = ReportQuery(
            form.since,
            form.until,
            period=form.period,
            timezone=form.timezone,
            group_by=("agent",),
            sites=sites,
        )
        run: ReportRun = await self.access.read(source.run, query, True)
        return run

    async def _team(self, request: Request, user: Principal) -> Team | Response | None:
        """The team ``?team=`` names (``None`` without one), or 404 when the caller does not
        see it."""
        team_id = (request.query_params.get("team") or "")[:64]
        if not team_id:
            return None
        book: TeamBook | None = getattr(request.app.state, "teams", None)
        found = None if book is None else await self.engine.query(lambda _e: book.get(team_id))
        if found is None or not user.visibility.site(found.site_id):
            return refusal(request, "reports.unknown_team", 404)
        return found

    async def team(self, request: Request) -> Response:
        user = await self.access.caller(request)
        if isinstance(user, Response):
            return user
        team = await self._team(request, user)
        if isinstance(team, Response):
            return team
        site = request.query_params.get("site") or (team.site_id if team else None)
        scoped = await self.access.scope(request, user, site)
        if isinstance(scoped, Response):
            return scoped
        sites, timezone = scoped
        try:
            form = self._form(request, timezone)
            run = await self._run(form, sites)
            fcr = await self.access.read(self._fcr, form, _wants_fcr(request))
        except KefuError as exc:
            return self.access.bad_input(request, exc)
        csat: Any = await self._csat(form.since, form.until, sites)
        agents: dict[str, str | None] = await self.access.read(_agent_sites, self.access.source)
        known = {a for a, s in agents.items() if sites is None or s in sites}
        if team is not None:
            known &= set(team.members)
        rows = [r for r in run.report.groups if r.group and r.group[0] in known]
        seen = {r.group[0] for r in rows}
        lines = [_agent_line(r.group[0], r, fcr, csat) for r in rows]
        lines += [_agent_line(a, None, fcr, csat) for a in sorted(known - seen)]
        total = None
        if team is not None:
            # The team's own line: its members' figures added up (FCR and CSAT stay per
            # agent: they are not sums).
            summed = group_total(rows, (team.team_id,))
            total = _agent_line(team.team_id, summed, None, {})
        adherence = await self._adherence(form, sorted(known))
        for line in lines:
            line["adherence"] = _percent(adherence.get(line["agent_id"]))
        return self.templates.TemplateResponse(
            request,
            "scorecards.html",
            {
                "user": user,
                "form": form,
                "lines": lines,
                "site": form.site,
                "fcr_shown": fcr is not None,
                "team": team,
                "total": total,
            },
        )

    async def agent(self, request: Request, agent_id: str) -> Response:
        user = await self.access.caller(request, agents=True)
        if isinstance(user, Response):
            return user
        source = self.access.source
        assert source is not None
        agents: dict[str, str | None] = await self.access.read(_agent_sites, source)
        if user.role is Role.AGENT:
            if user.agent_id != agent_id:
                return refusal(request, "reports.own_scorecard_only")
            sites: frozenset[str] | None = None
        else:
            sites = self.access.sites_of(user)
            if agent_id not in agents or (sites is not None and agents[agent_id] not in sites):
                return refusal(request, "reports.unknown_agent", 404)
        zones = await self.access.zones()
        home = agents.get(agent_id)
        timezone = zones.get(home or "", self.access.settings.timezone)
        try:
            form = self._form(request, timezone)
            run = await self._run(form, sites)
            fcr = await self.access.read(self._fcr, form, _wants_fcr(request))
            presence_events: list[ev.Event] = await self.access.read(
                source.agent_events, agent_id, form.since - 7 * DAY_S, form.until
            )
        except KefuError as exc:
            return self.access.bad_input(request, exc)
        csat: Any = await self._csat(form.since, form.until, sites)
        row = next((r for r in run.report.groups if r.group == (agent_id,)), None)
        time = presence_seconds(presence_events, agent_id, form.since, form.until)
        line = _agent_line(agent_id, row, fcr, csat)
        line["adherence"] = _percent((await self._adherence(form, [agent_id])).get(agent_id))
        return self.templates.TemplateResponse(
            request,
            "scorecard.html",
            {
                "user": user,
                "form": form,
                "agent_id": agent_id,
                "line": line,
                "channels": work_by_channel(run.visits or (), agent_id),
                "presence": sorted(time.items()),
                "fcr_shown": fcr is not None,
            },
        )


def _percent(found: Any) -> float | None:
    """Adherence as a ratio (``None``: nothing scheduled)."""
    percent = None if found is None else found.percent
    return None if percent is None else percent / 100.0


def _wants_fcr(request: Request) -> bool:
    """FCR decodes the range's events (slow on a large log): shown when asked (``fcr=1``)."""
    return request.query_params.get("fcr") == "1"


def _agent_sites(source: ReportSource | None) -> dict[str, str | None]:
    return {} if source is None else source.agent_sites()


def _agent_line(
    agent_id: str, row: ReportRow | None, fcr: FcrReport | None, csat: Any
) -> dict[str, Any]:
    """The figures of one agent's line (``None`` where there is nothing to measure)."""
    figures = row.figures() if row is not None else {}
    count = None if fcr is None else fcr.by_agent.get(agent_id)
    survey: Csat | None = csat.get(agent_id)
    return {
        "agent_id": agent_id,
        "handled": row.contacts.handled if row is not None else 0,
        "aht_s": figures.get("aht_s"),
        "talk_s": figures.get("talk_s"),
        "hold_s": figures.get("hold_s"),
        "wrapup_s": figures.get("wrapup_s"),
        "occupancy": figures.get("occupancy"),
        "utilisation": figures.get("utilisation"),
        "staffed_h": None if row is None or row.agents is None else row.agents.staffed_s / 3600.0,
        "transferred_out": figures.get("transferred_out") or 0,
        "fcr": None if count is None else count.fcr,
        "csat": None if survey is None else survey.csat,
        "csat_answers": 0 if survey is None else survey.answered,
    }
