"""The console's landing page (``/admin``) and the routing configuration: sites
(``/admin/sites``), queues (``/admin/queues``) and skills (``/admin/skills``, what queues
require and agents have).

Each change builds the command the REST API builds (:class:`~kefu.service.routing.CreateSite`,
:class:`~kefu.service.routing.DefineQueue`, :class:`~kefu.service.routing.UpdateQueue`); its
handler checks and audits it, and the router uses it from the next contact on.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from kefu.domain.model import Channel, OverflowStep, QueueSpec
from kefu.service import RoutingEngine, routing
from kefu.service.security import Principal
from kefu.web.admin._common import (
    AdminContext,
    FormRefused,
    FormState,
    checkbox,
    field_of,
    form_text,
    number,
    parse_levels,
)

__all__ = ["ConfigPages", "overflow_text", "parse_overflow"]

ALL = 10_000
QUEUE_FIELDS = (
    "queue_id",
    "name",
    "site_id",
    "channel",
    "skills",
    "sl_target",
    "sl_threshold_s",
    "wrapup_s",
    "aht_s",
    "short_abandon_s",
    "priority",
    "overflow",
    "overflow_domain",
    "overflow_domain_queue",
    "overflow_domain_after",
)
SITE_FIELDS = ("site_id", "name", "timezone")
ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))


def levels_text(levels: dict[str, int]) -> str:
    return ", ".join(f"{name}:{level}" for name, level in sorted(levels.items()))


def overflow_text(steps: list[dict[str, Any]]) -> str:
    """Overflow steps one a line: ``60 skills billing:3``, ``120 queue general``,
    ``90 any`` (after that many seconds, any agent of the channel), ``180 domain south
    loans`` (queue ``loans`` of routing domain ``south``)."""
    lines = []
    for step in steps:
        after = f"{step['after_s']:g}"
        if step.get("domain"):
            lines.append(f"{after} domain {step['domain']} {step['queue_id']}")
        elif step.get("queue_id"):
            lines.append(f"{after} queue {step['queue_id']}")
        elif step.get("skills"):
            lines.append(f"{after} skills {levels_text(step['skills'])}")
        else:
            lines.append(f"{after} any")
    return "\n".join(lines)


def parse_overflow(text: str) -> tuple[OverflowStep, ...]:
    """The steps of :func:`overflow_text`'s form; :class:`FormRefused` naming the line."""
    steps = []
    for number_, line in enumerate(text.splitlines(), start=1):
        words = line.split(None, 2)
        if not words:
            continue
        try:
            after = float(words[0])
            kind = words[1] if len(words) > 1 else ""
        except ValueError:
            kind = "?"
        rest = words[2] if len(words) > 2 else ""
        where = rest.split()
        if kind == "domain" and len(where) == 2:
            steps.append(OverflowStep(after, queue_id=where[1], domain=where[0]))
        elif kind == "queue" and rest.strip():
            steps.append(OverflowStep(after, queue_id=rest.strip()))
        elif kind == "skills" and rest.strip():
            steps.append(OverflowStep(after, skills=parse_levels(rest, "overflow")))
        elif kind == "any" and not rest.strip():
            steps.append(OverflowStep(after, skills={}))
        else:
            raise FormRefused(
                f"overflow line {number_}: write '60 skills billing:3', '120 queue general', "
                "'90 any' or '180 domain south loans'",
                text_key="error.form_overflow",
                field="overflow",
                line=number_,
            )
    return tuple(steps)


