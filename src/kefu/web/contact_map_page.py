"""The supervisors' contact map, ``/reports/contact-map``: for the contacts of the caller's
sites that arrived in the last ``days`` days, the graph channels → queues → agents → outcomes
with volumes as a server-rendered SVG, the blind spots, loops, broken hand-offs and repeat
contacts by reason, and FCR (repeat window ``window_days``, default 7) next to AHT by queue,
agent, channel and topic. ``?format=csv`` downloads the CSV, ``?format=svg`` the image.
Supervisors and admins (an agent gets 403, a site not theirs 404; not logged in goes to the
login). The figures are those of ``kefu contactmap`` on the same events.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from kefu.analytics.contactmap_svg import COLUMNS, contact_map_svg
from kefu.domain.errors import KefuError
from kefu.i18n.catalog import Catalog
from kefu.service import RoutingEngine
from kefu.service.cases import contact_map_report, report_csv
from kefu.service.security import Principal, Role, Security
from kefu.web._http import user_of
from kefu.web.i18n import page_templates, refusal, request_catalog

__all__ = ["ContactMapPage"]

DAY_S = 86_400.0
MAX_DAYS = 366
SHOWN = 50
"""Rows shown per list on the page (the CSV has them all)."""


def node_label(catalog: Catalog, kind: str, name: str) -> str:
    """What a channel or an outcome is called in ``catalog``'s language (``voice`` → 语音,
    ``case_open`` → the case state's name); the name itself where the catalog has none
    (queue, agent and IVR names are the operator's own)."""
    if kind == "channel":
        keys: tuple[str, ...] = (f"admin.channel.{name}",)
    elif kind == "outcome":
        state = name.removeprefix("case_")
        keys = (f"contact_map.outcome.{name}", f"vocab.disposition.{name}", f"cases.state.{state}")
    else:
        return name
    for key in keys:
        text = catalog.text(key)
        if text != key:
            return text
    return name


def node_labels(catalog: Catalog, nodes: Iterable[str]) -> dict[str, str]:
    """The graph's node names (``kind:name``) with the words the reader reads on them."""
    return {node: node_label(catalog, *node.split(":", 1)) for node in nodes if ":" in node}


class ContactMapPage:
    """``GET /reports/contact-map?days=N&window_days=D&max_transfers=M&site_id=S&format=F``."""

    def __init__(self, engine: RoutingEngine, security: Security) -> None:
        self.engine = engine
        self.security = security
        self.templates = page_templates()
        self.router = APIRouter(include_in_schema=False)
        self.router.add_api_route("/reports/contact-map", self.page, methods=["GET"])

    async def page(
        self,
        request: Request,
        days: int = 30,
        window_days: float = 7.0,
        max_transfers: int = 3,
        site_id: str | None = None,
        format: str = "html",
    ) -> Response:
        user = await user_of(request, self.security)
        if user is None:
            return RedirectResponse("/login?next=/reports/contact-map", status_code=303)
        if not isinstance(user, Principal) or user.role is Role.AGENT:
            return refusal(request, "contact_map.supervisors_only")
        days = min(max(days, 1), MAX_DAYS)
        window_days = min(max(window_days, 0.0), 90.0)
        max_transfers = min(max(max_transfers, 0), 20)
        site_id = site_id or None
        now = self.engine.now()
        try:
            report = await contact_map_report(
                self.engine, user, since=now - days * DAY_S, until=now + 1.0,
                window_s=window_days * DAY_S, max_transfers=max_transfers, site_id=site_id,
            )  # fmt: skip
        except KefuError as exc:
            if exc.error_id != "unknown_site":
                raise
            return refusal(request, "contact_map.unknown_site", 404)
        name = f"contact-map-{days}d" + (f"-{site_id}" if site_id else "")
        catalog = request_catalog(request)
        titles = {k: catalog.text(f"contact_map.column.{k}") for k in COLUMNS}
        labels = node_labels(catalog, (node for node, _n in report.cmap.nodes))
        svg = contact_map_svg(report.cmap, titles=titles, labels=labels)
        if format == "csv":
            return Response(
                report_csv(report),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
            )
        if format == "svg":
            return Response(
                svg,
                media_type="image/svg+xml",
                headers={"Content-Disposition": f'attachment; filename="{name}.svg"'},
            )
        query = f"days={days}&window_days={window_days:g}&max_transfers={max_transfers}" + (
            f"&site_id={site_id}" if site_id else ""
        )
        return self.templates.TemplateResponse(
            request,
            "contact_map.html",
            {
                "user": user,
                "report": report,
                "svg": Markup(svg),  # built by contact_map_svg, every text escaped
                "days": days,
                "window_days": window_days,
                "max_transfers": max_transfers,
                "site_id": site_id or "",
                "query": query,
                "shown": SHOWN,
                "label": lambda kind, name: node_label(catalog, kind, name),
            },
        )
