"""``kefu serve --role router``: a router node of one routing domain (a hot standby until
it leads; see :mod:`kefu.adapters.cluster.node`), serving only the operations endpoints
(``/healthz``, ``/readyz``, ``/metrics``). Needs PostgreSQL (the lease) and NATS."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from fastapi import FastAPI

    from kefu.bootstrap import Platform
    from kefu.config import Settings

__all__ = ["check_router_settings", "router_app"]


def check_router_settings(settings: Settings) -> None:
    """Exit 2 unless the settings can run a router node: the cluster's shared
    ``KEFU_SECRET_KEY`` (a key made up for this process would refuse every command a web
    node signs)."""
    if not settings.secret_key_set:
        typer.echo(
            "--role router needs KEFU_SECRET_KEY, the same on every node of the cluster "
            "(it signs the commands) 需要各节点相同的 KEFU_SECRET_KEY",
            err=True,
        )
        raise typer.Exit(2)


def router_app(settings: Settings, platform: Platform) -> FastAPI:
    """The router node's app around ``platform``'s engine: its lifespan runs the node, its
    routes are the operations endpoints. Exits (SIGTERM to itself) when the node loses the
    lead."""
    import nats
    from fastapi import FastAPI

    from kefu.adapters.cluster import LeaderLease
    from kefu.adapters.cluster.directory import QueueDirectoryServer
    from kefu.adapters.cluster.envelope import CommandSealer
    from kefu.adapters.cluster.handover import DomainHandover
    from kefu.adapters.cluster.handover_bus import HandoverServer, serve_while_leading
    from kefu.adapters.cluster.node import RouterNode
    from kefu.adapters.cluster.overflow import OverflowHandovers
    from kefu.adapters.metrics import EngineMetrics
    from kefu.adapters.storage import SqlUnitOfWorkFactory
    from kefu.api.routes import ops

    uow_factory = platform.uow_factory
    if not isinstance(uow_factory, SqlUnitOfWorkFactory) or (
        uow_factory.engine.dialect.name != "postgresql"
    ):
        if isinstance(uow_factory, SqlUnitOfWorkFactory):
            uow_factory.engine.dispose()
        typer.echo("--role router needs PostgreSQL (KEFU_DATABASE_URL) 需要 PostgreSQL", err=True)
        raise typer.Exit(2)
    engine = platform.engine
    lease = LeaderLease(uow_factory.engine, settings.routing_domain, settings.node_name)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = await nats.connect(settings.nats_url)
        node = RouterNode(
            engine,
            lease,
            client,
            sealer=CommandSealer(settings.secret_key, settings.routing_domain),
            on_lost=lambda: os.kill(os.getpid(), signal.SIGTERM),
            channels=platform.channels,
        )
        app.state.metrics = metrics = EngineMetrics(engine, lambda: node.epoch)
        metrics.start()
        await node.start()
        domain = settings.routing_domain
        handover = DomainHandover(
            client, engine, domain, secret_key=settings.secret_key, channels=platform.channels
        )
        handovers = HandoverServer(
            client, handover, sealer=CommandSealer(settings.secret_key, domain)
        )
        # On the leader only: the hand-overs asked for, those overflow steps send to
        # another routing domain (a new leader finishes what the last one left), and the
        # list of the domain's queues other domains' desktops offer.
        leader_services = (
            handovers,
            OverflowHandovers(handover),
            QueueDirectoryServer(client, engine, domain),
        )
        serving = [
            asyncio.create_task(serve_while_leading(node.leading, service))
            for service in leader_services
        ]
        try:
            yield
        finally:
            for task in serving:
                task.cancel()
            for task in serving:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await node.stop()
            await client.close()
            uow_factory.engine.dispose()

    app = FastAPI(title="kefu router", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.engine = engine
    app.include_router(ops.router)
    return app
