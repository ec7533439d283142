"""Workforce from the browser: ``/workforce`` (pick a site's queues and a history range,
then forecast, required agents and a schedule with named agents, solved in a worker
thread), the plan's page with its Publish button, agents' work rules, and the
supervisor's real-time adherence view (``/workforce/adherence``).

Supervisors see their sites (another site: 404), admins every site, agents get 403.
Forms need the caller's CSRF token and the same origin. The plan's math is
:func:`kefu.workforce.plan.make_plan`, the CLI's too.
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from kefu.adapters.storage.workforce_history import (
    ArrivalHistory,
    arrival_history,
    local_midnight,
)
from kefu.domain.errors import KefuError, ValidationError
from kefu.domain.model import AgentSpec, QueueSpec
from kefu.service import RoutingEngine, security
from kefu.service.security import Principal, csrf_token
from kefu.service.workforce import (
    PublishedShift,
    PublishSchedule,
    SetWorkRules,
    WorkforceBook,
    WorkRules,
)
from kefu.web._http import client_address, origin_ok
from kefu.web.i18n import page_templates, refusal
from kefu.web.reports_page import ReportAccess
from kefu.web.workforce_adherence import AdherenceView
from kefu.web.workforce_intraday import IntradayView
from kefu.web.workforce_jobs import PlanJob, PlanJobs
from kefu.web.workforce_views import form_date as _date
from kefu.web.workforce_views import form_number as _number
from kefu.web.workforce_views import plan_request, plan_tables, rules_form_values
from kefu.workforce.plan import WorkforcePlan, make_plan, pool_agents, shift_instants
from kefu.workforce.roster import RosterAgent

__all__ = ["WorkforcePages"]

DAY_S = 86_400.0


class WorkforcePages:
    """The workforce pages over the report source, the engine and the workforce book."""

    def __init__(self, access: ReportAccess, engine: RoutingEngine, book: WorkforceBook) -> None:
        self.access = access
        self.engine = engine
        self.book = book
        self.jobs = PlanJobs()
        self.templates = page_templates()
        self.adherence = AdherenceView(access, engine, book, self.templates)
        self.intraday = IntradayView(access, engine, book, self.templates)
        r = self.router = APIRouter(include_in_schema=False)
        r.add_api_route("/workforce", self.form, methods=["GET"])
        r.add_api_route("/workforce/plan", self.start, methods=["POST"])
        r.add_api_route("/workforce/plan/{job_id}", self.job, methods=["GET"])
        r.add_api_route("/workforce/plan/{job_id}/publish", self.publish, methods=["POST"])
        r.add_api_route("/workforce/rules", self.save_rules, methods=["POST"])
        r.add_api_route("/workforce/adherence", self.adherence.page, methods=["GET"])
        r.add_api_route("/workforce/intraday", self.intraday.page, methods=["GET"])
        r.add_api_route("/me/schedule", self.adherence.my_schedule, methods=["GET"])

    # -- helpers ---------------------------------------------------------------------------
    async def _site(
        self, request: Request, user: Principal, site: str | None
    ) -> tuple[str, str] | Response:
        """The site asked for (default: the caller's first) and its time zone; 404 for one
        the caller does not see."""
        zones = await self.access.zones()
        visible = sorted(s for s in zones if user.is_admin or s in user.sites)
        chosen = site or (visible[0] if visible else None)
        if chosen is None or chosen not in visible:
            return refusal(request, "reports.unknown_site", 404)
        return chosen, zones[chosen]

    async def _checked(self, request: Request) -> tuple[Principal, dict[str, Any]] | Response:
        user = await self.access.caller(request)
        if isinstance(user, Response):
            return user
        form = await request.form()
        values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
        values["queue"] = [q for q in form.getlist("queue") if isinstance(q, str)]
        expected = csrf_token(self.access.settings.secret_key, user)
        sent = str(values.get("csrf_token", ""))
        if not (origin_ok(request) and hmac.compare_digest(sent.encode(), expected.encode())):
            return refusal(request, "reports.csrf")
        return user, values

    async def _site_objects(
        self, site: str
    ) -> tuple[list[QueueSpec], list[AgentSpec], dict[str, WorkRules]]:
        def look(e: RoutingEngine) -> tuple[list[QueueSpec], list[AgentSpec], dict[str, WorkRules]]:
            queues = [q.spec for q in e.router.queues.values() if q.spec.site_id == site]
            agents = [a.spec for a in e.router.agents.values() if a.spec.site_id == site]
            rules = {a.agent_id: self.book.rules_for(a.agent_id) for a in agents}
            return (
                sorted(queues, key=lambda q: q.queue_id),
                sorted(agents, key=lambda a: a.agent_id),
                rules,
            )

        return await self.engine.query(look, stored=False)

    # -- pages -----------------------------------------------------------------------------
    async def form(self, request: Request) -> Response:
        user = await self.access.caller(request)
        if isinstance(user, Response):
            return user
        found = await self._site(request, user, request.query_params.get("site") or None)
        if isinstance(found, Response):
            return found
        site, zone = found
        queues, agents, rules = await self._site_objects(site)
        today = dt.datetime.fromtimestamp(self.engine.now(), ZoneInfo(zone)).date()
        zones = await self.access.zones()
        return self.templates.TemplateResponse(
            request,
            "workforce.html",
            {
                "user": user,
                "site": site,
                "timezone": zone,
                "sites": sorted(s for s in zones if user.is_admin or s in user.sites),
                "queues": queues,
                "agents": [(a, rules_form_values(rules[a.agent_id])) for a in agents],
                "since": (today - dt.timedelta(days=28)).isoformat(),
                "until": (today - dt.timedelta(days=1)).isoformat(),
                "csrf": csrf_token(self.access.settings.secret_key, user),
            },
        )

    async def start(self, request: Request) -> Response:
        checked = await self._checked(request)
        if isinstance(checked, Response):
            return checked
        user, values = checked
        found = await self._site(request, user, values.get("site") or None)
        if isinstance(found, Response):
            return found
        site, zone = found
        queues, agents, rules = await self._site_objects(site)
        picked = [q for q in queues if q.queue_id in set(values["queue"])]
        today = dt.datetime.fromtimestamp(self.engine.now(), ZoneInfo(zone)).date()
        try:
            asked = plan_request(values)
            first = _date(values, "since", today - dt.timedelta(days=28))
            last = _date(values, "until", today - dt.timedelta(days=1))
            if not picked:
                raise ValidationError("pick at least one queue", text_key="error.plan_queues")
        except KefuError as exc:
            return self.access.bad_input(request, exc)
        pool = [RosterAgent(a.agent_id, rules[a.agent_id]) for a in pool_agents(agents, picked)]
        source = self.access.source
        assert source is not None
        names = [q.queue_id for q in picked]
        params = {"site": site, "queues": ",".join(names), "since": str(first), "until": str(last)}
        job = PlanJob(user.user_id, site, zone, params)
        job.agents = tuple(a.agent_id for a in pool)

        def read(job: PlanJob) -> tuple[tuple[Any, ...], ArrivalHistory]:
            job.tell("history", 0.0)
            history = arrival_history(source, names, first, last, asked.interval_minutes, zone)
            if not history.contacts.notna().any():  # refused here, before a process starts
                raise ValidationError(
                    "no whole day of history to forecast from", text_key="error.plan_history"
                )
            return (history.contacts, history.aht_s, pool, asked), history

        self.jobs.start(job, read, make_plan)
        return RedirectResponse(f"/workforce/plan/{job.job_id}", status_code=303)

    def _own_job(self, request: Request, user: Principal, job_id: str) -> PlanJob | Response:
        job = self.jobs.get(job_id)
        if job is None or (job.owner != user.user_id and not user.is_admin):
            return refusal(request, "wfm.unknown_plan", 404)
        return job

    async def job(self, request: Request, job_id: str) -> Response:
        user = await self.access.caller(request)
        if isinstance(user, Response):
            return user
        job = self._own_job(request, user, job_id)
        if isinstance(job, Response):
            return job
        tables = None
        if job.result is not None:
            plan, history = job.result
            tables = plan_tables(plan, history, job.timezone)
        return self.templates.TemplateResponse(
            request,
            "workforce_plan.html",
            {
                "user": user,
                "job": job,
                "tables": tables,
                "csrf": csrf_token(self.access.settings.secret_key, user),
            },
        )

    async def publish(self, request: Request, job_id: str) -> Response:
        checked = await self._checked(request)
        if isinstance(checked, Response):
            return checked
        user, _values = checked
        job = self._own_job(request, user, job_id)
        if isinstance(job, Response):
            return job
        if job.result is None:
            return refusal(request, "wfm.plan_not_ready", 409)
        plan: WorkforcePlan = job.result[0]
        shifts = []
        for s in plan.roster.shifts:
            start, end, breaks = shift_instants(s, plan.first_day, job.timezone)
            shifts.append(PublishedShift(s.agent_id, start, end, breaks, job.site_id, s.shift))
        since = local_midnight(plan.first_day, job.timezone)
        horizon = len(plan.forecast.index) * plan.interval_s / DAY_S
        until = local_midnight(plan.first_day + dt.timedelta(days=round(horizon)), job.timezone)
        command = PublishSchedule(job.site_id, since, until, tuple(shifts), job.agents)

        def authorize(e: RoutingEngine) -> None:
            security.check_site(e, user, job.site_id)

        try:
            await self.engine.execute(
                command, actor=user, authorize=authorize, client=client_address(request)
            )
        except KefuError as exc:
            return self.access.bad_input(request, exc)
        job.published = True
        query = urlencode({"site": job.site_id})
        return RedirectResponse(f"/workforce/adherence?{query}", status_code=303)

    async def save_rules(self, request: Request) -> Response:
        checked = await self._checked(request)
        if isinstance(checked, Response):
            return checked
        user, values = checked
        agent_id = str(values.get("agent_id", ""))
        try:
            rules = rules_from_form(values)
        except KefuError as exc:
            return self.access.bad_input(request, exc)

        def authorize(e: RoutingEngine) -> None:
            security.check_agent(e, user, agent_id)

        try:
            await self.engine.execute(
                SetWorkRules(agent_id, rules),
                actor=user,
                authorize=authorize,
                client=client_address(request),
            )
        except KefuError as exc:
            return self.access.bad_input(request, exc)
        site = str(values.get("site", ""))
        return RedirectResponse(f"/workforce?{urlencode({'site': site})}", status_code=303)


def rules_from_form(values: dict[str, Any]) -> WorkRules:
    """Work rules from the page's form (days off as weekday numbers, times as HH:MM)."""
    days = str(values.get("days_off", "")).replace(" ", "")
    try:
        days_off = frozenset(int(d) for d in days.split(",") if d)
    except ValueError:
        raise ValidationError(
            "days off are weekday numbers, 0 = Monday", text_key="error.work_days_off"
        ) from None
    start = str(values.get("preferred_start", "")).strip()
    preferred = None
    if start:
        try:
            a, b = (dt.time.fromisoformat(t.strip()) for t in start.split("-"))
        except ValueError:
            raise ValidationError(
                "a preferred start is HH:MM-HH:MM", text_key="error.work_preferred_start"
            ) from None
        preferred = (a.hour * 3600 + a.minute * 60, b.hour * 3600 + b.minute * 60)
    return WorkRules(
        contracted_hours=_number(values, "contracted_hours", 40.0),
        days_off=days_off,
        max_days=int(_number(values, "max_days", 5)),
        min_rest_hours=_number(values, "min_rest_hours", 11.0),
        preferred_start=preferred,
    )
