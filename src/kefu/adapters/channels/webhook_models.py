"""JSON payloads of the SMS and social-media webhooks (pydantic), inbound and outbound.

Inbound, ``type`` tells which: ``"sms"`` (a text message from a phone) or ``"social"`` (a
public post or a direct message on a platform). Unknown fields are ignored so providers may add
fields; missing or wrong ones give a validation error naming the field. Instants are seconds
since the Unix epoch.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from kefu.domain.customers import Identifier, IdentifierKind, InvalidIdentifier

__all__ = [
    "INBOUND_PAYLOAD",
    "InboundPayload",
    "OutboundSms",
    "OutboundSocialReply",
    "SmsIn",
    "SocialPostIn",
]

_Id = Annotated[str, Field(min_length=1, max_length=200)]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)


class SmsIn(_Payload):
    """An inbound SMS: ``from`` the customer's number, ``to`` the center's number."""

    type: Literal["sms"]
    message_id: _Id
    sender: str = Field(alias="from", min_length=1, max_length=40)
    to: str = Field(default="", max_length=40)
    text: str = Field(max_length=5000)
    sent_at: float | None = None
    provider: str = Field(default="sms", min_length=1, max_length=50)

    @field_validator("sender")
    @classmethod
    def _phone(cls, value: str) -> str:
        try:
            return Identifier(IdentifierKind.PHONE, value).value
        except InvalidIdentifier as exc:
            raise ValueError(exc.message) from exc


class SocialPostIn(_Payload):
    """An inbound social-media post: ``public`` posts (monitored mentions) or direct
    messages; ``post_id`` is the post, ``in_reply_to`` the post it answers (threading)."""

    type: Literal["social"]
    message_id: _Id
    platform: str = Field(min_length=1, max_length=30, pattern=r"^[A-Za-z0-9_.\-]+$")
    author_handle: str = Field(min_length=1, max_length=100)
    author_name: str = Field(default="", max_length=100)
    text: str = Field(max_length=10000)
    post_id: str | None = Field(default=None, max_length=200)
    in_reply_to: str | None = Field(default=None, max_length=200)
    public: bool = True
    url: str | None = Field(default=None, max_length=2000)
    sent_at: float | None = None

    def identifier(self) -> Identifier:
        return Identifier(IdentifierKind.SOCIAL, f"{self.platform}:{self.author_handle}")

    @field_validator("author_handle")
    @classmethod
    def _handle(cls, value: str) -> str:
        if any(c.isspace() for c in value):
            raise ValueError("a handle has no spaces")
        return value


InboundPayload = Annotated[SmsIn | SocialPostIn, Field(discriminator="type")]
INBOUND_PAYLOAD: TypeAdapter[SmsIn | SocialPostIn] = TypeAdapter(InboundPayload)


class OutboundSms(_Payload):
    """An SMS kefu asks the provider to send."""

    type: Literal["sms"] = "sms"
    message_id: _Id
    to: str = Field(min_length=1, max_length=40)
    text: str = Field(min_length=1, max_length=5000)


class OutboundSocialReply(_Payload):
    """A reply kefu posts on a platform, publicly under ``in_reply_to`` or as a direct
    message to ``to_handle``."""

    type: Literal["social"] = "social"
    message_id: _Id
    platform: str = Field(min_length=1, max_length=30)
    text: str = Field(min_length=1, max_length=10000)
    in_reply_to: str | None = None
    to_handle: str | None = None
    public: bool = True
