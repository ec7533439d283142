"""The channel settings the admin pages set, through the API: the chat widgets
(``/api/v1/chat-widget`` for the default one, ``/api/v1/sites/{site_id}/chat-widget`` for a
site's), the e-mail routes (``/api/v1/email-routes``: mailbox → e-mail queue) and the
webhook secrets (``/api/v1/webhook-secrets``: created with the secret shown once, revoked).

The same commands as ``/admin/widget``, ``/admin/addresses`` and ``/admin/webhooks``, so the
same checks and the same audit entries (who, when, before and after). Admins change them;
supervisors read the widgets of their sites and the routes; webhook secrets are the admins'
alone; agents are refused (403). Bad input answers 422 naming the field, an unknown site,
route or secret 404, a route created twice 409; nothing is stored then."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response, status

from kefu.api.routes._common import ERRORS
from kefu.api.schemas.channel_settings import (
    ChatWidgetPublic,
    ChatWidgetUpdate,
    EmailRouteCreate,
    EmailRoutePublic,
    EmailRouteUpdate,
    WebhookSecretCreate,
    WebhookSecretCreated,
    WebhookSecretPublic,
)
from kefu.api.security import Reader, RequireAdmin, client_address
from kefu.domain.errors import NotFound
from kefu.service import RoutingEngine
from kefu.service.channels import (
    AddressBook,
    CreateWebhookSecret,
    RevokeWebhookSecret,
    SetAddressRoute,
    SetChatWidget,
    WebhookKeyBook,
    WidgetBook,
)
from kefu.service.security import Principal, Role, require_role

__all__ = ["router"]

router = APIRouter(tags=["channel settings"])

SiteId = Annotated[str, Path(min_length=1, max_length=64)]
Address = Annotated[str, Path(min_length=1, max_length=254)]
KeyId = Annotated[str, Path(min_length=1, max_length=64)]


def _part(request: Request, name: str) -> Any:
    found = getattr(request.app.state, name, None)
    if found is None:
        raise NotFound(
            f"{name} are not set up on this server", text_key="error.not_set_up", part=name
        )
    return found


async def _widgets(request: Request) -> WidgetBook:
    book: WidgetBook = _part(request, "widgets")
    return book


async def _routes(request: Request) -> AddressBook:
    book: AddressBook = _part(request, "addresses")
    return book


async def _keys(request: Request) -> WebhookKeyBook:
    book: WebhookKeyBook = _part(request, "webhook_keys")
    return book


async def _lead(user: Reader) -> Principal:
    require_role(user, Role.ADMIN, Role.SUPERVISOR)
    return user


Lead = Annotated[Principal, Depends(_lead)]
Widgets = Annotated[WidgetBook, Depends(_widgets)]
Routes = Annotated[AddressBook, Depends(_routes)]
Keys = Annotated[WebhookKeyBook, Depends(_keys)]


def _engine(request: Request) -> RoutingEngine:
    engine: RoutingEngine = request.app.state.engine
    return engine


async def _widget(
    request: Request, book: WidgetBook, user: Principal, site_id: str | None
) -> ChatWidgetPublic:
    def read(engine: RoutingEngine) -> ChatWidgetPublic:
        if site_id is not None and (
            site_id not in engine.sites or not user.visibility.site(site_id)
        ):
            raise NotFound(
                f"unknown site {site_id!r}", text_key="error.widget_site", site_id=site_id
            )
        data = book.of(site_id).to_json()
        return ChatWidgetPublic.model_validate(
            {**data, "site_id": site_id, "own": site_id in book.widgets}
        )

    return await _engine(request).query(read)


async def _set_widget(
    request: Request,
    book: WidgetBook,
    admin: Principal,
    site_id: str | None,
    body: ChatWidgetUpdate,
) -> ChatWidgetPublic:
    topics = tuple((t.target, t.label_en, t.label_zh) for t in body.topics)
    command = SetChatWidget(
        body.greeting_en, body.greeting_zh, body.colour, topics, body.offline_form, site_id
    )
    await _engine(request).execute(command, actor=admin, client=client_address(request))
    return await _widget(request, book, admin, site_id)


@router.get("/chat-widget", responses=ERRORS)
async def get_default_widget(user: Lead, book: Widgets, request: Request) -> ChatWidgetPublic:
    """The default chat widget (sites without their own). 默认聊天窗口设置。"""
    return await _widget(request, book, user, None)


@router.put("/chat-widget", responses=ERRORS)
async def set_default_widget(
    body: ChatWidgetUpdate, admin: RequireAdmin, book: Widgets, request: Request
) -> ChatWidgetPublic:
    """Replace the default widget's settings; admins only. 修改默认聊天窗口。"""
    return await _set_widget(request, book, admin, None, body)


