"""What every page of the admin console shares: who may see it (admins; supervisors read
their sites' pages), the CSRF check of its forms, reading a form's fields, and the refusal
of a change shown in the form in the page's language with the field named.

A page's change is the same command the API builds (or the same security call, for users
and tokens); the route runs it as the logged-in admin and redirects back (303) with a
notice, or shows the page again with the form as it was typed and the reason (422; 404
for an unknown id, 409 for a conflict).
"""

from __future__ import annotations

import hmac
import math
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from kefu.config import Settings
from kefu.domain.errors import AlreadyExists, Conflict, KefuError, NotFound
from kefu.domain.errors import ValidationError as DomainValidationError
from kefu.i18n import SOURCE_LANGUAGE, Catalog
from kefu.service import RoutingEngine
from kefu.service.security import Principal, Role, Scope, Security, csrf_token
from kefu.web._http import client_address, origin_ok, user_of
from kefu.web.i18n import page_templates, refusal, request_catalog

__all__ = [
    "SECTIONS",
    "AdminContext",
    "FormRefused",
    "FormState",
    "back",
    "checkbox",
    "field_of",
    "form_list",
    "form_text",
    "lang_params",
    "number",
    "parse_levels",
    "refused_text",
    "status_of",
]


SECTIONS = (
    "sites",
    "queues",
    "skills",
    "agents",
    "teams",
    "users",
    "phrases",
    "widget",
    "addresses",
    "webhooks",
    "audit",
)
"""The console's sections, in the order of its menu (``admin.section.<name>``)."""
ADMIN_ONLY = frozenset({"users", "audit", "webhooks"})
"""Sections a supervisor does not see at all."""
MAX_FIELD = 2000
_LEVEL = re.compile(r"^\s*([^\s:,]+)\s*:\s*(-?\d+)\s*$")


class FormRefused(DomainValidationError):
    """A form field that cannot be read (not a number, a malformed skill list): refused
    before any command is built."""

    error_id = "form_invalid"


@dataclass(frozen=True, slots=True)
class FormState:
    """What a list page shows around its own rows: the row ``edit`` in the form, the
    ``notice`` of the change just made, the form's ``values`` as typed (None: the page
    fills its form itself) and a refusal (``error`` on ``error_field``, answered with
    ``status_code``)."""

    edit: str = ""
    notice: str = ""
    values: dict[str, Any] | None = None
    error: str = ""
    error_field: str | None = None
    status_code: int = 200

    @classmethod
    def refused(
        cls,
        request: Request,
        exc: KefuError,
        field: str | None = None,
        values: dict[str, Any] | None = None,
    ) -> FormState:
        """The page again after ``exc``: its reason in the page's language on ``field``,
        the form as typed (``values``) and the refusal's status."""
        text = refused_text(request_catalog(request), exc, field)
        return cls(values=values, error=text, error_field=field, status_code=status_of(exc))


Show = Callable[[Request, Principal, FormState], Awaitable[Response]]
"""A page's view: ``show(request, user, state)``."""


