"""The visual IVR (``/ivr/<flow>``): a flow as a mobile-friendly page, for customers who
cannot stand long menus (seed 001): every menu and option at once, the verification as one
form, self-service answers in the page, and the hand-off to the chat widget.

The page is a view of the flow's graph (:func:`flow_outline`, server-rendered) driven by
the same conversation the chat runs: its script talks the chat socket's protocol
(:mod:`kefu.adapters.channels.webchat.gateway`) with the flow as the pre-chat topic, and
answers each question the flow asks with what the customer clicked or typed in the page.
When an agent takes over, the chat widget opens on the same conversation (the same
browser cookie).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kefu.adapters.channels.webchat.gateway import CHAT_COOKIE, ChatHub
from kefu.domain.ivr.errors import FlowNotPublished, UnknownFlowVersion
from kefu.service.ivr import flow_outline
from kefu.web.i18n import page_templates, refusal

__all__ = ["IvrPages", "flow_outline"]


class IvrPages:
    """``GET /ivr/{flow_id}``: the published version of a flow, as a page."""

    def __init__(self, chat: ChatHub) -> None:
        self.chat = chat
        self.templates = page_templates()
        self.router = APIRouter(include_in_schema=False)
        self.router.add_api_route("/ivr/{flow_id}", self.page, methods=["GET"])

    async def page(self, request: Request, flow_id: str) -> HTMLResponse:
        ivr = self.chat.ivr
        try:
            if ivr is None:
                raise FlowNotPublished("no IVR", flow_id=flow_id)
            flow = ivr.catalog.published(flow_id)
        except (FlowNotPublished, UnknownFlowVersion):
            return refusal(request, "ivr.no_flow", status_code=404)
        outline = flow_outline(flow)
        token = request.cookies.get(CHAT_COOKIE)
        fresh = self.chat.token_id(token) is None
        response = self.templates.TemplateResponse(
            request, "ivr.html", {"outline": outline, "flow_id": flow.flow_id}
        )
        if fresh:
            response.set_cookie(
                CHAT_COOKIE,
                self.chat.issue_token(),
                max_age=180 * 86400,
                httponly=True,
                samesite="lax",
                secure=self.chat.settings.secure_cookies,
            )
        return response
