"""Helpers shared by the route modules."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from kefu.api.schemas import ErrorBody, Page
from kefu.service.routing import Page as ServicePage

__all__ = ["AUTH_ERRORS", "ERRORS", "to_page"]

AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "the body cannot be parsed"},
    401: {"model": ErrorBody, "description": "no valid credentials"},
    403: {"model": ErrorBody, "description": "this role, agent or token scope may not"},
    413: {"model": ErrorBody, "description": "the body is too large"},
    422: {"model": ErrorBody, "description": "invalid request"},
}
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "unknown id"},
    409: {"model": ErrorBody, "description": "refused in the current state"},
    422: {"model": ErrorBody, "description": "invalid request"},
}

M = TypeVar("M", bound=BaseModel)


def to_page(model: type[M], page: ServicePage) -> Page[M]:
    """The API page of ``model`` items for a service page."""
    return Page[model].model_validate(  # type: ignore[valid-type]
        {
            "items": page.items,
            "total": page.total,
            "limit": page.limit,
            "offset": page.offset,
            "next_offset": page.next_offset,
        }
    )
