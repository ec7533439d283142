"""The console's webhook secrets (``/admin/webhooks``, admins only): create one (its
secret shown once, on the page answering the creation), list them without their secrets,
revoke one (:class:`~kefu.service.channels.CreateWebhookSecret`,
:class:`~kefu.service.channels.RevokeWebhookSecret`). Rotation: create, hand the new secret
to the provider, revoke the old."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kefu.domain.errors import KefuError
from kefu.service import RoutingEngine
from kefu.service.channels import CreateWebhookSecret, RevokeWebhookSecret, WebhookKeyBook
from kefu.service.security import Principal
from kefu.web.admin._common import (
    AdminContext,
    FormState,
    back,
    form_text,
    lang_params,
)

__all__ = ["WebhookPage"]


class WebhookPage:
    """``/admin/webhooks`` over the webhook key book."""

    def __init__(self, context: AdminContext) -> None:
        self.context = context
        self.book: WebhookKeyBook | None = None
        """Set by the wiring (the book is a part of the engine's transaction)."""
        self.router = APIRouter(include_in_schema=False)
        add = self.router.add_api_route
        add("/admin/webhooks", self.view, methods=["GET"])
        add("/admin/webhooks", self.create, methods=["POST"])
        add("/admin/webhooks/{key_id}/revoke", self.revoke, methods=["POST"])

    async def view(self, request: Request, notice: str = "") -> Response:
        user = await self.context.viewer(request, "webhooks")
        if not isinstance(user, Principal):
            return user
        return await self._page(request, user, FormState(notice=notice[:32]))

    async def _page(
        self,
        request: Request,
        user: Principal,
        state: FormState,
        *,
        created: dict[str, Any] | None = None,
    ) -> Response:
        book = self.book

        def read(_e: RoutingEngine) -> list[dict[str, Any]]:
            return book.listed() if book is not None else []

        keys = await self.context.engine.query(read)
        shown = {"keys": keys, "created": created}
        return self.context.render_form(
            request, "admin/webhooks.html", user, "webhooks", state, {}, shown
        )

    async def create(self, request: Request) -> Response:
        posted = await self.context.writer(request, "webhooks")
        if not isinstance(posted, tuple):
            return posted
        user, form = posted
        try:
            made = await self.context.execute(
                request, user, CreateWebhookSecret(form_text(form, "name", 200))
            )
        except KefuError as exc:
            return await self._page(request, user, FormState.refused(request, exc, "name"))
        # The one time the secret is shown: this answer, never stored in a page or a URL.
        return await self._page(request, user, FormState(notice="created"), created=made)

    async def revoke(self, request: Request, key_id: str) -> Response:
        posted = await self.context.writer(request, "webhooks")
        if not isinstance(posted, tuple):
            return posted
        user, _form = posted
        try:
            await self.context.execute(request, user, RevokeWebhookSecret(key_id[:64]))
        except KefuError as exc:
            return await self._page(request, user, FormState.refused(request, exc))
        return back("/admin/webhooks", "revoked", **lang_params(request))
