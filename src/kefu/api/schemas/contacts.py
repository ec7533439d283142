"""Contact schemas: creation, actions on offers and conversations, the public view."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from kefu.api.schemas.common import Body, Identifier

__all__ = [
    "AssignRequest",
    "CallbackRequest",
    "CompleteRequest",
    "ContactCreate",
    "ContactPublic",
    "HandoverRequest",
    "OfferAction",
    "TransferRequest",
]

Text = Annotated[str, Field(max_length=2000)]


class ContactCreate(Body):
    queue_id: Identifier
    value_tier: Annotated[int, Field(ge=0, le=9, description="0 standard, higher first")] = 0
    priority: Annotated[int, Field(ge=-100, le=100)] = 0
    customer_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    attributes: Annotated[
        dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=2000)]],
        Field(max_length=50, examples=[{"name": "王芳", "topic": "账单"}]),
    ] = Field(default_factory=dict)


class OfferAction(Body):
    offer_id: Annotated[str, Field(min_length=3, max_length=80)]
    agent_id: Identifier | None = None


class AssignRequest(Body):
    agent_id: Identifier


class TransferRequest(Body):
    to_queue_id: Identifier | None = None
    to_agent_id: Identifier | None = None
    note: Text = ""

    @model_validator(mode="after")
    def _one_target(self) -> TransferRequest:
        if (self.to_queue_id is None) == (self.to_agent_id is None):
            raise ValueError("give exactly one of to_queue_id or to_agent_id")
        return self


class HandoverRequest(Body):
    """To a queue of another routing domain (a region)."""

    to_domain: Identifier
    to_queue_id: Identifier
    note: Text = ""


class CompleteRequest(Body):
    disposition: Annotated[str, Field(max_length=64)] | None = None


class CallbackRequest(Body):
    number: Annotated[str, Field(max_length=32)] | None = None


class ContactPublic(BaseModel):
    contact_id: str
    site_id: str | None
    queue_id: str
    channel: str
    state: str
    value_tier: int = Field(description="the customer's value tier")
    rank: int = Field(
        0, description="the class the router serves first (the tier's effect: the tier or 0)"
    )
    priority: int = Field(description="with the queue's priority and any tier boost")
    customer_id: str | None
    attributes: dict[str, str]
    agent_id: str | None
    offer_id: str | None
    step: int
    callback: bool
    on_hold: bool
    first_queued_at: float
    answered_at: float | None
    estimated_wait_s: float | None
    notes: list[str]
    path: list[str]
    position: int | None = Field(None, description="place in line when created (1 = first)")
