"""``/api/health``: liveness and the event log's position."""

from __future__ import annotations

from fastapi import APIRouter

from kefu.api.deps import EngineDep

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/api/health")
async def health(engine: EngineDep) -> dict[str, object]:
    return {"status": "ok" if engine.started else "starting", "last_seq": engine.last_seq}
