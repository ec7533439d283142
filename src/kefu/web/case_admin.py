"""The admins' case configuration pages: ``/admin/case-types`` (every type with its fields and
SLA targets; a type's definition as YAML in an editor, saved as a new type or an update;
retire) and ``/admin/calendars`` (a site's working hours per weekday, holidays, make-up days
and time zone).

Server-rendered forms posted with the session's CSRF token: the route builds the same
command as the API (:mod:`kefu.api.routes.case_config`), runs it as the admin and redirects
back (303) with a notice, or shows the page again with the refusal (422 naming the field).
Admins only (others 403; not logged in goes to the login).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kefu.config import Settings
from kefu.domain.errors import KefuError, ValidationError
from kefu.service import Command
from kefu.service.cases import (
    CaseWing,
    DefineCaseType,
    RetireCaseType,
    SetSiteCalendar,
    UpdateCaseType,
)
from kefu.service.security import Principal, Role, Security, csrf_token
from kefu.web._http import client_address, origin_ok, user_of
from kefu.web.i18n import page_templates, refusal, request_catalog

__all__ = ["CaseAdminPages"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NOTICES = frozenset({"saved", "retired"})
_MAX_TEXT = 20_000


class CaseAdminPages:
    """``/admin/case-types`` and ``/admin/calendars`` over the app's case wing."""

    def __init__(self, settings: Settings, security: Security) -> None:
        self.settings = settings
        self.security = security
        self.templates = page_templates()
        self.router = APIRouter(include_in_schema=False)
        add = self.router.add_api_route
        add("/admin/case-types", self.types_page, methods=["GET"])
        add("/admin/case-types/save", self.save_type, methods=["POST"])
        add("/admin/case-types/{type_id}/retire", self.retire_type, methods=["POST"])
        add("/admin/calendars", self.calendars_page, methods=["GET"])
        add("/admin/calendars/{site_id}", self.save_calendar, methods=["POST"])

    async def _admin(self, request: Request, back: str) -> Principal | Response:
        user = await user_of(request, self.security)
        if user is None:
            return RedirectResponse(f"/login?next={back}", status_code=303)
        if user.role is not Role.ADMIN:
            return refusal(request, "case_admin.admins_only")
        return user

    # -- case types ----------------------------------------------------------------------
    async def types_page(self, request: Request, type: str = "", notice: str = "") -> Response:
        user = await self._admin(request, "/admin/case-types")
        if not isinstance(user, Principal):
            return user
        return await self._types(request, user, type[:50], notice if notice in NOTICES else "")

    async def _types(
        self,
        request: Request,
        user: Principal,
        type_id: str,
        notice: str = "",
        error: str = "",
        source: str | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        wing: CaseWing = request.app.state.cases
        desk = wing.config

        def look(_engine: Any) -> list[dict[str, Any]]:
            return [{**c.to_dict(), "builtin": desk.builtin(t)} for t, c in desk.types.items()]

        types = await wing.engine.query(look, stored=False)
        shown = next((t for t in types if t["type_id"] == type_id), None)
        if source is None:
            source = _yaml(_editable(shown)) if shown else _yaml(_EXAMPLE)
        values = {
            "user": user,
            "csrf_token": csrf_token(self.settings.secret_key, user),
            "types": types,
            "shown": shown,
            "source": source,
            "notice": notice,
            "error": error,
            "lang": "zh" if request_catalog(request).language.startswith("zh") else "en",
        }
        return self.templates.TemplateResponse(
            request, "case_types_admin.html", values, status_code=status_code
        )

    async def save_type(self, request: Request) -> Response:
        user = await self._admin(request, "/admin/case-types")
        if not isinstance(user, Principal):
            return user
        form = await request.form()
        if not self._csrf_ok(request, user, form.get("csrf_token")):
            return refusal(request, "case_admin.csrf")
        raw = form.get("source")
        text = raw[:_MAX_TEXT] if isinstance(raw, str) else ""
        wing: CaseWing = request.app.state.cases
        try:
            data = _mapping(text)
            type_id = str(data.get("type_id", ""))
            exists = type_id in wing.config.types
            command: Command = UpdateCaseType(type_id, data) if exists else DefineCaseType(data)
            await wing.engine.execute(command, actor=user, client=client_address(request))
        except KefuError as exc:
            return await self._types(
                request, user, "", error=_reason(exc), source=text, status_code=_status(exc)
            )
        return RedirectResponse(
            f"/admin/case-types?type={quote(type_id)}&notice=saved", status_code=303
        )

    async def retire_type(self, request: Request, type_id: str) -> Response:
        return await self._post(
            request,
            "/admin/case-types",
            lambda _form: RetireCaseType(type_id[:50]),
            f"/admin/case-types?type={quote(type_id[:50])}&notice=retired",
        )

    # -- calendars -----------------------------------------------------------------------
    async def calendars_page(self, request: Request, site: str = "", notice: str = "") -> Response:
        user = await self._admin(request, "/admin/calendars")
        if not isinstance(user, Principal):
            return user
        return await self._calendars(request, user, site[:64], notice if notice in NOTICES else "")

    async def _calendars(
        self,
        request: Request,
        user: Principal,
        site_id: str,
        notice: str = "",
        error: str = "",
        status_code: int = 200,
    ) -> HTMLResponse:
        wing: CaseWing = request.app.state.cases
        desk = wing.config

        def look(engine: Any) -> tuple[list[str], dict[str, Any] | None, bool]:
            sites = sorted(engine.sites)
            chosen = site_id if site_id in engine.sites else (sites[0] if sites else "")
            if not chosen:
                return sites, None, False
            data = {**desk.calendar_of(chosen).to_dict(), "site_id": chosen}
            return sites, data, chosen in desk.calendars

        sites, calendar, own = await wing.engine.query(look, stored=False)
        values = {
            "user": user,
            "csrf_token": csrf_token(self.settings.secret_key, user),
            "sites": sites,
            "calendar": calendar,
            "own": own,
            "weekdays": WEEKDAYS,
            "holidays": "\n".join(
                f"{h['date']} {h['name']}".strip() for h in (calendar or {}).get("holidays", [])
            ),
            "workdays": "\n".join(
                f"{w['date']} {w['hours']}" for w in (calendar or {}).get("workdays", [])
            ),
            "notice": notice,
            "error": error,
        }
        return self.templates.TemplateResponse(
            request, "calendars_admin.html", values, status_code=status_code
        )

    async def save_calendar(self, request: Request, site_id: str) -> Response:
        site_id = site_id[:64]

        def make(form: Any) -> Command:
            def text(name: str) -> str:
                value = form.get(name)
                return value[:_MAX_TEXT] if isinstance(value, str) else ""

            holidays = [{"date": day, "name": rest} for day, rest in _lines(text("holidays"))]
            workdays = [{"date": day, "hours": rest} for day, rest in _lines(text("workdays"))]
            data = {
                "time_zone": text("time_zone").strip(),
                "hours": {day: text(f"hours_{day}").strip() for day in WEEKDAYS},
                "holidays": holidays,
                "workdays": workdays,
            }
            return SetSiteCalendar(site_id, data)

        return await self._post(
            request,
            "/admin/calendars",
            make,
            f"/admin/calendars?site={quote(site_id)}&notice=saved",
            site_id=site_id,
        )

    # -- helpers -------------------------------------------------------------------------
    async def _post(
        self,
        request: Request,
        back: str,
        make: Callable[[Any], Command],
        target: str,
        site_id: str = "",
    ) -> Response:
        user = await self._admin(request, back)
        if not isinstance(user, Principal):
            return user
        form = await request.form()
        if not self._csrf_ok(request, user, form.get("csrf_token")):
            return refusal(request, "case_admin.csrf")
        wing: CaseWing = request.app.state.cases
        try:
            await wing.engine.execute(make(form), actor=user, client=client_address(request))
        except KefuError as exc:
            if back == "/admin/calendars":
                return await self._calendars(
                    request, user, site_id, error=_reason(exc), status_code=_status(exc)
                )
            return await self._types(
                request, user, "", error=_reason(exc), status_code=_status(exc)
            )
        return RedirectResponse(target, status_code=303)

    def _csrf_ok(self, request: Request, user: Principal, sent: Any) -> bool:
        expected = csrf_token(self.settings.secret_key, user)
        return (
            origin_ok(request)
            and isinstance(sent, str)
            and hmac.compare_digest(sent.encode(), expected.encode())
        )


_EXAMPLE: dict[str, Any] = {
    "type_id": "new_type",
    "kind": "inquiry",
    "label_en": "New type",
    "label_zh": "新类型",
    "fields": [{"name": "amount", "kind": "number", "label_en": "Amount", "label_zh": "金额"}],
    "targets": [{"tier": 0, "first_response_h": 4, "resolution_h": 18}],
}


def _lines(text: str) -> list[tuple[str, str]]:
    """Each non-empty line as (its first word, the rest)."""
    out = []
    for line in text.splitlines():
        parts = line.strip().split(maxsplit=1)
        if parts:
            out.append((parts[0], parts[1] if len(parts) > 1 else ""))
    return out


def _editable(config: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k not in ("builtin", "retired")}


def _yaml(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _mapping(text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(f"not YAML: {str(exc)[:200]}", field="source") from exc
    if not isinstance(data, dict):
        raise ValidationError("a case type is a mapping of its keys", field="source")
    return data


def _reason(exc: KefuError) -> str:
    field = exc.details.get("field")
    return f"{field}: {exc.message}" if field and field not in exc.message else exc.message


def _status(exc: KefuError) -> int:
    if exc.error_id.startswith("unknown"):
        return 404
    return 409 if exc.error_id in ("case_type_exists", "case_type_retired") else 422
