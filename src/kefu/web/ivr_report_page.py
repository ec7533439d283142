"""The supervisors' IVR report, ``/reports/ivr``: for the contacts that entered a flow in
the last ``days`` days, coverage by self-service against seed 001's 78 %, abandonment by
menu depth beside seed 001's curve (a bar each), hand-offs by reason and the top exits
(where contacts left the flows). Supervisors and admins (an agent gets 403; not logged in
goes to the login). The figures are those of ``kefu ivr report`` on the same events.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from kefu.adapters.channels.webchat.gateway import ChatHub
from kefu.service.ivr import ivr_report_view
from kefu.service.security import Principal, Role, Security
from kefu.web._http import user_of
from kefu.web.i18n import page_templates, refusal

__all__ = ["IvrReportPage"]

DAY_S = 86_400.0
MAX_DAYS = 366


class IvrReportPage:
    """``GET /reports/ivr?days=N`` over the chat hub's channel service."""

    def __init__(self, chat: ChatHub, security: Security) -> None:
        self.chat = chat
        self.security = security
        self.templates = page_templates()
        self.router = APIRouter(include_in_schema=False)
        self.router.add_api_route("/reports/ivr", self.page, methods=["GET"])

    async def page(self, request: Request, days: int = 7) -> Response:
        user = await user_of(request, self.security)
        if user is None:
            return RedirectResponse("/login?next=/reports/ivr", status_code=303)
        if not isinstance(user, Principal) or user.role is Role.AGENT:
            return refusal(request, "ivr_report.supervisors_only")
        days = min(max(days, 1), MAX_DAYS)
        channels = self.chat.channels
        now = channels.engine.now()
        report = await channels.read(
            lambda _e, state: ivr_report_view(state.records, now - days * DAY_S, now + 1.0)
        )
        return self.templates.TemplateResponse(
            request, "ivr_report.html", {"user": user, "report": report, "days": days}
        )
