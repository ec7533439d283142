"""FastAPI dependency aliases: the routing engine and list parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from kefu.service import RoutingEngine

__all__ = ["EngineDep", "Limit", "Offset", "SiteFilter"]


async def get_engine(request: Request) -> RoutingEngine:
    engine: RoutingEngine = request.app.state.engine
    return engine


EngineDep = Annotated[RoutingEngine, Depends(get_engine)]
Limit = Annotated[int, Query(ge=1, le=500, description="items per page")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="items to skip")]
SiteFilter = Annotated[
    str | None,
    Query(max_length=64, description="only records of this site (and queues shared with it)"),
]
