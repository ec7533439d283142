"""The historical report pages: ``/reports`` (a date range by period and grouping, a
sortable table, a chart, CSV and XLSX downloads at ``/reports/export``), the contacts
behind a cell (``/reports/contacts``) and a contact's events (``/reports/contacts/{id}``).

Supervisors see their sites, admins every site; agents are refused (403) and a caller not
logged in goes to the login. A site outside the caller's answers 404. The figures are
those of ``kefu report`` over the same store (:mod:`kefu.adapters.storage.report_source`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from html import escape
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import QueryParams

from kefu.adapters.storage.report_source import ReportQuery, ReportRun, ReportSource
from kefu.analytics.contact_rows import ContactCells
from kefu.analytics.history import DIMENSIONS
from kefu.config import Settings
from kefu.domain import events as ev
from kefu.domain.errors import KefuError, ValidationError
from kefu.service import RoutingEngine
from kefu.service.cases import SurveyWing
from kefu.service.reports import ReportBook, SavedReport
from kefu.service.security import Principal, Role, Security, csrf_token
from kefu.service.teams import TeamBook
from kefu.web._http import user_of
from kefu.web.i18n import page_templates, refusal, request_catalog
from kefu.web.report_chart import stacked_bars
from kefu.web.report_export import contact_csv_bytes, export_bytes
from kefu.web.report_form import PERIODS, ReportForm, read_form
from kefu.web.report_quality import FCR_BY, csat_column, fcr_column
from kefu.web.report_teams import TEAM, agent_params, by_team, no_drill, team_form
from kefu.web.report_views import (
    COLUMNS,
    bucket_bars,
    fmt,
    lines,
    local_stamp,
    matching_visits,
)

__all__ = ["ReportAccess", "ReportPages"]

OUTCOMES = ("answered", "abandoned", "waiting")


class ReportAccess:
    """Who may read reports, on which sites, in which time zone: shared by every report
    page."""

    def __init__(self, source: ReportSource | None, security: Security, settings: Settings):
        self.source = source
        self.security = security
        self.settings = settings

    async def caller(self, request: Request, *, agents: bool = False) -> Principal | Response:
        """The caller, or the answer refusing it: the login for no one, 403 for an agent
        (unless ``agents``), 404 without a store reports can read."""
        user = await user_of(request, self.security)
        if user is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        if user.role is Role.AGENT and not agents:
            return refusal(request, "reports.supervisors_only")
        if self.source is None:
            return refusal(request, "reports.no_store", 404)
        return user

    async def read(self, fn: Any, *args: Any) -> Any:
        """Run a blocking read of the store off the event loop."""
        return await asyncio.to_thread(fn, *args)

    async def zones(self) -> dict[str, str]:
        assert self.source is not None
        zones: dict[str, str] = await self.read(self.source.site_zones)
        return zones

    @staticmethod
    def sites_of(user: Principal) -> frozenset[str] | None:
        """The sites a caller's reports cover (``None``: every site, for admins)."""
        return None if user.is_admin else user.sites

    async def scope(
        self, request: Request, user: Principal, site: str | None
    ) -> tuple[frozenset[str] | None, str] | Response:
        """The sites a report covers and its time zone, or 404 for a site the caller does
        not see (or that does not exist)."""
        zones = await self.zones()
        visible = self.sites_of(user)
        if site is not None:
            if site not in zones or (visible is not None and site not in visible):
                return refusal(request, "reports.unknown_site", 404)
            return frozenset({site}), zones[site]
        seen = {z for s, z in zones.items() if visible is None or s in visible}
        return visible, seen.pop() if len(seen) == 1 else self.settings.timezone

    def bad_input(self, request: Request, exc: KefuError) -> Response:
        """400 with the reason, in the request's language."""
        catalog = request_catalog(request)
        text = exc.message
        if exc.text_key is not None:
            found = catalog.text(exc.text_key, **exc.details)
            text = text if found == exc.text_key else found
        return Response(
            f'<!doctype html><html lang="{catalog.bcp47}"><meta charset=utf-8>'
            f'<title>kefu</title><p id="error">{escape(text)}</p></html>',
            status_code=400,
            media_type="text/html; charset=utf-8",
        )


