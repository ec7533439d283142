"""Shared API schema pieces: the error body, pages and identifiers."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Body", "ErrorBody", "Identifier", "Page", "Skills"]

T = TypeVar("T")

Identifier = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$",
        description="1–64 letters, digits or _ . : - (starting with a letter or digit)",
        examples=["shanghai"],
    ),
]
SkillLevel = Annotated[int, Field(ge=1, le=10)]
Skills = dict[Annotated[str, Field(min_length=1, max_length=64)], SkillLevel]


class Body(BaseModel):
    """Base of request bodies: unknown fields and NaN/infinite numbers are refused."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ErrorBody(BaseModel):
    """Every error answer: a stable ``error_id``, a message and structured details."""

    error_id: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class Page(BaseModel, Generic[T]):
    """One page of a list; ask for the next with ``offset=next_offset``."""

    items: list[T]
    total: int
    limit: int
    offset: int
    next_offset: int | None
