"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from kefu import __version__
from kefu.api.docs import install_docs
from kefu.api.errors import install_error_handlers
from kefu.api.middleware import AccessLog, BodySizeLimit, SecurityHeaders
from kefu.api.request_id import RequestId
from kefu.api.routes import API_PREFIX, AUTH_ERRORS, api_routers, health, ops
from kefu.api.warmup import warm_routes
from kefu.config import Settings
from kefu.service import RoutingEngine
from kefu.service.security import Security

__all__ = ["create_app"]

logger = logging.getLogger(__name__)

SHUTDOWN_STEP_TIMEOUT_S = 10.0
"""Seconds each shutdown step may take before the shutdown goes on without it."""


async def _bounded(step: Callable[[], Awaitable[None]]) -> None:
    """Run one shutdown step, giving up after a while: a step that cannot finish (a stuck
    socket, a task that ignores cancellation) must not keep the process from stopping."""
    task = asyncio.ensure_future(step())
    done, _ = await asyncio.wait({task}, timeout=SHUTDOWN_STEP_TIMEOUT_S)
    if not done:
        task.cancel()
        logger.warning("shutdown step %r gave up after %s s", step, SHUTDOWN_STEP_TIMEOUT_S)
        return
    task.result()


Hook = Callable[[], Awaitable[None]]

DESCRIPTION = """Omnichannel contact-center platform: sites, queues, agents and contacts routed
by one ACD engine. 全渠道客服平台 API。

**Authentication 认证**: send an API token as `Authorization: Bearer kefu_…` (admins issue
them under `/api/v1/users/{username}/tokens`), or log in at `/login` (session cookie; changes
made with the cookie need the `X-CSRF-Token` header from `GET /api/v1/me`).

**Authorization 授权**: agents act only as themselves; supervisors see and act on their sites;
only admins change configuration (sites, queues, agents, users) and read the audit log.
Records of another site answer **404** like unknown ids; a visible record the caller may not
touch answers **403**; no credentials **401**."""


def create_app(
    settings: Settings,
    engine: RoutingEngine,
    security: Security,
    *,
    routers: Sequence[APIRouter] = (),
    on_startup: Sequence[Hook] = (),
    on_shutdown: Sequence[Hook] = (),
    on_closed: Sequence[Hook] = (),
    warm_up_routes: bool = False,
) -> FastAPI:
    """The kefu HTTP API around ``engine``, its users and credentials in ``security``:
    the engine is started (rebuilt from the store) when the app starts, then
    ``on_startup`` hooks run (with ``warm_up_routes`` every route is built before them:
    :mod:`kefu.api.warmup`); ``routers`` add pages (login, the wallboard). On shutdown
    ``on_shutdown`` hooks run, the engine stores what is staged and stops, then
    ``on_closed`` hooks release the infrastructure (database, timers)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await engine.start()
        if warm_up_routes:  # before the hooks: the server's last one freezes the heap
            await warm_routes(app.router)
        for hook in on_startup:
            await hook()
        try:
            yield
        finally:
            for hook in on_shutdown:
                await _bounded(hook)
            await _bounded(engine.stop)
            for hook in on_closed:
                await _bounded(hook)

    app = FastAPI(
        title="kefu 客服",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served from the installed Swagger UI files instead of a CDN
        redoc_url=None,
    )
    app.state.engine = engine
    app.state.settings = settings
    app.state.security = security
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    if settings.access_log:
        app.add_middleware(AccessLog)  # outermost: it times and sees every answer
    if settings.json_logs:
        app.add_middleware(RequestId)  # around the access log, which logs the id too
    # The API first: routes are tried in order for every request, and no other path
    # starts with /api/v1.
    for api_router in api_routers:
        app.include_router(api_router, prefix=API_PREFIX, responses=AUTH_ERRORS)
    app.include_router(health.router)
    app.include_router(ops.router)
    install_docs(app)
    for router in routers:
        app.include_router(router)
    return app