@dataclass(frozen=True, slots=True)
class AdminContext:
    """The engine, the security service and the settings the console's pages work on."""

    engine: RoutingEngine
    security: Security
    settings: Settings
    templates: Jinja2Templates

    @classmethod
    def of(cls, engine: RoutingEngine, security: Security, settings: Settings) -> AdminContext:
        return cls(engine, security, settings, page_templates())

    async def viewer(
        self, request: Request, section: str, *, write: bool = False
    ) -> Principal | Response:
        """The caller if it may open ``section`` (``write``: change it): admins always;
        supervisors read the sections of their sites; others 403; nobody logged in goes to
        the login."""
        user = await user_of(request, self.security)
        if user is None:
            target = quote(request.url.path, safe="/")
            return RedirectResponse(f"/login?next={target}", status_code=303)
        if user.role is Role.ADMIN and Scope.ADMIN in user.scopes:
            return user
        if user.role is Role.SUPERVISOR and not write and section not in ADMIN_ONLY:
            return user
        if write:
            return refusal(request, "admin.admins_only")
        return refusal(request, "admin.forbidden")

    async def writer(self, request: Request, section: str) -> tuple[Principal, FormData] | Response:
        """An admin's form post with a valid CSRF token (same site): the admin and the form."""
        user = await self.viewer(request, section, write=True)
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
            return refusal(request, "admin.csrf")
        return user, form

    async def page(
        self, request: Request, section: str, show: Show, edit: str, notice: str
    ) -> Response:
        """A list page with its form: the viewer's page, the row ``edit`` in the form."""
        user = await self.viewer(request, section)
        if not isinstance(user, Principal):
            return user
        return await show(request, user, FormState(edit=edit[:64], notice=notice[:32]))

    async def save(
        self,
        request: Request,
        section: str,
        show: Show,
        *,
        read: Callable[[FormData], dict[str, Any]],
        command: Callable[[FormData, dict[str, Any]], Any],
        locate: Callable[[KefuError], str | None],
        keep: Callable[[dict[str, Any]], dict[str, str]] | None = None,
    ) -> Response:
        """A form's post: its ``values`` (``read``, plus the create/update ``mode``), the
        ``command`` they build run as the admin, then back to the section's page with a
        notice (and the query parameters ``keep`` gives from the values); a refusal shows
        the page again with the form as typed and the reason on the field ``locate``
        names."""
        posted = await self.writer(request, section)
        if not isinstance(posted, tuple):
            return posted
        user, form = posted
        values = read(form)
        values["mode"] = "update" if form_text(form, "mode") == "update" else "create"
        try:
            await self.execute(request, user, command(form, values))
        except KefuError as exc:
            return await show(request, user, FormState.refused(request, exc, locate(exc), values))
        notice = "updated" if values["mode"] == "update" else "created"
        kept = {} if keep is None else keep(values)
        return back(f"/admin/{section}", notice, **kept, **lang_params(request))

    async def execute(self, request: Request, user: Principal, command: Any) -> Any:
        """Run ``command`` as ``user`` (audited with the caller's address)."""
        return await self.engine.execute(command, actor=user, client=client_address(request))

    def render(
        self,
        request: Request,
        template: str,
        user: Principal,
        section: str,
        values: Mapping[str, Any],
        *,
        status_code: int = 200,
    ) -> HTMLResponse:
        catalog = request_catalog(request)
        shown = {
            "user": user,
            "section": section,
            "sections": [s for s in SECTIONS if user.is_admin or s not in ADMIN_ONLY],
            "can_write": user.is_admin,
            "csrf_token": csrf_token(self.settings.secret_key, user),
            "lang": "zh" if catalog.language != SOURCE_LANGUAGE else "en",
            "html_lang": catalog.bcp47,
            **values,
        }
        response = self.templates.TemplateResponse(
            request, template, shown, status_code=status_code
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    def render_form(
        self,
        request: Request,
        template: str,
        user: Principal,
        section: str,
        state: FormState,
        form: Mapping[str, Any],
        values: Mapping[str, Any],
    ) -> HTMLResponse:
        """:meth:`render` of a page with a form: the page's own ``values``, the ``form``'s
        values, and the notice and refusal of ``state`` (with its status)."""
        shown = {
            **values,
            "form": form,
            "notice": state.notice,
            "error": state.error,
            "error_field": state.error_field,
        }
        return self.render(request, template, user, section, shown, status_code=state.status_code)


def back(path: str, notice: str, **params: str) -> RedirectResponse:
    """303 to ``path`` with a notice code (and more query parameters)."""
    query = "&".join(f"{k}={quote(v)}" for k, v in {"notice": notice, **params}.items())
    return RedirectResponse(f"{path}?{query}", status_code=303)


def lang_params(request: Request) -> dict[str, str]:
    """The ``lang`` query parameter to keep across a redirect (none when not asked)."""
    lang = request.query_params.get("lang", "")
    return {"lang": lang} if lang in ("en", "zh") else {}


def status_of(exc: KefuError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, AlreadyExists | Conflict):
        return 409
    return 422


def form_text(form: FormData, name: str, limit: int = MAX_FIELD) -> str:
    """A text field, trimmed (``""`` when absent), at most ``limit`` characters."""
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def form_list(form: FormData, name: str) -> list[str]:
    """Every value of a repeated field (checkboxes, a multiple select), without blanks."""
    return [v.strip()[:64] for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def checkbox(form: FormData, name: str) -> bool:
    return form.get(name) in ("on", "1", "true")


def number(form: FormData, name: str, *, integer: bool = False) -> float:
    """A number field; :class:`FormRefused` naming the field when it is not one."""
    text = form_text(form, name, 40)
    try:
        value = float(text) if not integer else float(int(text))
    except ValueError:
        raise FormRefused(
            f"{name} must be a number", text_key="error.form_number", field=name
        ) from None
    if not math.isfinite(value):
        raise FormRefused(f"{name} must be a number", text_key="error.form_number", field=name)
    return value


def parse_levels(text: str, name: str) -> dict[str, int]:
    """``billing:5, vip:3`` (commas or spaces between) as skill → level; the levels'
    range is the domain's check."""
    levels: dict[str, int] = {}
    for part in re.split(r"[,\s]+(?=[^\s:,]+\s*:)", text.strip()):
        if not part.strip():
            continue
        match = _LEVEL.match(part.strip().rstrip(","))
        if match is None:
            raise FormRefused(
                f"{name}: write skills as name:level, e.g. billing:5, vip:3",
                text_key="error.form_skills",
                field=name,
                value=part.strip()[:40],
            )
        levels[match.group(1)] = int(match.group(2))
    return levels


def field_of(exc: KefuError, fields: tuple[str, ...]) -> str | None:
    """The form field a refusal concerns: the one it names, else the first of ``fields``
    its message mentions, else one its details name (``skill`` for ``skills``)."""
    named = exc.details.get("field")
    if isinstance(named, str) and named in fields:
        return named
    for name in fields:
        if re.search(rf"\b{re.escape(name)}\b", exc.message):
            return name
    for name in fields:
        if name in exc.details or name.rstrip("s") in exc.details:
            return name
    return named if isinstance(named, str) else None


def refused_text(catalog: Catalog, exc: KefuError, field: str | None) -> str:
    """The refusal in the page's language: the field's label, then the catalog's text of
    the error (the English message when it has none)."""
    message = exc.message
    if exc.text_key is not None and catalog.language != SOURCE_LANGUAGE:
        values = {k: v for k, v in exc.details.items() if isinstance(v, str | int | float)}
        text = catalog.text(exc.text_key, **values)
        message = message if text == exc.text_key else text
    if field is None:
        return message
    label = catalog.text(f"admin.field.{field}")
    return f"{label if label != f'admin.field.{field}' else field}: {message}"
