"""``kefu serve --role web``: a stateless web node. It authenticates callers against the
shared store and sends their commands, signed, to the router leading its routing domain
over NATS (:mod:`kefu.api.routes.remote`); it follows the events the router commits
(:class:`~kefu.adapters.cluster.follower.EventFollower` into a read-only
:class:`~kefu.service.replica.ReplicaEngine`) and the channel updates
(:class:`~kefu.adapters.cluster.channel_bus.UpdateFollower`), and pushes them to its own
sockets: the wallboard, the agent desktop (``/desktop``, ``/ws/desktop``, its actions at
``/api/v1/desktop``) and the chat widget (``/ws/chat``), whose actions and messages go to
the router as commands. It serves the operations endpoints ``/healthz`` and ``/readyz``
(200 once NATS is connected and the router's copy is loaded). Needs PostgreSQL, NATS and
the cluster's shared ``KEFU_SECRET_KEY``.

Not on a web node: the session grace (an agent whose last desktop on this node closed is
not logged out: its desktop may be open on another node), and the chat's IVR flows."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from kefu.config import Settings
    from kefu.service.ports import UnitOfWorkFactory

__all__ = ["FOLLOWER_POLL_S", "web_app"]

FOLLOWER_POLL_S = 1.0
"""Seconds between two looks at the store while the event stream is silent."""


def web_app(
    settings: Settings,
    uow_factory: UnitOfWorkFactory,
    tune: Callable[[], Awaitable[None]] | None = None,
) -> FastAPI:
    """The web node's app on the shared store ``uow_factory``: its lifespan connects to
    NATS (``settings.nats_url``) and keeps the command client in ``app.state.commands``;
    ``tune`` runs once it started (a server process's
    :func:`~kefu.cli.runtime.tune_runtime`, not a test's)."""
    import nats
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    from kefu.adapters.channels.webchat.gateway import ChatHub
    from kefu.adapters.clock import SystemClock
    from kefu.adapters.cluster.bus import CommandClient, RemoteError
    from kefu.adapters.cluster.channel_bus import UpdateFollower
    from kefu.adapters.cluster.channel_codec import channel_result
    from kefu.adapters.cluster.directory import RemoteQueues, WebHandovers
    from kefu.adapters.cluster.envelope import CommandSealer
    from kefu.adapters.cluster.follower import EventFollower
    from kefu.adapters.cluster.handover_bus import HandoverClient
    from kefu.api.errors import install_error_handlers
    from kefu.api.routes import API_PREFIX, remote
    from kefu.api.routes import desktop as desktop_routes
    from kefu.bootstrap import sql_snapshotter
    from kefu.domain.routing import RouterConfig
    from kefu.i18n import SOURCE_LANGUAGE, catalogs
    from kefu.service.channels import ChannelOptions
    from kefu.service.commands import Command
    from kefu.service.desktop import Desktops
    from kefu.service.replica import ReplicaChannels, ReplicaEngine
    from kefu.service.security import Principal, security_from_settings
    from kefu.service.security.command_rights import CHANNEL_CALLER
    from kefu.service.transaction import HandlerTable
    from kefu.web import Wallboard
    from kefu.web.desktop import DesktopPages
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
    language = catalogs().resolve(settings.language) or SOURCE_LANGUAGE
    channels = ReplicaChannels(replica, options=ChannelOptions(language=language))
    replica.attach(channels.state)
    desktops = Desktops(channels)
    desktops.humans.grace = None  # the agent's desktop may be open on another node
    desktop = DesktopPages(desktops, settings, security)
    chat = ChatHub(channels, settings, wait_interval_s=settings.chat_wait_interval_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = await nats.connect(settings.nats_url)
        sealer = CommandSealer(settings.secret_key, settings.routing_domain)
        commands = CommandClient(client, settings.routing_domain, sealer=sealer)
        app.state.commands = commands

        async def remote(command: Command, actor: Principal | None) -> Any:
            try:
                result = await commands.execute(command, actor or CHANNEL_CALLER)
            except RemoteError as exc:
                raise exc.local() from None
            return channel_result(command, result)

        replica.remote = remote
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

        async def sync() -> None:
            await follower.catch_up()
            await replica.follow_parts()

        replica.sync = sync
        # The desktop's hand-overs to the cluster's other routing domains (none: no such
        # choice on the screen).
        others = settings.cluster_domains - {settings.routing_domain}
        remote_queues = RemoteQueues(client, others)
        if others:
            handover = HandoverClient(client, settings.routing_domain, sealer=sealer)
            desktops.handovers = WebHandovers(handover, remote_queues, sync)
            await remote_queues.start()
        updates = UpdateFollower(client, channels, settings.routing_domain, sync)
        channels.relay = updates.relay
        app.state.updates = updates
        await follower.start()
        await updates.start()
        await wallboard.start()
        await chat.start()
        await desktop.start()
        if tune is not None:
            await tune()
        try:
            yield
        finally:
            await remote_queues.stop()
            desktops.handovers = None
            await desktop.stop()
            await chat.stop()
            await wallboard.stop()
            await updates.stop()
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
    app.state.channels = channels
    app.state.desktops = desktops
    app.state.chat = chat
    install_error_handlers(app)
    app.include_router(remote.router)
    app.include_router(desktop_routes.router, prefix=API_PREFIX)
    app.include_router(wallboard.router)
    app.include_router(desktop.router)
    app.include_router(chat.router)
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