class ReportPages:
    """``/reports``, ``/reports/export``, ``/reports/contacts`` and
    ``/reports/contacts/{contact_id}`` over a report source."""

    def __init__(
        self,
        access: ReportAccess,
        engine: RoutingEngine,
        saved: ReportBook | None = None,
        surveys: SurveyWing | None = None,
    ) -> None:
        self.access = access
        self.engine = engine
        self.saved = saved
        self.surveys = surveys
        self.templates = page_templates()
        self.templates.env.globals["fmt"] = fmt
        self.router = APIRouter(include_in_schema=False)
        self.router.add_api_route("/reports", self.page, methods=["GET"])
        self.router.add_api_route("/reports/export", self.export, methods=["GET"])
        self.router.add_api_route("/reports/contacts", self.contacts, methods=["GET"])
        self.router.add_api_route("/reports/contacts/{contact_id}", self.contact, methods=["GET"])

    async def _form(
        self, request: Request, user: Principal
    ) -> tuple[ReportForm, frozenset[str] | None] | Response:
        params = request.query_params
        scoped = await self.access.scope(request, user, params.get("site") or None)
        if isinstance(scoped, Response):
            return scoped
        sites, timezone = scoped
        try:
            asked, _team = agent_params(_multi(params))  # by team: run by agent, then merged
            form = read_form(asked, now=self.engine.now(), timezone=timezone)
        except KefuError as exc:
            return self.access.bad_input(request, exc)
        return form, sites

    async def _run(self, form: ReportForm, sites: frozenset[str] | None, visits: bool) -> ReportRun:
        assert self.access.source is not None
        run: ReportRun = await self.access.read(self.access.source.run, _query(form, sites), visits)
        return run

    async def _cells(
        self, form: ReportForm, sites: frozenset[str] | None
    ) -> list[ContactCells] | None:
        """The per-contact rows as tuples when the store streams them (the fast path)."""
        assert self.access.source is not None
        cells: list[ContactCells] | None = await self.access.read(
            self.access.source.contact_cells, _query(form, sites)
        )
        return cells

    async def _teams(self, request: Request, run: ReportRun) -> ReportRun:
        """``run`` merged per team when the query asked ``group=team`` (see
        :mod:`kefu.web.report_teams`)."""
        if not agent_params(_multi(request.query_params))[1]:
            return run
        book: TeamBook = request.app.state.teams
        agents = {row.group[run.report.group_by.index("agent")] for row in run.report.groups}
        teams_of = await self.engine.query(lambda _e: {a: book.of_agent(a) for a in agents})
        return replace(run, report=by_team(run.report, teams_of))

    async def page(self, request: Request) -> Response:
        user = await self.access.caller(request)
        if isinstance(user, Response):
            return user
        asked = await self._form(request, user)
        if isinstance(asked, Response):
            return asked
        form, sites = asked
        try:
            run = await self._teams(request, await self._run(form, sites, False))
        except KefuError as exc:
            return self.access.bad_input(request, exc)
        report = run.report
        if report.group_by != form.group_by:
            form = team_form(form)
        catalog = request_catalog(request)
        csat = await csat_column(self.surveys, form, sites)
        fcr = None
        if request.query_params.get("fcr") == "1":
            fcr = await self.access.read(fcr_column, self.access.source, form)
        chart = stacked_bars(
            catalog.text("reports.chart"),
            bucket_bars(report),
            [catalog.text(f"reports.col.{c}") for c in ("answered", "abandoned")]
            + [catalog.text("reports.other")],
        )
        return self.templates.TemplateResponse(
            request,
            "reports.html",
            {
                "user": user,
                "form": form,
                "report": report,
                "source": run.source,
                "rows": no_drill(lines(report.rows, form, report, per_bucket=True), form),
                "groups": no_drill(lines(report.groups, form, report, per_bucket=False), form),
                "total": lines([report.total], form, report, per_bucket=False)[0],
                "columns": COLUMNS,
                "periods": PERIODS,
                "dimensions": (*DIMENSIONS, TEAM),
                "sites": sorted(await self._visible_sites(user)),
                "chart": chart,
                "saved": await _saved_of(self.saved, self.engine, user),
                "can_save": self.saved is not None,
                "csrf_token": csrf_token(self.access.settings.secret_key, user),
                "csat": csat,
                "fcr": fcr,
                "fcr_possible": len(form.group_by) == 1 and form.group_by[0] in FCR_BY,
            },
        )

    async def _visible_sites(self, user: Principal) -> list[str]:
        zones = await self.access.zones()
        visible = self.access.sites_of(user)
        return [s for s in zones if visible is None or s in visible]

    async def export(self, request: Request) -> Response:
        """``?format=csv|xlsx&rows=intervals|contacts`` with the page's form."""
        user = await self.access.caller(request)
        if isinstance(user, Response):
            return user
        fmt_ = request.query_params.get("format", "csv")
        per = request.query_params.get("rows", "intervals")
        if fmt_ not in ("csv", "xlsx") or per not in ("intervals", "contacts"):
            bad = ValidationError(
                "format must be csv or xlsx and rows intervals or contacts",
                text_key="error.report_export",
            )
            return self.access.bad_input(request, bad)
        asked = await self._form(request, user)
        if isinstance(asked, Response):
            return asked
        form, sites = asked
        name = f"kefu-report-{form.since_text[:10]}-{per}.{fmt_}"
        try:
            cells = await self._cells(form, sites) if per == "contacts" else None
            if cells is not None and fmt_ == "csv":  # the rows alone: no report needed
                body, media = await self.access.read(contact_csv_bytes, cells, form.timezone)
                return _download(body, media, name)
            run = await self._run(form, sites, per == "contacts" and cells is None)
            if per == "intervals":
                run = await self._teams(request, run)
        except KefuError as exc:
            return self.access.bad_input(request, exc)
        if run.report.group_by != form.group_by:
            form = team_form(form)
        body, media = await self.access.read(export_bytes, run, form, fmt_, per, cells)
        return _download(body, media, name)

    async def contacts(self, request: Request) -> Response:
        """The visits behind a report cell: ``since``/``until`` (a bucket), a label per
        grouped dimension, optionally ``outcome``."""
        user = await self.access.caller(request)
        if isinstance(user, Response):
            return user
        asked = await self._form(request, user)
        if isinstance(asked, Response):
            return asked
        form, sites = asked
        params = request.query_params
        filters = [(d, params[d]) for d in DIMENSIONS if d in params]
        outcome = params.get("outcome") or None
        if outcome is not None and outcome not in OUTCOMES:
            bad = ValidationError(f"unknown outcome {outcome!r}", text_key="error.report_outcome")
            return self.access.bad_input(request, bad)
        plain = replace(form, group_by=(), sort="start", descending=False)
        try:
            run = await self._run(plain, sites, True)
        except KefuError as exc:
            return self.access.bad_input(request, exc)
        found = matching_visits(run.visits or (), form.since, form.until, filters, outcome)
        return self.templates.TemplateResponse(
            request,
            "report_contacts.html",
            {
                "user": user,
                "form": form,
                "filters": filters,
                "outcome": outcome,
                "visits": found,
                "local": lambda at: "–" if at is None else local_stamp(at, form.timezone),
            },
        )

    async def contact(self, request: Request, contact_id: str) -> Response:
        """A contact's events in log order; 404 when none or all in sites not seen."""
        user = await self.access.caller(request)
        if isinstance(user, Response):
            return user
        source = self.access.source
        assert source is not None
        found: list[ev.Event] = await self.access.read(source.contact_events, contact_id)
        specs = await self.access.read(source.queue_specs)
        queues = {q: spec.site_id for q, spec in specs.items()}
        visible = self.access.sites_of(user)
        touched = {queues.get(q) for e in found if (q := getattr(e, "queue_id", None)) is not None}
        if not found or (visible is not None and not (touched & visible)):
            return refusal(request, "reports.unknown_contact", 404)
        zones = await self.access.zones()
        seen = {zones[s] for s in touched if s in zones}
        timezone = seen.pop() if len(seen) == 1 else self.access.settings.timezone
        shown = []
        for e in found:
            data = ev.event_to_dict(e)
            kind = str(data.pop("type", type(e).__name__))
            data.pop("at", None)
            shown.append((local_stamp(e.at, timezone), kind, data))
        return self.templates.TemplateResponse(
            request,
            "report_contact.html",
            {"user": user, "contact_id": contact_id, "events": shown, "timezone": timezone},
        )


async def _saved_of(
    book: ReportBook | None, engine: RoutingEngine, user: Principal
) -> list[SavedReport]:
    if book is None:
        return []
    found: list[SavedReport] = await engine.query(lambda _e: book.of(user.user_id))
    return found


def _multi(params: QueryParams) -> dict[str, Sequence[str]]:
    return {k: params.getlist(k) for k in params}


def _query(form: ReportForm, sites: frozenset[str] | None) -> ReportQuery:
    return ReportQuery(
        form.since,
        form.until,
        period=form.period,
        timezone=form.timezone,
        group_by=form.group_by,
        sites=sites,
    )


def _download(body: bytes, media: str, name: str) -> Response:
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
