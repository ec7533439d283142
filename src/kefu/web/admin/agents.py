"""The console's agents (``/admin/agents``): site, skills with levels, contacts at once
per channel and blocking channels, through the API's commands
(:class:`~kefu.service.routing.DefineAgent` to create,
:class:`~kefu.service.routing.UpdateAgent` to change)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from kefu.domain.errors import KefuError
from kefu.domain.model import DEFAULT_CAPACITY, DEFAULT_EXCLUSIVE, AgentSpec, Channel
from kefu.service import RoutingEngine, routing
from kefu.service.security import Principal
from kefu.web.admin._common import (
    AdminContext,
    FormRefused,
    FormState,
    field_of,
    form_list,
    form_text,
    number,
    parse_levels,
)
from kefu.web.admin.config_pages import ALL, levels_text

__all__ = ["AgentPages"]

CHANNELS = tuple(c.value for c in Channel)
AGENT_FIELDS = ("agent_id", "name", "site_id", "skills", "capacity", "exclusive")


class AgentPages:
    """``/admin/agents``."""

    def __init__(self, context: AdminContext) -> None:
        self.context = context
        self.router = APIRouter(include_in_schema=False)
        add = self.router.add_api_route
        add("/admin/agents", self.agents, methods=["GET"])
        add("/admin/agents", self.save_agent, methods=["POST"])

    @property
    def engine(self) -> RoutingEngine:
        return self.context.engine

    # -- agents --------------------------------------------------------------------------
    async def agents(self, request: Request, edit: str = "", notice: str = "") -> Response:
        return await self.context.page(request, "agents", self._agents, edit, notice)

    async def _agents(self, request: Request, user: Principal, state: FormState) -> Response:
        seen = user.visibility

        def read(e: RoutingEngine) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            return (
                routing.list_agents(e, None, ALL, 0, seen).items,
                routing.list_sites(e, ALL, 0, seen).items,
            )

        rows, sites = await self.engine.query(read)
        for row in rows:
            row["skills_text"] = levels_text(row["skills"])
        editing = next((a for a in rows if a["agent_id"] == state.edit), None)
        values = state.values
        if values is None:
            values = _agent_values(editing) if editing else _new_agent()
        shown = {"agents": rows, "sites": sites, "channels": CHANNELS}
        return self.context.render_form(
            request, "admin/agents.html", user, "agents", state, values, shown
        )

    async def save_agent(self, request: Request) -> Response:
        return await self.context.save(
            request,
            "agents",
            self._agents,
            read=_agent_form,
            command=_agent_command,
            locate=_agent_field,
        )


def _new_agent() -> dict[str, Any]:
    return {
        "capacity": {c.value: str(n) for c, n in DEFAULT_CAPACITY.items()},
        "exclusive": sorted(c.value for c in DEFAULT_EXCLUSIVE),
    }


def _agent_form(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: form_text(form, name) for name in ("agent_id", "name", "site_id", "skills")
    }
    values["capacity"] = {c: form_text(form, f"capacity_{c}", 10) for c in CHANNELS}
    values["exclusive"] = [c for c in form_list(form, "exclusive") if c in CHANNELS]
    return values


def _agent_field(exc: KefuError) -> str | None:
    where = field_of(exc, AGENT_FIELDS)
    if where is None and "capacity" in exc.message:
        where = "capacity"
    return where


def _agent_values(agent: dict[str, Any]) -> dict[str, Any]:
    return {
        "agent_id": agent["agent_id"],
        "name": agent["name"],
        "site_id": agent["site_id"] or "",
        "skills": levels_text(agent["skills"]),
        "capacity": {c: str(n) for c, n in agent["capacity"].items()},
        "exclusive": list(agent["exclusive"]),
        "mode": "update",
    }


def _agent_command(form: FormData, values: dict[str, Any]) -> routing.Command:
    """The API's command for the agent form: :class:`~kefu.service.routing.DefineAgent` to
    create, :class:`~kefu.service.routing.UpdateAgent` to change."""
    capacity: dict[str, int] = {}
    for channel in CHANNELS:
        if values["capacity"][channel]:
            capacity[channel] = int(number(form, f"capacity_{channel}", integer=True))
    if not values["site_id"]:
        raise FormRefused("a site_id is required", text_key="error.form_required", field="site_id")
    fields: dict[str, Any] = {
        "name": values["name"],
        "site_id": values["site_id"],
        "skills": parse_levels(values["skills"], "skills"),
        "capacity": capacity,
        "exclusive": list(values["exclusive"]),
    }
    if values["mode"] == "update":
        return routing.UpdateAgent(values["agent_id"], fields)
    spec = AgentSpec(
        values["agent_id"],
        fields["skills"],
        capacity={Channel(c): n for c, n in capacity.items()},
        exclusive=frozenset(Channel(c) for c in values["exclusive"]),
        name=fields["name"],
        site_id=fields["site_id"],
    )
    return routing.DefineAgent(spec)
