"""Case schemas: opening, updating, moving along the states, notes and the public view."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator

from kefu.api.schemas.common import Body, Identifier

__all__ = [
    "CaseCreate",
    "CaseNoteCreate",
    "CasePublic",
    "CaseSummary",
    "CaseTaskCreate",
    "CaseTransition",
    "CaseUpdate",
    "SurveyConsent",
]

Text = Annotated[str, Field(min_length=1, max_length=2000)]
Reason = Annotated[str, Field(max_length=500)]
FieldValues = Annotated[
    dict[Annotated[str, Field(max_length=50)], str | int | float | bool],
    Field(max_length=50, examples=[{"amount": 3000000, "branch": "浦东支行"}]),
]
CaseState = Literal[
    "new", "open", "waiting_on_customer", "waiting_on_department", "resolved", "closed",
    "reopened",
]  # fmt: skip


class Owner(BaseModel):
    kind: Literal["agent", "team"]
    id: Identifier


class CaseCreate(Body):
    """A case at ``site_id`` for ``customer_id``, or from the contact ``contact_id`` (its
    site, customer and value tier are taken from it)."""

    case_type: Identifier = Field(examples=["complaint"])
    title: Annotated[str, Field(min_length=1, max_length=200, examples=["信用卡年费多扣"])]
    site_id: Identifier | None = None
    customer_id: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    contact_id: Identifier | None = None
    value_tier: Annotated[int, Field(ge=0, le=9)] | None = None
    priority: Annotated[int, Field(ge=-100, le=100)] = 0
    fields: FieldValues = Field(default_factory=dict)
    owner: Owner | None = None

    @model_validator(mode="after")
    def _somewhere(self) -> CaseCreate:
        if self.site_id is None and self.contact_id is None:
            raise ValueError("give site_id or contact_id")
        return self


class CaseUpdate(Body):
    """New field values, type, value tier or priority; an owner; a department involved."""

    fields: FieldValues = Field(default_factory=dict)
    case_type: Identifier | None = None
    value_tier: Annotated[int, Field(ge=0, le=9)] | None = None
    priority: Annotated[int, Field(ge=-100, le=100)] | None = None
    owner: Owner | None = None
    department: Identifier | None = None
    reason: Reason = ""


class CaseTransition(Body):
    to: CaseState
    reason: Reason = ""
    department: Identifier | None = None
    root_cause: Annotated[str, Field(max_length=500)] | None = None
    resolution: Annotated[str, Field(max_length=2000)] | None = None


class CaseNoteCreate(Body):
    text: Text
    internal: bool = Field(default=True, description="false: an answer to the customer")
    channel: Identifier = "note"


class CaseTaskCreate(Body):
    queue_id: Identifier = Field(description="a back-office queue of channel workitem")
    task: Annotated[str, Field(min_length=1, max_length=200)]


class CaseSummary(BaseModel):
    case_id: str
    case_type: str
    title: str
    state: str
    customer_id: str | None
    site_id: str
    value_tier: int
    priority: int
    owner_id: str | None
    opened_at: float
    updated_at: float
    due_at: float | None
    breached: bool


class CasePublic(BaseModel):
    case_id: str
    case_type: str
    kind: str | None
    type_label: dict[str, str] | None
    customer_id: str | None
    site_id: str
    title: str
    value_tier: int
    priority: int
    fields: dict[str, Any]
    state: str
    owner: dict[str, Any] | None
    departments: list[str]
    waiting_on: str | None
    links: list[dict[str, Any]]
    notes: list[dict[str, Any]]
    opened_at: float
    updated_at: float
    first_response_at: float | None
    root_cause: str | None
    resolution: str | None
    history: list[dict[str, Any]]
    escalations: list[str]
    sla: list[dict[str, Any]]


class SurveyConsent(Body):
    """Whether the customer accepts follow-up surveys, and why it changed."""

    allowed: bool
    reason: Reason = ""