class ConfigPages:
    """``/admin``, ``/admin/sites``, ``/admin/queues`` and ``/admin/skills``."""

    def __init__(self, context: AdminContext) -> None:
        self.context = context
        self.router = APIRouter(include_in_schema=False)
        add = self.router.add_api_route
        add("/admin", self.landing, methods=["GET"])
        add("/admin/sites", self.sites, methods=["GET"])
        add("/admin/sites", self.create_site, methods=["POST"])
        add("/admin/queues", self.queues, methods=["GET"])
        add("/admin/queues", self.save_queue, methods=["POST"])
        add("/admin/skills", self.skills, methods=["GET"])

    @property
    def engine(self) -> RoutingEngine:
        return self.context.engine

    # -- landing -------------------------------------------------------------------------
    async def landing(self, request: Request) -> Response:
        user = await self.context.viewer(request, "landing")
        if not isinstance(user, Principal):
            return user
        seen = user.visibility

        def count(e: RoutingEngine) -> dict[str, int]:
            queues = routing.list_queues(e, None, 1, 0, seen).total
            agents = routing.list_agents(e, None, 1, 0, seen).total
            skills = {s for _, spec in _specs(e, seen) for s in spec}
            return {
                "sites": routing.list_sites(e, 1, 0, seen).total,
                "queues": queues,
                "agents": agents,
                "skills": len(skills),
            }

        counts = await self.engine.query(count)
        return self.context.render(
            request, "admin/landing.html", user, "landing", {"counts": counts}
        )

    # -- sites ---------------------------------------------------------------------------
    async def sites(self, request: Request, edit: str = "", notice: str = "") -> Response:
        return await self.context.page(request, "sites", self._sites, edit, notice)

    async def _sites(self, request: Request, user: Principal, state: FormState) -> Response:
        seen = user.visibility
        rows = await self.engine.query(lambda e: routing.list_sites(e, ALL, 0, seen).items)
        editing = next((s for s in rows if s["site_id"] == state.edit), None)
        values = state.values
        if values is None:
            values = {"timezone": self.context.settings.timezone}
            if editing is not None:
                values = {**{k: editing[k] for k in SITE_FIELDS}, "mode": "update"}
        shown = {"sites": rows, "zones": ZONES}
        return self.context.render_form(
            request, "admin/sites.html", user, "sites", state, values, shown
        )

    async def create_site(self, request: Request) -> Response:
        return await self.context.save(
            request,
            "sites",
            self._sites,
            read=lambda form: {name: form_text(form, name, 200) for name in SITE_FIELDS},
            command=_site_command,
            locate=lambda exc: field_of(exc, SITE_FIELDS),
        )

    # -- queues --------------------------------------------------------------------------
    async def queues(self, request: Request, edit: str = "", notice: str = "") -> Response:
        return await self.context.page(request, "queues", self._queues, edit, notice)

    async def _queues(self, request: Request, user: Principal, state: FormState) -> Response:
        seen = user.visibility

        def read(e: RoutingEngine) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            return (
                routing.list_queues(e, None, ALL, 0, seen).items,
                routing.list_sites(e, ALL, 0, seen).items,
            )

        rows, sites = await self.engine.query(read)
        editing = next((q for q in rows if q["queue_id"] == state.edit), None)
        values = state.values
        if values is None:
            values = _queue_values(editing) if editing else {"channel": "voice", **_QUEUE_DEFAULTS}
            if editing:
                values["mode"] = "update"
        for q in rows:
            q["skills_text"] = levels_text(q["skills"])
            q["overflow_text"] = overflow_text(q["overflow"])
        settings = self.context.settings
        shown = {
            "queues": rows,
            "sites": sites,
            "channels": [c.value for c in Channel],
            # The cluster's other routing domains an overflow step may hand contacts to
            # (none in one process: the form has no such choice).
            "domains": sorted(settings.cluster_domains - {settings.routing_domain}),
        }
        return self.context.render_form(
            request, "admin/queues.html", user, "queues", state, values, shown
        )

    async def save_queue(self, request: Request) -> Response:
        return await self.context.save(
            request,
            "queues",
            self._queues,
            read=_queue_form,
            command=_queue_command,
            locate=lambda exc: field_of(exc, QUEUE_FIELDS),
        )

    # -- skills --------------------------------------------------------------------------
    async def skills(self, request: Request) -> Response:
        user = await self.context.viewer(request, "skills")
        if not isinstance(user, Principal):
            return user
        seen = user.visibility

        def read(e: RoutingEngine) -> list[dict[str, Any]]:
            table: dict[str, dict[str, list[tuple[str, int]]]] = {}
            for queue in routing.list_queues(e, None, ALL, 0, seen).items:
                for skill, level in queue["skills"].items():
                    entry = table.setdefault(skill, {"queues": [], "agents": []})
                    entry["queues"].append((queue["queue_id"], level))
            for agent in routing.list_agents(e, None, ALL, 0, seen).items:
                for skill, level in agent["skills"].items():
                    entry = table.setdefault(skill, {"queues": [], "agents": []})
                    entry["agents"].append((agent["agent_id"], level))
            return [{"skill": s, **table[s]} for s in sorted(table)]

        rows = await self.engine.query(read)
        return self.context.render(request, "admin/skills.html", user, "skills", {"skills": rows})


_QUEUE_DEFAULTS = {
    "sl_target": "80",
    "sl_threshold_s": "20",
    "wrapup_s": "0",
    "aht_s": "300",
    "short_abandon_s": "5",
    "priority": "0",
}


