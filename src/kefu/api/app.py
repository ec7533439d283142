"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from kefu import __version__
from kefu.api.errors import install_error_handlers
from kefu.api.middleware import BodySizeLimit
from kefu.api.routes import api_router, health
from kefu.config import Settings
from kefu.service import RoutingEngine

__all__ = ["create_app"]

Hook = Callable[[], Awaitable[None]]


def create_app(
    settings: Settings,
    engine: RoutingEngine,
    *,
    routers: Sequence[APIRouter] = (),
    on_startup: Sequence[Hook] = (),
    on_shutdown: Sequence[Hook] = (),
    on_closed: Sequence[Hook] = (),
) -> FastAPI:
    """The kefu HTTP API around ``engine``: started (rebuilt from the store) when the app
    starts, then ``on_startup`` hooks run; ``routers`` add pages (the wallboard). On
    shutdown ``on_shutdown`` hooks run, the engine stores what is staged and stops, then
    ``on_closed`` hooks release the infrastructure (database, timers)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await engine.start()
        for hook in on_startup:
            await hook()
        try:
            yield
        finally:
            for hook in on_shutdown:
                await hook()
            await engine.stop()
            for hook in on_closed:
                await hook()

    app = FastAPI(
        title="kefu 客服",
        version=__version__,
        description=(
            "Omnichannel contact-center platform: sites, queues, agents and contacts routed "
            "by one ACD engine. 全渠道客服平台 API。"
        ),
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.include_router(health.router)
    app.include_router(api_router)
    for router in routers:
        app.include_router(router)
    return app
