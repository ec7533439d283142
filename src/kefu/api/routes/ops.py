"""Operations endpoints, outside the API's prefix and without credentials (what a load
balancer, an orchestrator and Prometheus call):

- ``/healthz``: liveness. 200 while the process serves requests at all; restart it when
  this fails.
- ``/readyz``: readiness. 200 once the engine has rebuilt its state from the store (the
  snapshot and the log's tail replayed) and the store answers; 503 naming what is not
  ready (``engine``, ``database``). Send no traffic to a node that is not ready.
- ``/metrics``: the Prometheus text format (:mod:`kefu.adapters.metrics`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from kefu.adapters.metrics import CONTENT_TYPE, EngineMetrics
from kefu.api.deps import EngineDep

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter(tags=["operations"])

STORE_TIMEOUT_S = 2.0
"""Seconds the store may take to answer a readiness probe before it counts as down."""


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers. 存活检查。"""
    return {"status": "alive"}


@router.get(
    "/readyz",
    responses={503: {"description": '``{"status": "not_ready", "down": [...]}``'}},
)
async def readyz(engine: EngineDep) -> JSONResponse:
    """Readiness: state rebuilt from the store, and the store answers. 就绪检查。"""
    checks = {"engine": "ok" if engine.ready else "down", "database": "ok"}
    try:
        async with asyncio.timeout(STORE_TIMEOUT_S):
            await engine.read_store(lambda uow: uow.sites.list())
    except Exception as exc:  # any failure to answer in time is "down"; the cause is logged
        log.warning("readyz: the store does not answer: %s", exc.__cause__ or exc)
        checks["database"] = "down"
    down = [name for name, state in checks.items() if state != "ok"]
    body: dict[str, Any] = {"status": "not_ready" if down else "ready", "checks": checks}
    snapshots = engine.snapshots
    if snapshots is not None:
        body["started_from_snapshot"] = snapshots.restored_from
        body["replayed_events"] = snapshots.tail
    if down:
        body["down"] = down
    return JSONResponse(body, status_code=503 if down else 200)


@router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """Prometheus metrics. 监控指标。"""
    found: EngineMetrics | None = getattr(request.app.state, "metrics", None)
    if found is None:
        return Response("metrics are not collected here\n", status_code=404)
    return Response(found.render(), media_type=CONTENT_TYPE)
