"""The admins' IVR flow page, ``/admin/ivr``: every flow with its versions, one version's
outline (its nodes and where they lead), the draft's YAML in an editor with the linter's
findings, and the buttons that save the draft, publish it and roll back.

A published flow past its re-derivation date (``KEFU_IVR_REDERIVATION_DAYS`` after it was
first published, 90 by default: seed 001's 3-4 months) is named in a reminder at the top,
and the flows table shows each published flow's re-derive-by date.

Server-rendered forms: each button posts to ``/admin/ivr/{flow}/draft|publish|rollback``
with the session's CSRF token; the route builds the command (the same as the API's
:mod:`kefu.api.routes.ivr_flows`), runs it as the admin and redirects back (303) with a
notice, or shows the page again with the refusal (422 with the linter's reasons). Admins
only (others 403; not logged in goes to the login).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kefu.adapters.channels.webchat.gateway import ChatHub
from kefu.adapters.ivr.files import parse_flow_text
from kefu.config import Settings
from kefu.domain.errors import KefuError
from kefu.service import Command
from kefu.service.ivr import (
    FlowDetail,
    FlowSummary,
    FlowVersion,
    IvrWing,
    PublishIvrFlow,
    RollbackIvrFlow,
    SaveIvrDraft,
    flow_detail,
    flow_list,
)
from kefu.service.security import Principal, Role, Security, csrf_token
from kefu.web._http import client_address, origin_ok, user_of
from kefu.web.i18n import page_templates, refusal

__all__ = ["IvrAdminPages"]

NOTICES = frozenset({"saved", "published", "rolled_back"})


class IvrAdminPages:
    """``/admin/ivr`` over the chat hub's IVR wing."""

    def __init__(self, chat: ChatHub, settings: Settings, security: Security) -> None:
        self.chat = chat
        self.settings = settings
        self.security = security
        self.templates = page_templates()
        self.router = APIRouter(include_in_schema=False)
        self.router.add_api_route("/admin/ivr", self.page, methods=["GET"])
        for action in ("draft", "publish", "rollback"):
            self.router.add_api_route(
                f"/admin/ivr/{{flow_id}}/{action}", getattr(self, action), methods=["POST"]
            )

    async def _admin(self, request: Request) -> Principal | Response:
        user = await user_of(request, self.security)
        if user is None:
            return RedirectResponse("/login?next=/admin/ivr", status_code=303)
        if user.role is not Role.ADMIN:
            return refusal(request, "ivr_admin.admins_only")
        return user

    def _wing(self) -> IvrWing | None:
        return self.chat.ivr

    async def page(
        self, request: Request, flow: str = "", version: int = 0, notice: str = ""
    ) -> Response:
        user = await self._admin(request)
        if not isinstance(user, Principal):
            return user
        return await self._render(
            request, user, flow[:64], version, notice if notice in NOTICES else ""
        )

    async def _render(
        self,
        request: Request,
        user: Principal,
        flow_id: str,
        version: int,
        notice: str = "",
        error: str = "",
        issues: list[dict[str, Any]] | None = None,
        source: str | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        wing = self._wing()
        engine = self.chat.channels.engine
        flows: list[FlowSummary] = []
        detail: FlowDetail | None = None
        if wing is not None:
            desk = wing.flows
            period = self.settings.ivr_rederivation_days
            flows = await engine.query(lambda e: flow_list(desk, e.now(), period), stored=False)
            known = {f.flow_id for f in flows}
            flow_id = flow_id if flow_id in known else (flows[0].flow_id if flows else "")
            if flow_id:
                detail = await engine.query(lambda _e: flow_detail(desk, flow_id), stored=False)
        shown, editor = _pick(detail, version)
        values = {
            "user": user,
            "csrf_token": csrf_token(self.settings.secret_key, user),
            "flows": flows,
            "detail": detail,
            "shown": shown,
            "outline": _outline(shown.flow) if shown else [],
            "editor": editor if source is None else source,
            "notice": notice,
            "error": error,
            "issues": issues if issues is not None else (shown.issues if shown else ()),
            "can_rollback": bool(detail and _earlier(detail)),
            "period": self.settings.ivr_rederivation_days,
            "reminders": [f for f in flows if f.rederivation_overdue_days is not None],
            "date": self._date,
        }
        return self.templates.TemplateResponse(
            request, "ivr_admin.html", values, status_code=status_code
        )

    def _date(self, at: float | None) -> str:
        """``at`` (s) as a date in the center's time zone; "" for none."""
        if at is None:
            return ""
        return datetime.fromtimestamp(at, ZoneInfo(self.settings.timezone)).date().isoformat()

    async def _act(
        self, request: Request, flow_id: str, make: Any, notice: str, keep_source: bool = False
    ) -> Response:
        user = await self._admin(request)
        if not isinstance(user, Principal):
            return user
        form = await request.form()
        sent = form.get("csrf_token")
        expected = csrf_token(self.settings.secret_key, user)
        if not (
            origin_ok(request)
            and isinstance(sent, str)
            and hmac.compare_digest(sent.encode(), expected.encode())
        ):
            return refusal(request, "ivr_admin.csrf")
        source = form.get("source")
        text = source if isinstance(source, str) else ""
        flow_id = flow_id[:64]
        try:
            command = make(text)
            await self.chat.channels.engine.execute(
                command, actor=user, client=client_address(request)
            )
        except KefuError as exc:
            return await self._render(
                request,
                user,
                flow_id,
                0,
                error=exc.message,
                issues=list(exc.details.get("issues", [])),
                source=text if keep_source else None,
                status_code=404 if exc.error_id.startswith("unknown") else 422,
            )
        target = f"/admin/ivr?flow={quote(flow_id)}&notice={notice}"
        return RedirectResponse(target, status_code=303)

    async def draft(self, request: Request, flow_id: str) -> Response:
        def make(text: str) -> Command:
            return SaveIvrDraft(flow_id, parse_flow_text(text), text)

        return await self._act(request, flow_id, make, "saved", keep_source=True)

    async def publish(self, request: Request, flow_id: str) -> Response:
        return await self._act(request, flow_id, lambda _t: PublishIvrFlow(flow_id), "published")

    async def rollback(self, request: Request, flow_id: str) -> Response:
        return await self._act(request, flow_id, lambda _t: RollbackIvrFlow(flow_id), "rolled_back")


def _pick(detail: FlowDetail | None, version: int) -> tuple[FlowVersion | None, str]:
    """The version shown (asked for, else the draft, else the published one) and the
    editor's text (that version's source, else its YAML)."""
    if not detail or not detail.versions:
        return None, ""
    by_number = {v.version: v for v in detail.versions}
    number = version if version in by_number else (detail.draft or detail.published)
    shown = by_number.get(number or 0) or detail.versions[0]
    text = shown.source or yaml.safe_dump(dict(shown.flow), allow_unicode=True, sort_keys=False)
    return shown, text


def _outline(flow: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each node: its id, kind and the nodes it leads to (options as ``digit → node``)."""
    rows = []
    for node_id, node in flow["nodes"].items():
        leads: list[str] = []
        for option in node.get("options", ()):
            leads.append(f"{option['digit']} → {option['next']}")
        for key in ("next", "open", "closed", "retry", "on_fail", "default", "flow", "queue"):
            if node.get(key):
                leads.append(f"{key}: {node[key]}")
        for outcome, target in (node.get("outcomes") or {}).items():
            leads.append(f"{outcome}: {target}")
        rows.append({"node_id": node_id, "kind": node["kind"], "leads": leads})
    return rows


def _earlier(detail: FlowDetail) -> bool:
    return any(version != detail.published for version, _at in detail.publications)
