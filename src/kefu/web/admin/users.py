"""The console's users (``/admin/users``: role, sites, the agent a user works as,
deactivation, a new password) and, on a user's page, its API tokens, whose secret is shown
once. Every change is the security service's call that ``/api/v1/users`` makes (audited
there with before and after)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from kefu.domain.errors import KefuError
from kefu.service import RoutingEngine, routing
from kefu.service.security import ROLE_SCOPES, Principal, Role, Scope, token_view, user_view
from kefu.web._http import client_address
from kefu.web.admin._common import (
    AdminContext,
    FormRefused,
    FormState,
    back,
    checkbox,
    field_of,
    form_list,
    form_text,
    lang_params,
    number,
)
from kefu.web.admin.config_pages import ALL

__all__ = ["UserPages"]

USER_FIELDS = ("username", "display_name", "password", "role", "sites", "agent_id", "scopes")
ROLES = tuple(r.value for r in Role)


class UserPages:
    """``/admin/users`` and ``/admin/users/{username}`` (with its tokens)."""

    def __init__(self, context: AdminContext) -> None:
        self.context = context
        self.router = APIRouter(include_in_schema=False)
        add = self.router.add_api_route
        add("/admin/users", self.users, methods=["GET"])
        add("/admin/users", self.create_user, methods=["POST"])
        add("/admin/users/{username}", self.user, methods=["GET"])
        add("/admin/users/{username}", self.update_user, methods=["POST"])
        add("/admin/users/{username}/tokens", self.issue_token, methods=["POST"])
        add("/admin/users/{username}/tokens/{token_id}/revoke", self.revoke, methods=["POST"])

    @property
    def engine(self) -> RoutingEngine:
        return self.context.engine

    # -- users ---------------------------------------------------------------------------
    async def users(self, request: Request, notice: str = "") -> Response:
        user = await self.context.viewer(request, "users")
        if not isinstance(user, Principal):
            return user
        return await self._users(request, user, FormState(notice=notice[:32]))

    async def _choices(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        def read(e: RoutingEngine) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            return routing.list_sites(e, ALL, 0).items, routing.list_agents(e, None, ALL, 0).items

        return await self.engine.query(read)

    async def _users(self, request: Request, user: Principal, state: FormState) -> Response:
        records = await asyncio.to_thread(self.context.security.users.list)
        sites, agents = await self._choices()
        shown = {
            "users": [user_view(r) for r in records],
            "sites": sites,
            "agents": agents,
            "roles": ROLES,
        }
        form = state.values or {"role": "agent", "sites": []}
        return self.context.render_form(
            request, "admin/users.html", user, "users", state, form, shown
        )

    async def create_user(self, request: Request) -> Response:
        posted = await self.context.writer(request, "users")
        if not isinstance(posted, tuple):
            return posted
        admin, form = posted
        values = _user_values(form)
        password = form.get("password")
        security = self.context.security
        try:
            await asyncio.to_thread(
                security.users.create,
                username=values["username"],
                password=password if isinstance(password, str) else "",
                role=values["role"],
                sites=values["sites"],
                agent_id=values["agent_id"] or None,
                display_name=values["display_name"],
                actor=admin,
                client=client_address(request),
            )
        except KefuError as exc:
            refused = FormState.refused(request, exc, field_of(exc, USER_FIELDS), values)
            return await self._users(request, admin, refused)
        return back("/admin/users", "created", **lang_params(request))

    async def user(self, request: Request, username: str, notice: str = "") -> Response:
        admin = await self.context.viewer(request, "users")
        if not isinstance(admin, Principal):
            return admin
        return await self._user(request, admin, username[:64], FormState(notice=notice[:32]))

    async def _user(
        self,
        request: Request,
        admin: Principal,
        username: str,
        state: FormState,
        *,
        secret: str = "",
    ) -> Response:
        security = self.context.security
        try:
            record = await asyncio.to_thread(security.users.get, username)
            tokens = await asyncio.to_thread(security.credentials.tokens_of, username)
        except KefuError as exc:
            return await self._users(request, admin, FormState.refused(request, exc))
        sites, agents = await self._choices()
        shown = {
            "account": user_view(record),
            "tokens": [token_view(t) for t in tokens],
            "scopes": sorted(s.value for s in ROLE_SCOPES[Role(record.role)]),
            "sites": sites,
            "agents": agents,
            "roles": ROLES,
            "secret": secret,
        }
        form = state.values or {**user_view(record), "agent_id": record.agent_id or ""}
        return self.context.render_form(
            request, "admin/user.html", admin, "users", state, form, shown
        )

    async def update_user(self, request: Request, username: str) -> Response:
        posted = await self.context.writer(request, "users")
        if not isinstance(posted, tuple):
            return posted
        admin, form = posted
        values = _user_values(form)
        changes: dict[str, Any] = {
            "display_name": values["display_name"],
            "role": values["role"],
            "sites": values["sites"],
            "agent_id": values["agent_id"] or None,
            "active": checkbox(form, "active"),
        }
        password = form.get("password")
        if isinstance(password, str) and password:
            changes["password"] = password
        security = self.context.security
        try:
            await asyncio.to_thread(
                lambda: security.users.update(
                    username[:64], changes, actor=admin, client=client_address(request)
                )
            )
        except KefuError as exc:
            values["active"] = changes["active"]
            refused = FormState.refused(request, exc, field_of(exc, USER_FIELDS), values)
            return await self._user(request, admin, username[:64], refused)
        return back(f"/admin/users/{username[:64]}", "updated", **lang_params(request))

    async def issue_token(self, request: Request, username: str) -> Response:
        """A new API token; its secret is in this answer only (never stored in clear)."""
        posted = await self.context.writer(request, "users")
        if not isinstance(posted, tuple):
            return posted
        admin, form = posted
        security = self.context.security
        try:
            scopes = [Scope(s) for s in form_list(form, "scopes") if s in set(Scope)]
            if not scopes:
                raise FormRefused(
                    "choose at least one scope", text_key="error.form_scopes", field="scopes"
                )
            days = number(form, "ttl_days") if form_text(form, "ttl_days") else None
            name = form_text(form, "token_name", 200)
            _, secret = await asyncio.to_thread(
                lambda: security.credentials.issue_token(
                    username[:64],
                    scopes,
                    name=name,
                    ttl_s=None if days is None else days * 86_400.0,
                    actor=admin,
                    client=client_address(request),
                )
            )
        except KefuError as exc:
            where = field_of(exc, ("scopes", "ttl_days", "token_name"))
            return await self._user(
                request, admin, username[:64], FormState.refused(request, exc, where)
            )
        shown = FormState(notice="token")
        return await self._user(request, admin, username[:64], shown, secret=secret)

    async def revoke(self, request: Request, username: str, token_id: str) -> Response:
        posted = await self.context.writer(request, "users")
        if not isinstance(posted, tuple):
            return posted
        admin, _form = posted
        security = self.context.security
        try:
            await asyncio.to_thread(
                lambda: security.credentials.revoke_token(
                    username[:64], token_id[:64], actor=admin, client=client_address(request)
                )
            )
        except KefuError as exc:
            return await self._user(request, admin, username[:64], FormState.refused(request, exc))
        return back(f"/admin/users/{username[:64]}", "revoked", **lang_params(request))


def _user_values(form: FormData) -> dict[str, Any]:
    return {
        "username": form_text(form, "username", 64),
        "display_name": form_text(form, "display_name", 200),
        "role": form_text(form, "role", 20),
        "sites": form_list(form, "sites"),
        "agent_id": form_text(form, "agent_id", 64),
        "active": checkbox(form, "active"),
    }
