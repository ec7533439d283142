"""The console's chat widget settings (``/admin/widget``, ``?edit=<site>`` for a site's
widget, none for the default one): the greeting in English and Chinese, the accent colour,
the pre-chat topics (each a chat queue or ``flow:<id>``, with its two labels) and the
offline form, through :class:`~kefu.service.channels.widget.SetChatWidget`. A site without
settings of its own shows the default widget's as a start. Supervisors read the page; the
widget uses a change from its next connection on."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from kefu.service.channels import ChatWidget, SetChatWidget, WidgetBook
from kefu.service.security import Principal
from kefu.web.admin._common import (
    AdminContext,
    FormRefused,
    FormState,
    checkbox,
    field_of,
    form_text,
)

__all__ = ["WidgetPage", "parse_topics", "topics_text"]

WIDGET_FIELDS = ("greeting_en", "greeting_zh", "colour", "topics", "offline_form", "site_id")


def topics_text(widget: ChatWidget) -> str:
    """One topic a line: ``target | English label | 中文标签``."""
    return "\n".join(f"{t.target} | {t.labels['en']} | {t.labels['zh']}" for t in widget.topics)


def parse_topics(text: str) -> tuple[tuple[str, str, str], ...]:
    """The topics textarea as (target, English label, Chinese label) each; a line without
    its three parts is refused naming its number."""
    out = []
    for number_, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3 or not all(parts):
            raise FormRefused(
                f"topic line {number_}: write 'queue | English label | 中文标签'",
                text_key="error.widget_topic_line",
                field="topics",
                line=number_,
            )
        out.append((parts[0], parts[1], parts[2]))
    return tuple(out)


class WidgetPage:
    """``/admin/widget`` over the widget book."""

    def __init__(self, context: AdminContext) -> None:
        self.context = context
        self.book: WidgetBook | None = None
        """Set by the wiring (the book is a part of the engine's transaction)."""
        self.router = APIRouter(include_in_schema=False)
        self.router.add_api_route("/admin/widget", self.view, methods=["GET"])
        self.router.add_api_route("/admin/widget", self.save, methods=["POST"])

    async def view(self, request: Request, edit: str = "", notice: str = "") -> Response:
        return await self.context.page(request, "widget", self._page, edit, notice)

    async def _page(self, request: Request, user: Principal, state: FormState) -> Response:
        sites = sorted(await self.context.engine.query(lambda e: list(e.sites)))
        site = state.edit if state.edit in sites else ""
        values = state.values
        if values is not None:
            site = values.get("site_id", "")
        widget = self.book.of(site or None) if self.book is not None else ChatWidget()
        own = self.book is not None and (site or None) in self.book.widgets
        if values is None:
            values = {
                "site_id": site,
                "greeting_en": widget.greeting["en"],
                "greeting_zh": widget.greeting["zh"],
                "colour": widget.colour,
                "topics": topics_text(widget),
                "offline_form": "on" if widget.offline_form else "",
                "mode": "update",
            }
        shown = {"sites": sites, "site": site, "own": own}
        return self.context.render_form(
            request, "admin/widget.html", user, "widget", state, values, shown
        )

    async def save(self, request: Request) -> Response:
        return await self.context.save(
            request,
            "widget",
            self._page,
            read=_read,
            command=_command,
            locate=lambda exc: field_of(exc, WIDGET_FIELDS),
            keep=lambda values: {"edit": values["site_id"]} if values["site_id"] else {},
        )


def _read(form: FormData) -> dict[str, Any]:
    values = {name: form_text(form, name) for name in WIDGET_FIELDS}
    values["site_id"] = form_text(form, "site_id", 64)
    values["offline_form"] = "on" if checkbox(form, "offline_form") else ""
    return values


def _command(form: FormData, values: dict[str, Any]) -> SetChatWidget:
    del form
    return SetChatWidget(
        values["greeting_en"],
        values["greeting_zh"],
        values["colour"],
        parse_topics(values["topics"]),
        values["offline_form"] == "on",
        values["site_id"] or None,
    )
