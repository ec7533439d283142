"""Schemas of the case types and site calendars an admin defines: the shape is checked here,
the meaning (snake_case names, choices, hours that do not overlap, a known time zone) by the
domain, which answers 422 naming the field."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from kefu.api.schemas.common import Body

__all__ = [
    "CaseFieldBody",
    "CaseTypeBody",
    "CaseTypePublic",
    "EscalationBody",
    "HolidayBody",
    "SiteCalendarBody",
    "SiteCalendarPublic",
    "TargetBody",
    "WorkdayBody",
]

Label = Annotated[str, Field(min_length=1, max_length=100)]
Name = Annotated[str, Field(min_length=1, max_length=50, examples=["amount"])]
Hours = Annotated[str, Field(max_length=200, examples=["09:00-12:00,13:00-18:00"])]
Day = Annotated[str, Field(min_length=10, max_length=10, examples=["2026-10-01"])]


class CaseFieldBody(Body):
    """A field of the case type; ``choices`` go with kind ``choice``."""

    name: Name
    kind: Literal["text", "number", "date", "choice", "flag"]
    label_en: Label
    label_zh: Label
    required: bool = False
    choices: Annotated[list[Label], Field(max_length=100)] = Field(default_factory=list)


class TargetBody(Body):
    """SLA targets of a value tier, in business hours of the case's site."""

    tier: Annotated[int, Field(ge=0, le=9)]
    first_response_h: Annotated[float, Field(gt=0, le=8784)]
    resolution_h: Annotated[float, Field(gt=0, le=8784)]


class EscalationBody(Body):
    """At ``fraction`` of a clock's target (below 1: before the deadline; 1: at it; above:
    after it) take ``action``; ``to`` is whom to notify (owner, supervisor) or the team a
    reassignment goes to."""

    clock: Literal["first_response", "resolution"]
    fraction: Annotated[float, Field(gt=0, le=10)]
    action: Literal["notify", "raise_priority", "reassign"]
    to: Annotated[str, Field(max_length=64)] | None = None


class CaseTypeBody(Body):
    """A case type: labels, fields, SLA targets per value tier, escalation steps (left
    out: the default steps) and whether resolving needs a root cause (always for
    complaints)."""

    type_id: Name | None = Field(default=None, examples=["card_dispute"])
    kind: Literal["inquiry", "complaint", "fault", "application"]
    label_en: Label
    label_zh: Label
    fields: Annotated[list[CaseFieldBody], Field(max_length=50)] = Field(default_factory=list)
    targets: Annotated[list[TargetBody], Field(max_length=10)] = Field(default_factory=list)
    escalations: Annotated[list[EscalationBody], Field(max_length=20)] | None = None
    needs_root_cause: bool = False


class CaseTypePublic(BaseModel):
    """A case type as defined; ``builtin``: one of the seeded defaults."""

    type_id: str
    kind: str
    label_en: str
    label_zh: str
    needs_root_cause: bool
    retired: bool
    builtin: bool
    fields: list[CaseFieldBody]
    targets: list[TargetBody]
    escalations: list[EscalationBody]


class HolidayBody(Body):
    date: Day
    name: Annotated[str, Field(max_length=100)] = ""


class WorkdayBody(Body):
    """A make-up working day (e.g. a Saturday worked for a holiday) with its hours."""

    date: Day
    hours: Hours


class SiteCalendarBody(Body):
    """Working hours per weekday (``"09:00-12:00,13:00-18:00"``; left out or ``""``:
    closed), holidays, make-up working days and the IANA time zone."""

    time_zone: Annotated[str, Field(min_length=1, max_length=64, examples=["Asia/Shanghai"])]
    hours: dict[Annotated[str, Field(max_length=3)], Hours] = Field(
        examples=[{"mon": "09:00-18:00", "sat": ""}]
    )
    holidays: Annotated[list[HolidayBody], Field(max_length=400)] = Field(default_factory=list)
    workdays: Annotated[list[WorkdayBody], Field(max_length=400)] = Field(default_factory=list)


class SiteCalendarPublic(BaseModel):
    """A site's calendar; ``own``: false while the site works the default hours."""

    site_id: str
    own: bool
    time_zone: str
    hours: dict[str, str]
    holidays: list[HolidayBody]
    workdays: list[WorkdayBody]
