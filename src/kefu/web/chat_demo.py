"""The web chat's demo page (``/chat/demo``): a shop page embedding the chat widget, which
talks to the chat gateway's socket (:mod:`kefu.adapters.channels.webchat.gateway`).
``/chat/{site_id}`` is the same page with the widget of that site (its queues and its
settings, see :mod:`kefu.service.channels.widget`); an unknown site answers 404."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from kefu.adapters.channels.webchat.gateway import CHAT_COOKIE, ChatHub
from kefu.config import Settings

__all__ = ["ChatDemoPage"]

HERE = Path(__file__).resolve().parent
COOKIE_MAX_AGE_S = 180 * 86400
"""Seconds the demo page's chat cookie lives (180 days)."""


class ChatDemoPage:
    """``/chat/demo``: issues the visitor's chat token (cookie) when it has none."""

    def __init__(self, chat: ChatHub, settings: Settings) -> None:
        self.chat = chat
        self.settings = settings
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.router = APIRouter(include_in_schema=False)
        self.router.add_api_route("/chat/demo", self.page, methods=["GET"])
        self.router.add_api_route("/chat/{site_id}", self.site_page, methods=["GET"])

    async def site_page(self, request: Request, site_id: str) -> Response:
        known = await self.chat.engine.query(lambda e: site_id in e.sites)
        if not known:
            return HTMLResponse("<!doctype html><p>unknown site 未知站点</p>", status_code=404)
        return self._render(request, site_id)

    async def page(self, request: Request) -> HTMLResponse:
        return self._render(request, None)

    def _render(self, request: Request, site_id: str | None) -> HTMLResponse:
        token = request.cookies.get(CHAT_COOKIE)
        fresh = self.chat.token_id(token) is None
        if fresh:
            token = self.chat.issue_token()
        response = self.templates.TemplateResponse(request, "chat_demo.html", {"site_id": site_id})
        if fresh and token:
            response.set_cookie(
                CHAT_COOKIE,
                token,
                max_age=COOKIE_MAX_AGE_S,
                httponly=True,
                samesite="lax",
                secure=self.settings.secure_cookies,
            )
        return response
