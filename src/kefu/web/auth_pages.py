"""The login page, logout and the front page.

CSRF protection of these form posts: a signed double-submit token. ``GET /login`` sets a
random nonce in an HTTP-only ``SameSite=Strict`` cookie and puts HMAC(secret key, nonce) in
the form; ``POST /login`` accepts only when the two agree. Logout's form carries the
token bound to the session (HMAC of the session id). Both also refuse a request whose
``Origin`` header names another site. The session cookie is HTTP-only, ``SameSite=Lax``
and ``Secure`` outside local and test use.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from kefu.adapters.sockets.hub import client_address
from kefu.config import Settings
from kefu.service import NotAuthenticated, TooManyRequests
from kefu.service.security import SESSION_COOKIE, Principal, Role, Security, csrf_token, sign
from kefu.web._http import origin_ok, user_of
from kefu.web.i18n import request_catalog

__all__ = ["LOGIN_CSRF_COOKIE", "AuthPages", "safe_next"]

HERE = Path(__file__).resolve().parent
FAVICON = HERE / "static" / "favicon.ico"
ICON_CACHE = {"Cache-Control": "public, max-age=86400"}
LOGIN_CSRF_COOKIE = "kefu_login_csrf"
MAX_FIELD = 512
NOTICES = frozenset({"bad_login", "rate_limited", "csrf", "forbidden"})
"""Codes of the notices the login and account pages show (catalog texts ``auth.<code>``;
the page's script shows them again in the language it switches to)."""


def notice_text(request: Request, code: str, retry_after_s: int = 0) -> str:
    """The notice ``code`` in the request's language (``?lang=``, else
    ``Accept-Language``), ``""`` for no notice."""
    if code not in NOTICES:
        return ""
    return request_catalog(request).text(f"auth.{code}", s=retry_after_s)


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go to after login (never another site: no ``//`` or scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(ch) < 32 for ch in target):
        return default
    return target


def home_for(role: str, agent_id: str | None) -> str:
    """Where a user lands after login: admins on the admin console, supervisors on the
    wallboard, agents on their desktop (an agent login not tied to an agent has only its
    account page)."""
    if role == Role.ADMIN.value:
        return "/admin"
    if role == Role.SUPERVISOR.value:
        return "/wallboard"
    return "/desktop" if role == Role.AGENT.value and agent_id else "/account"


def home_of(principal: Principal) -> str:
    return home_for(principal.role.value, principal.agent_id)


class AuthPages:
    """``/``, ``/login``, ``/logout`` and ``/account`` (a signed-in user's page)."""

    def __init__(self, security: Security, settings: Settings, templates: Jinja2Templates):
        self.security = security
        self.settings = settings
        self.templates = templates
        self.router = APIRouter(include_in_schema=False)
        # HEAD too: uptime checks and link previews ask the front page with it.
        self.router.add_api_route("/", self.front, methods=["GET", "HEAD"])
        self.router.add_api_route("/favicon.ico", self.favicon, methods=["GET", "HEAD"])
        self.router.add_api_route("/login", self.login_page, methods=["GET"])
        self.router.add_api_route("/login", self.login, methods=["POST"])
        self.router.add_api_route("/logout", self.logout, methods=["POST"])
        self.router.add_api_route("/account", self.account, methods=["GET"])

    async def user(self, request: Request) -> Principal | None:
        """The logged-in user, or ``None``."""
        return await user_of(request, self.security)

    # -- pages -------------------------------------------------------------------------
    async def front(self, request: Request) -> Response:
        user = await self.user(request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        return RedirectResponse(home_of(user), status_code=303)

    async def favicon(self) -> Response:
        """The site's icon (browsers ask for it at this path; the API docs use it too)."""
        return FileResponse(FAVICON, media_type="image/x-icon", headers=ICON_CACHE)

    async def account(self, request: Request) -> Response:
        user = await self.user(request)
        if user is None:
            return RedirectResponse("/login?next=/account", status_code=303)
        return self.signed_in_page(request, user)

    def signed_in_page(
        self, request: Request, user: Principal, *, status_code: int = 200, notice: str = ""
    ) -> HTMLResponse:
        return self.templates.TemplateResponse(
            request,
            "account.html",
            {
                "user": user,
                "csrf_token": csrf_token(self.settings.secret_key, user),
                "notice": notice,
                "notice_text": notice_text(request, notice),
            },
            status_code=status_code,
        )

    async def login_page(self, request: Request, next: str | None = None) -> Response:
        user = await self.user(request)
        if user is not None:
            return RedirectResponse(safe_next(next, home_of(user)), status_code=303)
        return self._form(request, next=safe_next(next, ""))

    def _form(
        self,
        request: Request,
        *,
        next: str = "",
        error: str = "",
        username: str = "",
        status_code: int = 200,
        retry_after: int = 0,
    ) -> HTMLResponse:
        nonce = secrets.token_urlsafe(24)
        response = self.templates.TemplateResponse(
            request,
            "login.html",
            {
                "csrf_token": sign(self.settings.secret_key, "login", nonce),
                "next": next,
                "error": error,
                "error_text": notice_text(request, error, retry_after),
                "username": username,
                "retry_after": retry_after,
            },
            status_code=status_code,
        )
        response.set_cookie(
            LOGIN_CSRF_COOKIE,
            nonce,
            max_age=3600,
            path="/login",
            httponly=True,
            samesite="strict",
            secure=self.settings.secure_cookies,
        )
        response.headers["Cache-Control"] = "no-store"
        if retry_after:
            response.headers["Retry-After"] = str(retry_after)
        return response

    # -- form posts --------------------------------------------------------------------
    async def login(self, request: Request) -> Response:
        form = await request.form()
        text = {
            name: value if isinstance(value := form.get(name), str) else ""
            for name in ("username", "password", "csrf_token", "next")
        }
        target = safe_next(text["next"], "")
        username = text["username"].strip()[:MAX_FIELD]
        nonce = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        expected = sign(self.settings.secret_key, "login", nonce) if nonce else ""
        if not (
            origin_ok(request)
            and expected
            and hmac.compare_digest(text["csrf_token"].encode(), expected.encode())
        ):
            return self._form(
                request, next=target, error="csrf", username=username, status_code=403
            )
        try:
            user, secret = await asyncio.to_thread(
                self.security.credentials.login,
                username,
                text["password"][:MAX_FIELD],
                client_address(request),
            )
        except TooManyRequests as exc:
            wait = max(1, int(exc.retry_after_s))
            return self._form(
                request,
                next=target,
                error="rate_limited",
                username=username,
                status_code=429,
                retry_after=wait,
            )
        except NotAuthenticated:
            return self._form(
                request, next=target, error="bad_login", username=username, status_code=401
            )
        default = home_for(user.role, user.agent_id)
        response = RedirectResponse(safe_next(target, default), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            secret,
            max_age=int(self.settings.session_ttl_s),
            path="/",
            httponly=True,
            samesite="lax",
            secure=self.settings.secure_cookies,
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
        return response

    async def logout(self, request: Request) -> Response:
        user = await self.user(request)
        response = RedirectResponse("/login", status_code=303)
        if user is None or user.via != "session":
            response.delete_cookie(SESSION_COOKIE, path="/")
            return response
        form = await request.form()
        sent = form.get("csrf_token")
        expected = csrf_token(self.settings.secret_key, user)
        if not (
            origin_ok(request)
            and isinstance(sent, str)
            and hmac.compare_digest(sent.encode(), expected.encode())
        ):
            return self.signed_in_page(request, user, status_code=403, notice="csrf")
        secret = request.cookies.get(SESSION_COOKIE, "")
        await asyncio.to_thread(self.security.credentials.logout, secret, client_address(request))
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