@router.get("/sites/{site_id}/chat-widget", responses=ERRORS)
async def get_site_widget(
    site_id: SiteId, user: Lead, book: Widgets, request: Request
) -> ChatWidgetPublic:
    """A site's chat widget (the default one's settings while it has none: ``own``
    false). 站点聊天窗口设置。"""
    return await _widget(request, book, user, site_id)


@router.put("/sites/{site_id}/chat-widget", responses=ERRORS)
async def set_site_widget(
    site_id: SiteId, body: ChatWidgetUpdate, admin: RequireAdmin, book: Widgets, request: Request
) -> ChatWidgetPublic:
    """Replace a site's widget settings; admins only. 修改站点聊天窗口。"""
    return await _set_widget(request, book, admin, site_id, body)


@router.get("/email-routes", responses=ERRORS)
async def list_routes(
    user: Lead, book: Routes, request: Request
) -> dict[str, list[EmailRoutePublic]]:
    """Every mailbox → e-mail queue route, by address. 邮件地址路由列表。"""
    del user

    def read(_engine: RoutingEngine) -> list[EmailRoutePublic]:
        return [EmailRoutePublic(address=a, queue_id=q) for a, q in sorted(book.routes.items())]

    return {"routes": await _engine(request).query(read)}


async def _set_route(
    request: Request, admin: Principal, address: str, queue_id: str | None, exists: bool
) -> dict[str, Any]:
    command = SetAddressRoute(address, queue_id, exists)
    done: dict[str, Any] = await _engine(request).execute(
        command, actor=admin, client=client_address(request)
    )
    return done


@router.post("/email-routes", status_code=status.HTTP_201_CREATED, responses=ERRORS)
async def create_route(
    body: EmailRouteCreate, admin: RequireAdmin, book: Routes, request: Request, response: Response
) -> EmailRoutePublic:
    """Route a mailbox's mail to an e-mail queue; admins only. 新建邮件地址路由。"""
    del book
    done = await _set_route(request, admin, body.address, body.queue_id, False)
    response.headers["Location"] = f"/api/v1/email-routes/{done['address']}"
    return EmailRoutePublic.model_validate(done)


@router.put("/email-routes/{address}", responses=ERRORS)
async def update_route(
    address: Address, body: EmailRouteUpdate, admin: RequireAdmin, book: Routes, request: Request
) -> EmailRoutePublic:
    """Send a routed mailbox's mail to another e-mail queue; admins only. 修改邮件路由。"""
    del book
    done = await _set_route(request, admin, address, body.queue_id, True)
    return EmailRoutePublic.model_validate(done)


@router.delete("/email-routes/{address}", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS)
async def delete_route(
    address: Address, admin: RequireAdmin, book: Routes, request: Request
) -> Response:
    """Remove a route (the mailbox's mail goes to the default queue again); admins only.
    删除邮件路由。"""
    del book
    await _set_route(request, admin, address, None, True)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/webhook-secrets", responses=ERRORS)
async def list_secrets(
    admin: RequireAdmin, book: Keys, request: Request
) -> dict[str, list[WebhookSecretPublic]]:
    """Every webhook secret's record, oldest first (never a secret); admins only.
    Webhook 密钥列表。"""
    del admin
    listed = await _engine(request).query(lambda _e: book.listed())
    return {"secrets": [WebhookSecretPublic.model_validate(k) for k in listed]}


@router.post("/webhook-secrets", status_code=status.HTTP_201_CREATED, responses=ERRORS)
async def create_secret(
    body: WebhookSecretCreate, admin: RequireAdmin, book: Keys, request: Request
) -> WebhookSecretCreated:
    """A new webhook secret, shown in this answer only; admins only. 新建 Webhook 密钥
    （仅显示一次）。"""
    del book
    made = await _engine(request).execute(
        CreateWebhookSecret(body.name), actor=admin, client=client_address(request)
    )
    return WebhookSecretCreated.model_validate(made)


@router.delete("/webhook-secrets/{key_id}", responses=ERRORS)
async def revoke_secret(
    key_id: KeyId, admin: RequireAdmin, book: Keys, request: Request
) -> WebhookSecretPublic:
    """Revoke a secret (requests signed with it are refused from now on); admins only.
    吊销 Webhook 密钥。"""
    del book
    done = await _engine(request).execute(
        RevokeWebhookSecret(key_id), actor=admin, client=client_address(request)
    )
    return WebhookSecretPublic.model_validate(done)
