"""Saving and deleting report definitions from the report page: ``POST /reports/saved``
(``name``, ``params``: the page's query string) and ``POST /reports/saved/delete``
(``name``). Each is a command recorded in the log, by the caller; a form needs the
caller's CSRF token and the same origin. Supervisors and admins only."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from kefu.domain.errors import KefuError
from kefu.service import RoutingEngine
from kefu.service.reports import DeleteReport, ReportBook, SavedReport, SaveReport
from kefu.service.security import Principal, csrf_token
from kefu.web._http import client_address, origin_ok
from kefu.web.i18n import refusal
from kefu.web.reports_page import ReportAccess

__all__ = ["SavedReportPages"]


class SavedReportPages:
    """The two form targets, over the report book."""

    def __init__(self, access: ReportAccess, engine: RoutingEngine, book: ReportBook) -> None:
        self.access = access
        self.engine = engine
        self.book = book
        self.router = APIRouter(include_in_schema=False)
        self.router.add_api_route("/reports/saved", self.save, methods=["POST"])
        self.router.add_api_route("/reports/saved/delete", self.delete, methods=["POST"])

    async def _checked(self, request: Request) -> tuple[Principal, dict[str, str]] | Response:
        user = await self.access.caller(request)
        if isinstance(user, Response):
            return user
        form = await request.form()
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        expected = csrf_token(self.access.settings.secret_key, user)
        sent = values.get("csrf_token", "")
        if not (origin_ok(request) and hmac.compare_digest(sent.encode(), expected.encode())):
            return refusal(request, "reports.csrf")
        return user, values

    async def save(self, request: Request) -> Response:
        checked = await self._checked(request)
        if isinstance(checked, Response):
            return checked
        user, values = checked
        command = SaveReport(
            values.get("name", ""),
            values.get("params", ""),
            values.get("every") or None,
            values.get("to") or None,
        )
        try:
            saved: SavedReport = await self.engine.execute(
                command, actor=user, client=client_address(request)
            )
        except KefuError as exc:
            return self.access.bad_input(request, exc)
        return RedirectResponse(f"/reports?{saved.params}", status_code=303)

    async def delete(self, request: Request) -> Response:
        checked = await self._checked(request)
        if isinstance(checked, Response):
            return checked
        user, values = checked
        try:
            await self.engine.execute(
                DeleteReport(values.get("name", "")), actor=user, client=client_address(request)
            )
        except KefuError as exc:
            return self.access.bad_input(request, exc)
        return RedirectResponse("/reports", status_code=303)
