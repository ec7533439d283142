"""Site schemas."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator

from kefu.api.schemas.common import Body, Identifier

__all__ = ["SiteCreate", "SitePublic", "SiteUpdate"]


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Asia" is a directory
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


class SiteCreate(Body):
    site_id: Identifier
    name: Annotated[str, Field(min_length=1, max_length=200, examples=["上海中心 Shanghai"])]
    timezone: str = "Asia/Shanghai"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _known_zone(value)


class SiteUpdate(Body):
    """Fields to change; those left out keep their value."""

    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    timezone: str | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else _known_zone(value)


class SitePublic(BaseModel):
    site_id: str
    name: str
    timezone: str
    created_at: float
