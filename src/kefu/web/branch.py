"""The branch hall's pages: ``/branch/kiosk`` (take a number), ``/branch/counter`` (a
clerk calls the next number; an agent login) and ``/branch/display`` (numbers called).
Their data comes from ``/api/v1/branch`` (:mod:`kefu.api.routes.branch`)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kefu.config import Settings
from kefu.service.security import Security, csrf_token
from kefu.web._http import user_of
from kefu.web.desktop import desktop_agent
from kefu.web.i18n import page_templates, refusal, request_catalog

__all__ = ["BranchPages"]

HERE = Path(__file__).resolve().parent


class BranchPages:
    def __init__(self, settings: Settings, security: Security) -> None:
        self.settings = settings
        self.security = security
        self.templates = page_templates()
        self.router = APIRouter(include_in_schema=False)
        self.router.add_api_route("/branch/kiosk", self.kiosk, methods=["GET"])
        self.router.add_api_route("/branch/counter", self.counter, methods=["GET"])
        self.router.add_api_route("/branch/display", self.display, methods=["GET"])

    def _page(self, request: Request, page: str, **extra: str) -> HTMLResponse:
        title = request_catalog(request).text(f"page.title.{page}")
        context: dict[str, object] = {"page": page, "title": title, "csrf_token": ""}
        # The kiosk offers an SMS reminder only when SMS can be sent.
        context |= {"counter_name": "", "sms": bool(self.settings.sms_url)}
        context.update(extra)
        return self.templates.TemplateResponse(request, "branch.html", context)

    async def kiosk(self, request: Request) -> HTMLResponse:
        return self._page(request, "kiosk")

    async def display(self, request: Request) -> HTMLResponse:
        return self._page(request, "display")

    async def counter(self, request: Request) -> Response:
        user = await user_of(request, self.security)
        if user is None:
            return RedirectResponse("/login?next=/branch/counter", status_code=303)
        if desktop_agent(user) is None:
            return refusal(request, "page.counter_agents_only")
        return self._page(
            request,
            "counter",
            csrf_token=csrf_token(self.settings.secret_key, user),
            counter_name=user.display_name or user.username,
        )
