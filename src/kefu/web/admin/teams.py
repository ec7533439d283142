"""The console's teams (``/admin/teams``): each team's name (any script), site, leader (a
supervisor of that site) and member agents, through the teams' commands
(:class:`~kefu.service.teams.CreateTeam`, :class:`~kefu.service.teams.UpdateTeam` with the
members, :class:`~kefu.service.teams.RemoveTeam`). Supervisors read the teams of their
sites; each team links to its agents' scorecards (``/reports/agents?team=<id>``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from kefu.domain.errors import KefuError
from kefu.service import RoutingEngine, routing
from kefu.service.security import Principal
from kefu.service.teams import CreateTeam, RemoveTeam, TeamBook, UpdateTeam
from kefu.web.admin._common import (
    AdminContext,
    FormState,
    back,
    field_of,
    form_list,
    form_text,
    lang_params,
)
from kefu.web.admin.config_pages import ALL

__all__ = ["TeamPages"]

TEAM_FIELDS = ("team_id", "name", "site_id", "leader", "members")


class TeamPages:
    """``/admin/teams`` over the app's team book (``app.state.teams``)."""

    def __init__(self, context: AdminContext) -> None:
        self.context = context
        self.router = APIRouter(include_in_schema=False)
        add = self.router.add_api_route
        add("/admin/teams", self.teams, methods=["GET"])
        add("/admin/teams", self.save, methods=["POST"])
        add("/admin/teams/{team_id}/remove", self.remove, methods=["POST"])

    async def teams(self, request: Request, edit: str = "", notice: str = "") -> Response:
        return await self.context.page(request, "teams", self._page, edit, notice)

    async def _page(self, request: Request, user: Principal, state: FormState) -> Response:
        seen = user.visibility
        book = _book(request)

        def read(e: RoutingEngine) -> tuple[list[Any], list[dict[str, Any]], list[dict[str, Any]]]:
            return (
                book.teams(seen.sites),
                routing.list_agents(e, None, ALL, 0, seen).items,
                routing.list_sites(e, ALL, 0, seen).items,
            )

        teams, agents, sites = await self.context.engine.query(read)
        editing = next((t for t in teams if t.team_id == state.edit), None)
        values = state.values
        if values is None:
            values = {"members": []}
            if editing is not None:
                values = {**editing.to_json(), "leader": editing.leader or "", "mode": "update"}
        shown = {"teams": teams, "agents": agents, "sites": sites}
        return self.context.render_form(
            request, "admin/teams.html", user, "teams", state, values, shown
        )

    async def save(self, request: Request) -> Response:
        return await self.context.save(
            request,
            "teams",
            self._page,
            read=_read,
            command=_command,
            locate=lambda exc: field_of(exc, TEAM_FIELDS),
        )

    async def remove(self, request: Request, team_id: str) -> Response:
        posted = await self.context.writer(request, "teams")
        if not isinstance(posted, tuple):
            return posted
        user, _form = posted
        try:
            await self.context.execute(request, user, RemoveTeam(team_id[:64]))
        except KefuError as exc:
            return await self._page(request, user, FormState.refused(request, exc))
        return back("/admin/teams", "removed", **lang_params(request))


def _book(request: Request) -> TeamBook:
    book: TeamBook = request.app.state.teams
    return book


def _read(form: FormData) -> dict[str, Any]:
    return {
        "team_id": form_text(form, "team_id", 64),
        "name": form_text(form, "name", 200),
        "site_id": form_text(form, "site_id", 64),
        "leader": form_text(form, "leader", 64),
        "members": form_list(form, "members"),
    }


def _command(form: FormData, values: dict[str, Any]) -> CreateTeam | UpdateTeam:
    del form
    leader = values["leader"] or None
    members = tuple(values["members"])
    if values["mode"] == "update":
        return UpdateTeam(values["team_id"], values["name"], values["site_id"], leader, members)
    return CreateTeam(values["team_id"], values["name"], values["site_id"], leader, members)
