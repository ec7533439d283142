"""The console's e-mail routes (``/admin/addresses``): which mailbox's mail goes to which
e-mail queue, through :class:`~kefu.service.channels.SetAddressRoute` (an empty queue
removes the route). Supervisors read the page; the next message uses a change."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from kefu.domain.model import Channel
from kefu.service import RoutingEngine
from kefu.service.channels import AddressBook, SetAddressRoute
from kefu.service.security import Principal
from kefu.web.admin._common import AdminContext, FormState, field_of, form_text

__all__ = ["AddressPage"]

ROUTE_FIELDS = ("address", "queue_id")


class AddressPage:
    """``/admin/addresses`` over the address book."""

    def __init__(self, context: AdminContext) -> None:
        self.context = context
        self.book: AddressBook | None = None
        """Set by the wiring (the book is a part of the engine's transaction)."""
        self.router = APIRouter(include_in_schema=False)
        self.router.add_api_route("/admin/addresses", self.view, methods=["GET"])
        self.router.add_api_route("/admin/addresses", self.save, methods=["POST"])

    async def view(self, request: Request, edit: str = "", notice: str = "") -> Response:
        return await self.context.page(request, "addresses", self._page, edit, notice)

    async def _page(self, request: Request, user: Principal, state: FormState) -> Response:
        book = self.book

        def read(e: RoutingEngine) -> tuple[list[tuple[str, str]], list[str]]:
            routes = sorted(book.routes.items()) if book is not None else []
            queues = sorted(
                q for q, r in e.router.queues.items() if r.spec.channel is Channel.EMAIL
            )
            return routes, queues

        routes, queues = await self.context.engine.query(read)
        values = state.values
        if values is None:
            values = {"address": state.edit, "queue_id": dict(routes).get(state.edit, "")}
        shown = {"routes": routes, "queues": queues}
        return self.context.render_form(
            request, "admin/addresses.html", user, "addresses", state, values, shown
        )

    async def save(self, request: Request) -> Response:
        return await self.context.save(
            request,
            "addresses",
            self._page,
            read=_read,
            command=_command,
            locate=lambda exc: field_of(exc, ROUTE_FIELDS),
        )


def _read(form: FormData) -> dict[str, Any]:
    return {"address": form_text(form, "address", 300), "queue_id": form_text(form, "queue_id", 64)}


def _command(form: FormData, values: dict[str, Any]) -> SetAddressRoute:
    del form
    return SetAddressRoute(values["address"], values["queue_id"] or None)
