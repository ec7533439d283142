"""``kefu serve --role web``: a stateless web node (a skeleton). It authenticates callers
against the shared store and sends their commands, signed, to the router leading its
routing domain over NATS (:mod:`kefu.api.routes.remote`); it serves the operations
endpoints ``/healthz`` and ``/readyz`` (200 once NATS is connected). Needs PostgreSQL,
NATS and the cluster's shared ``KEFU_SECRET_KEY``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from kefu.config import Settings
    from kefu.service.ports import UnitOfWorkFactory

__all__ = ["web_app"]


def web_app(settings: Settings, uow_factory: UnitOfWorkFactory) -> FastAPI:
    """The web node's app on the shared store ``uow_factory``: its lifespan connects to
    NATS (``settings.nats_url``) and keeps the command client in ``app.state.commands``."""
    import nats
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    from kefu.adapters.clock import SystemClock
    from kefu.adapters.cluster.bus import CommandClient
    from kefu.adapters.cluster.envelope import CommandSealer
    from kefu.api.errors import install_error_handlers
    from kefu.api.routes import remote
    from kefu.service.security import security_from_settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = await nats.connect(settings.nats_url)
        sealer = CommandSealer(settings.secret_key, settings.routing_domain)
        app.state.commands = CommandClient(client, settings.routing_domain, sealer=sealer)
        try:
            yield
        finally:
            app.state.commands = None
            await client.close()

    app = FastAPI(title="kefu web node", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.security = security_from_settings(settings, uow_factory, SystemClock())
    app.state.commands = None
    install_error_handlers(app)
    app.include_router(remote.router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Any:
        commands = app.state.commands
        if commands is None or not commands.nats.is_connected:
            return JSONResponse({"status": "not ready", "down": ["nats"]}, status_code=503)
        return {"status": "ready", "domain": settings.routing_domain}

    return app
