"""Schemas of the channel settings an admin sets through the API: a chat widget (the
default one or a site's), e-mail routes (mailbox → e-mail queue) and webhook secrets. The
shape is checked here; the meaning (a chat queue of the site, a published flow, an e-mail
queue, a mailbox address) by the same handlers as the admin pages, which answer 422 naming
the field."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from kefu.api.schemas.common import Body, Identifier

__all__ = [
    "ChatWidgetPublic",
    "ChatWidgetUpdate",
    "EmailRouteCreate",
    "EmailRoutePublic",
    "EmailRouteUpdate",
    "WebhookSecretCreate",
    "WebhookSecretCreated",
    "WebhookSecretPublic",
    "WidgetTopicBody",
]

Greeting = Annotated[str, Field(max_length=2000, description="at most 500 characters once trimmed")]
Label = Annotated[str, Field(min_length=1, max_length=200, description="1–64 characters")]


class WidgetTopicBody(Body):
    """A pre-chat topic: a chat queue id or ``flow:<id>``, and its label in both languages."""

    target: Annotated[str, Field(min_length=1, max_length=200, examples=["cards", "flow:bank"])]
    label_en: Label
    label_zh: Label


class ChatWidgetUpdate(Body):
    """The whole settings of a widget (what it had before is replaced)."""

    greeting_en: Greeting = ""
    greeting_zh: Greeting = ""
    colour: Annotated[str, Field(max_length=16, examples=["#1f6feb"])] = "#1f6feb"
    topics: Annotated[list[WidgetTopicBody], Field(max_length=100)] = Field(default_factory=list)
    offline_form: bool = True


class WidgetTopicPublic(BaseModel):
    target: str
    labels: dict[str, str]


class ChatWidgetPublic(BaseModel):
    """A widget's settings; ``site_id`` null: the default widget. ``own``: false when the
    site has none of its own and shows the default widget's."""

    site_id: str | None
    own: bool
    greeting: dict[str, str]
    colour: str
    topics: list[WidgetTopicPublic]
    offline_form: bool


class EmailRouteUpdate(Body):
    """The e-mail queue the mailbox's mail goes to."""

    queue_id: Identifier


class EmailRouteCreate(EmailRouteUpdate):
    """A new route: the mailbox (any case) and its e-mail queue."""

    address: Annotated[str, Field(min_length=3, max_length=254, examples=["help@shop.cn"])]


class EmailRoutePublic(BaseModel):
    """A route: the mailbox (lower case) and its queue."""

    address: str
    queue_id: str


class WebhookSecretCreate(Body):
    """A new webhook secret, named for people (which provider)."""

    name: Annotated[str, Field(min_length=1, max_length=64, examples=["短信 SMS provider"])]


class WebhookSecretPublic(BaseModel):
    """A webhook secret's record (never the secret); ``revoked_at`` null: active.
    Instants in seconds since the epoch."""

    key_id: str
    name: str
    created_at: float
    revoked_at: float | None


class WebhookSecretCreated(WebhookSecretPublic):
    """The new secret's record and the secret itself, shown this once (64 hex digits)."""

    secret: str
