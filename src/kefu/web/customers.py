"""The supervisors' customer pages: ``/customers`` searches the customers of the caller's
sites by name, phone, e-mail or id, and ``/customers/{id}`` shows one customer with its
whole cross-channel history (every channel's contacts, newest first, each conversation's
messages), its profile (custom fields, notes, consent), products (numbers masked) and the
likely reason of its next contact. Server-rendered; ``customers.js`` only switches the
language and shows times in the browser's time zone.

Supervisors and admins open them (an agent gets 403, not logged in goes to the login); a
customer outside the caller's sites is 404, as in the API
(:mod:`kefu.service.channels.customer_access`). Opening a customer is written to the audit log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kefu.adapters.sockets.hub import client_address
from kefu.config import Settings
from kefu.domain.errors import NotFound, ValidationError
from kefu.service import RoutingEngine, routing
from kefu.service.cases import LikelyReason, NeedPredictor
from kefu.service.channels import (
    ChannelService,
    ChannelState,
    CustomerHistory,
    customer_history,
    customer_read,
    forgotten_contact_ids,
    search_customers,
)
from kefu.service.desktop import default_vocabulary
from kefu.service.security import Principal, Role, Security, csrf_token
from kefu.web._http import user_of
from kefu.web.i18n import page_templates, refusal

__all__ = ["CustomerPages"]

HERE = Path(__file__).resolve().parent
CustomerShown = tuple[CustomerHistory, LikelyReason | None]
"""A customer's page: its history and the likely reason of its next contact (when one
signal names a reason)."""
MAX_QUERY = 100


class CustomerPages:
    """``/customers`` and ``/customers/{customer_id}`` over one channel service."""

    def __init__(self, channels: ChannelService, settings: Settings, security: Security) -> None:
        self.channels = channels
        self.settings = settings
        self.security = security
        self.templates = page_templates()
        self.router = APIRouter(include_in_schema=False)
        self.router.add_api_route("/customers", self.search, methods=["GET"])
        self.router.add_api_route("/customers/{customer_id}", self.customer, methods=["GET"])

    async def _user(self, request: Request, here: str) -> Principal | Response:
        user = await user_of(request, self.security)
        if user is None:
            return RedirectResponse(f"/login?next={here}", status_code=303)
        if user.role is Role.AGENT:
            return refusal(request, "page.customers_supervisors_only")
        return user

    def _page(
        self, request: Request, user: Principal, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        values = {
            "user": user,
            "csrf_token": csrf_token(self.settings.secret_key, user),
            "query": "",
            "results": None,
            "customer": None,
            "notice": "",
            "tier_key": None,
            "likely": None,
            **context,
        }
        return self.templates.TemplateResponse(
            request, "customers.html", values, status_code=status_code
        )

    async def search(self, request: Request, q: str = "") -> Response:
        user = await self._user(request, "/customers")
        if not isinstance(user, Principal):
            return user
        query = q.strip()
        if len(query) > MAX_QUERY:
            return self._page(request, user, 422, query=query[:MAX_QUERY], notice="too_long")
        if not query:
            return self._page(request, user)
        found = await self.channels.read(lambda e, s: search_customers(e, s, user, query))
        return self._page(request, user, query=query, results=found)

    async def customer(self, request: Request, customer_id: str) -> Response:
        user = await self._user(request, "/customers")
        if not isinstance(user, Principal):
            return user
        need: NeedPredictor | None = getattr(request.app.state, "need", None)

        def forgotten(engine: RoutingEngine, state: ChannelState) -> list[str]:
            return forgotten_contact_ids(engine, state, customer_id)

        def look(engine: RoutingEngine, state: ChannelState) -> CustomerShown:
            shown = customer_history(engine, state, user, customer_id, archived)
            found = (
                None if need is None else need.view(engine.router, shown.customer_id, engine.now())
            )
            return shown, found if found is not None and found.reason else None

        try:
            # Contacts the router has forgotten come from the store, read outside the lock.
            ids = await self.channels.read(forgotten)
            archived = await routing.archived_contacts(self.channels.engine, ids)
            shown, likely = await self.channels.read(look)
        except (NotFound, ValidationError):
            return self._page(request, user, 404, notice="not_found")
        read = customer_read(
            user,
            shown.customer_id,
            at=self.channels.engine.now(),
            client=client_address(request),
            page="/customers",
        )
        await self.channels.engine.store([read])
        return self._page(
            request, user, customer=shown, tier_key=tier_key(shown.value_tier), likely=likely
        )


def tier_key(value_tier: int | None) -> str | None:
    """The catalog key of a value tier's shipped label (``vocab.tier.1``: 银卡 / Silver), or
    None for a tier past the labelled ones (the page shows its number)."""
    codes = {phrase.code: phrase.key for phrase in default_vocabulary().tiers}
    return None if value_tier is None else codes.get(str(value_tier))
