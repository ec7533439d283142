"""The customer record beyond identities: custom fields (``/customer-fields``, defined by
admins, read by everyone), the profile (``PATCH /customers/{id}``: name, language, notes,
custom fields), the consent to SMS and e-mail (``PUT /customers/{id}/consent``), products
(``POST /customers/{id}/products``, numbers shown masked) and product events (a failed
payment, a blocked card, a bill: ``POST /customers/{id}/product-events``), and the likely
reason of the customer's next contact (``GET /customers/{id}/likely-reason``).

Agents and supervisors change the customers they see (their sites' customers; an agent
those of the contacts it holds), anyone else's is 404 as everywhere
(:mod:`kefu.service.channels.customer_access`); a field an agent may not edit is 403
naming the field, a value that does not fit its field 422 naming the field. Every change
is a command: in the customer's log and in the audit log.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from kefu.api.routes._common import ERRORS
from kefu.api.security import Reader, RequireAdmin
from kefu.domain.customers import PRODUCT_EVENTS, FieldDef, FieldKind, Product
from kefu.domain.errors import ValidationError
from kefu.service import RoutingEngine
from kefu.service.cases import NeedPredictor
from kefu.service.channels import (
    ChannelService,
    ChannelState,
    DefineCustomerField,
    RecordProductEvent,
    RecordProducts,
    SetContactConsent,
    UpdateCustomer,
    check_customer,
    read_customer_panel,
)
from kefu.service.security import Principal, Role, Scope, require_scope

__all__ = ["router"]

router = APIRouter(tags=["customers"])


async def _channels(request: Request) -> ChannelService:
    channels: ChannelService = request.app.state.channels
    return channels


Channels = Annotated[ChannelService, Depends(_channels)]


class FieldBody(BaseModel):
    label_en: str = Field(min_length=1, max_length=100)
    label_zh: str = Field(min_length=1, max_length=100)
    kind: Literal["text", "number", "date", "choice"]
    choices: list[str] = Field(default_factory=list, max_length=100)
    editable_by: list[Role] = Field(
        default_factory=lambda: [Role.AGENT, Role.SUPERVISOR, Role.ADMIN]
    )


class ProfileBody(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    language: Literal["", "zh", "en"] | None = None
    notes: str | None = Field(default=None, max_length=4000)
    fields: dict[str, str | None] = Field(
        default_factory=dict, description="custom field → value (null or empty clears it)"
    )


class ConsentBody(BaseModel):
    channel: Literal["sms", "email"]
    allowed: bool
    reason: str = Field(default="", max_length=200)


class ProductBody(BaseModel):
    number: str = Field(min_length=4, max_length=40)
    kind: str = Field(min_length=1, max_length=20, description="card, loan, mortgage, deposit")
    opened: str = Field(default="", max_length=10, description="YYYY-MM-DD")
    status: str = Field(default="active", max_length=20)
    balance: float | None = Field(default=None, description="in yuan")


class ProductsBody(BaseModel):
    products: list[ProductBody] = Field(min_length=1, max_length=1000)


class ProductEventBody(BaseModel):
    number: str = Field(min_length=4, max_length=40)
    kind: str = Field(description=", ".join(PRODUCT_EVENTS))
    detail: str = Field(default="", max_length=200)


def _field_json(d: FieldDef) -> dict[str, Any]:
    return {
        "name": d.name,
        "label_en": d.label_en,
        "label_zh": d.label_zh,
        "kind": d.kind.value,
        "choices": list(d.choices),
        "editable_by": list(d.editable_by),
    }


@router.get("/customer-fields", responses=ERRORS)
async def list_fields(user: Reader, channels: Channels) -> dict[str, Any]:
    """The custom fields of the customer record. 客户自定义字段。"""
    del user
    fields = await channels.read(lambda _e, s: dict(s.directory.profiles.fields))
    return {"fields": [_field_json(d) for _, d in sorted(fields.items())]}


@router.put("/customer-fields/{name}", responses=ERRORS)
async def define_field(
    name: str, body: FieldBody, user: RequireAdmin, channels: Channels
) -> dict[str, Any]:
    """Define or change a custom field (admins). 定义客户自定义字段（管理员）。"""
    definition = FieldDef(
        name,
        body.label_en.strip(),
        body.label_zh.strip(),
        FieldKind(body.kind),
        tuple(c.strip() for c in body.choices if c.strip()),
        tuple(dict.fromkeys(r.value for r in body.editable_by)),
    )
    changed = await channels.engine.execute(
        DefineCustomerField(definition, user.username), actor=user
    )
    return {**_field_json(definition), "changed": bool(changed)}


async def _customer(channels: ChannelService, user: Principal, customer_id: str) -> str:
    require_scope(user, Scope.CONTACTS_WRITE)
    return await channels.read(lambda e, s: check_customer(e, s, user, customer_id))


def _allowed(channels: ChannelService, user: Principal, live: str) -> Any:
    def check(engine: RoutingEngine) -> None:
        check_customer(engine, channels.state, user, live)

    return check


@router.patch("/customers/{customer_id}", responses=ERRORS)
async def update_customer(
    customer_id: str, body: ProfileBody, user: Reader, channels: Channels
) -> dict[str, Any]:
    """Edit the profile: name, language, notes, custom fields. 编辑客户资料。"""
    live = await _customer(channels, user, customer_id)
    command = UpdateCustomer(
        live,
        user.username,
        user.role.value,
        name=body.name,
        language=body.language,
        notes=body.notes,
        fields=tuple((k, v or "") for k, v in sorted(body.fields.items())),
    )
    changed = await channels.engine.execute(
        command, actor=user, authorize=_allowed(channels, user, live)
    )
    panel = await channels.read(lambda e, s: read_customer_panel(s, e.router, live))
    return {"changed": bool(changed), "customer": panel.to_json()}


@router.put("/customers/{customer_id}/consent", responses=ERRORS)
async def set_consent(
    customer_id: str, body: ConsentBody, user: Reader, channels: Channels
) -> dict[str, Any]:
    """May we contact the customer by SMS, by e-mail. 设置短信、邮件联系许可。"""
    live = await _customer(channels, user, customer_id)
    command = SetContactConsent(live, body.channel, body.allowed, user.username, body.reason)
    changed = await channels.engine.execute(
        command, actor=user, authorize=_allowed(channels, user, live)
    )
    return {"customer_id": live, "channel": body.channel, "allowed": body.allowed,
            "changed": bool(changed)}  # fmt: skip


@router.post("/customers/{customer_id}/products", responses=ERRORS)
async def add_products(
    customer_id: str, body: ProductsBody, user: Reader, channels: Channels
) -> dict[str, Any]:
    """Record the customer's products (new or changed; all or none). 录入客户产品。"""
    live = await _customer(channels, user, customer_id)
    products = []
    for n, p in enumerate(body.products):
        try:
            products.append(Product.checked(live, p.number, p.kind, p.opened, p.status, p.balance))
        except ValidationError as exc:
            exc.details["index"] = n
            raise
    changed = await channels.engine.execute(
        RecordProducts(tuple(products), user.username),
        actor=user,
        authorize=_allowed(channels, user, live),
    )
    panel = await channels.read(lambda e, s: read_customer_panel(s, e.router, live))
    shown = () if panel.profile is None else panel.profile.products
    return {"changed": changed, "products": [p.to_json() for p in shown]}


@router.post("/customers/{customer_id}/product-events", responses=ERRORS)
async def product_event(
    customer_id: str, body: ProductEventBody, user: Reader, channels: Channels
) -> dict[str, Any]:
    """Something happened to one of the customer's products. 记录产品事件。"""
    live = await _customer(channels, user, customer_id)
    await channels.engine.execute(
        RecordProductEvent(live, body.number, body.kind, user.username, body.detail),
        actor=user,
        authorize=_allowed(channels, user, live),
    )
    return {"customer_id": live, "kind": body.kind}


@router.get("/customers/{customer_id}/likely-reason", responses=ERRORS)
async def likely_reason(
    customer_id: str, user: Reader, channels: Channels, request: Request
) -> dict[str, Any]:
    """The likely reason of the customer's next contact, with the signals behind it and
    the backtest that chose the model. 预测客户来电原因。"""
    need: NeedPredictor | None = getattr(request.app.state, "need", None)

    def look(engine: RoutingEngine, state: ChannelState) -> dict[str, Any]:
        live = check_customer(engine, state, user, customer_id)
        if need is None:
            return {"customer_id": live, "reason": None}
        return {"customer_id": live, **need.view(engine.router, live, engine.now()).to_json()}

    return await channels.read(look)
