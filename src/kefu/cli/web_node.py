"""``kefu serve --role web``: a stateless web node. It authenticates callers against the
shared store and sends their commands, signed, to the router leading its routing domain
over NATS (:mod:`kefu.api.routes.remote`); it follows the events the router commits
(:class:`~kefu.adapters.cluster.follower.EventFollower` into a read-only
:class:`~kefu.service.replica.ReplicaEngine`) and pushes them to its own wallboard
sockets; it serves the operations endpoints ``/healthz`` and ``/readyz`` (200 once NATS
is connected and the router's copy is loaded). Needs PostgreSQL, NATS and the cluster's
shared ``KEFU_SECRET_KEY``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from kefu.config import Settings
    from kefu.service.ports import UnitOfWorkFactory

__all__ = ["FOLLOWER_POLL_S", "web_app"]

FOLLOWER_POLL_S = 1.0
"""Seconds between two looks at the store while the event stream is silent."""


def web_app(settings: Settings, uow_factory: UnitOfWorkFactory) -> FastAPI:
    """The web node's app on the shared store ``uow_factory``: its lifespan connects to
    NATS (``settings.nats_url``) and keeps the command client in ``app.state.commands``."""
    import nats
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    from kefu.adapters.clock import SystemClock
    from kefu.adapters.cluster.bus import CommandClient
    from kefu.adapters.cluster.envelope import CommandSealer
    from kefu.adapters.cluster.follower import EventFollower
    from kefu.api.errors import install_error_handlers
    from kefu.api.routes import remote
    from kefu.bootstrap import sql_snapshotter
    from kefu.domain.routing import RouterConfig
    from kefu.service.replica import ReplicaEngine
    from kefu.service.security import security_from_settings
    from kefu.service.transaction import HandlerTable
    from kefu.web import Wallboard
    from kefu.web.i18n import I18nRoutes

    clock = SystemClock()

    security = security_from_settings(settings, uow_factory, clock)
    replica = ReplicaEngine(
        uow_factory,
        clock,
        handlers=HandlerTable(),
        config=RouterConfig(offer_timeout_s=settings.offer_timeout_s),
        snapshots=sql_snapshotter(settings),
    )
    wallboard = Wallboard(replica, settings, security)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = await nats.connect(settings.nats_url)
        sealer = CommandSealer(settings.secret_key, settings.routing_domain)
        app.state.commands = CommandClient(client, settings.routing_domain, sealer=sealer)
        await replica.start()
        follower = EventFollower(
            client.jetstream(),
            uow_factory,
            settings.routing_domain,
            replica.apply,
            position=replica.last_seq,
            poll_s=FOLLOWER_POLL_S,
        )
        app.state.follower = follower
        await follower.start()
        await wallboard.start()
        try:
            yield
        finally:
            await wallboard.stop()
            await follower.stop()
            await replica.stop()
            app.state.commands = None
            await client.close()

    app = FastAPI(title="kefu web node", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.security = security
    app.state.engine = replica
    app.state.wallboard = wallboard
    app.state.commands = None
    app.state.follower = None
    install_error_handlers(app)
    app.include_router(remote.router)
    app.include_router(wallboard.router)
    app.include_router(I18nRoutes().router)  # the wallboard page's texts
    wallboard.mount_static(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Any:
        commands = app.state.commands
        down = [] if commands is not None and commands.nats.is_connected else ["nats"]
        if not replica.ready:
            down.append("engine")
        if down:
            return JSONResponse({"status": "not ready", "down": down}, status_code=503)
        return {"status": "ready", "domain": settings.routing_domain, "seq": replica.last_seq}

    return app