def _specs(engine: RoutingEngine, seen: Any) -> list[tuple[str, dict[str, int]]]:
    out = []
    for queue in routing.list_queues(engine, None, ALL, 0, seen).items:
        out.append((queue["queue_id"], queue["skills"]))
    for agent in routing.list_agents(engine, None, ALL, 0, seen).items:
        out.append((agent["agent_id"], agent["skills"]))
    return out


def _queue_values(queue: dict[str, Any]) -> dict[str, str]:
    """The form's fields for ``queue``: its first step to another routing domain in the
    domain fields, the other steps in the text."""
    steps = list(queue["overflow"])
    other = next((s for s in steps if s.get("domain")), None)
    domain = {"overflow_domain": "", "overflow_domain_queue": "", "overflow_domain_after": ""}
    if other is not None:
        steps.remove(other)
        domain = {
            "overflow_domain": other["domain"],
            "overflow_domain_queue": other["queue_id"],
            "overflow_domain_after": f"{other['after_s']:g}",
        }
    return {
        **domain,
        "queue_id": queue["queue_id"],
        "name": queue["name"],
        "site_id": queue["site_id"] or "",
        "shared": "on" if queue["shared"] else "",
        "channel": queue["channel"],
        "skills": levels_text(queue["skills"]),
        "sl_target": f"{queue['sl_target'] * 100:g}",
        "sl_threshold_s": f"{queue['sl_threshold_s']:g}",
        "wrapup_s": f"{queue['wrapup_s']:g}",
        "aht_s": f"{queue['aht_s']:g}",
        "short_abandon_s": f"{queue['short_abandon_s']:g}",
        "priority": str(queue.get("priority", 0)),
        "overflow": overflow_text(steps),
    }


def _site_command(_form: FormData, values: dict[str, str]) -> routing.Command:
    """The API's command for the site form: :class:`~kefu.service.routing.CreateSite` to
    create, :class:`~kefu.service.routing.UpdateSite` to change."""
    if values["mode"] == "update":
        return routing.UpdateSite(values["site_id"], values["name"] or None, values["timezone"])
    return routing.CreateSite(values["site_id"], values["name"], values["timezone"])


def _queue_form(form: FormData) -> dict[str, str]:
    values = {name: form_text(form, name) for name in QUEUE_FIELDS}
    values["shared"] = "on" if checkbox(form, "shared") else ""
    return values


def _queue_command(form: FormData, values: dict[str, str]) -> routing.Command:
    """The API's command for the queue form: :class:`~kefu.service.routing.DefineQueue`
    to create, :class:`~kefu.service.routing.UpdateQueue` to change (the SL target is typed
    in percent)."""
    fields: dict[str, Any] = {
        "name": values["name"],
        "channel": values["channel"],
        "skills": parse_levels(values["skills"], "skills"),
        "sl_target": number(form, "sl_target") / 100.0,
        "sl_threshold_s": number(form, "sl_threshold_s"),
        "wrapup_s": number(form, "wrapup_s"),
        "aht_s": number(form, "aht_s"),
        "short_abandon_s": number(form, "short_abandon_s"),
        # Left empty (or a form without the field): the normal priority.
        "priority": int(number(form, "priority", integer=True)) if values["priority"] else 0,
        "overflow": parse_overflow(values["overflow"]) + _domain_step(form, values),
    }
    site_id = values["site_id"]
    if not site_id:
        raise FormRefused("a site_id is required", text_key="error.form_required", field="site_id")
    shared = values["shared"] == "on"
    if values["mode"] == "update":
        changes = {**fields, "overflow": [s.to_dict() for s in fields["overflow"]]}
        changes.update(site_id=site_id, shared=shared)
        return routing.UpdateQueue(values["queue_id"], changes)
    spec = QueueSpec(values["queue_id"], site_id=site_id, **fields)
    return routing.DefineQueue(spec, site_id, shared)


def _domain_step(form: FormData, values: dict[str, str]) -> tuple[OverflowStep, ...]:
    """The step to another routing domain of the domain fields (none without a domain);
    :class:`FormRefused` naming the field left empty. The domain is checked by the
    command's handler (another domain of the cluster)."""
    domain = values["overflow_domain"]
    if not domain:
        return ()
    for name in ("overflow_domain_queue", "overflow_domain_after"):
        if not values[name]:
            raise FormRefused(f"{name} is required", text_key="error.form_required", field=name)
    after = number(form, "overflow_domain_after")
    return (OverflowStep(after, queue_id=values["overflow_domain_queue"], domain=domain),)
