"""``/api/health``: whether the engine runs and the database answers, and the event log's
position. 200 when all is well; 503 naming what is down (``engine``, ``database``), the
causes only in the server's log."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from kefu.api.deps import EngineDep

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])

DATABASE_TIMEOUT_S = 3.0
"""Seconds the database may take to answer before it counts as down."""

RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": '``{"status": "ok", "last_seq", "checks": {"engine", "database"}}``'},
    503: {"description": 'a dependency is down: ``{"status": "unavailable", "down": [...]}``'},
}


@router.get("/api/health", responses=RESPONSES)
async def health(engine: EngineDep) -> JSONResponse:
    """Liveness and readiness. 健康检查：引擎与数据库是否可用。"""
    checks = {"engine": "ok" if engine.started else "down", "database": "ok"}
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_S):
            await engine.read_store(lambda uow: uow.sites.list())
    except Exception as exc:  # any failure to answer is "down"; the cause goes to the log
        log.warning("health: the database does not answer: %s", exc.__cause__ or exc)
        checks["database"] = "down"
    down = [name for name, state in checks.items() if state != "ok"]
    body: dict[str, Any] = {
        "status": "unavailable" if down else "ok",
        "last_seq": engine.last_seq,
        "checks": checks,
    }
    if down:
        body["down"] = down
    return JSONResponse(body, status_code=503 if down else 200)
