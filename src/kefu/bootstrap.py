"""Composition root: wires the service to live infrastructure (system clock, asyncio
scheduler, SQL store) or to test doubles (manual clock and scheduler, in-memory store).

Users, credentials and the audit log live in the same store as the routing data (the SQL
unit of work serves both); a routing store without them (the in-memory one) is joined to
in-memory security repositories; likewise for the channel tables (customers and
conversations). The channels (web chat, desktop, branch hall, e-mail, webhooks) are wired
around the engine by :func:`build_platform`; the adapters the settings do not configure
stay off."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from fastapi import FastAPI

from kefu.adapters.clock import SystemClock
from kefu.adapters.scheduler import AsyncioScheduler
from kefu.api import create_app
from kefu.config import Settings
from kefu.domain.routing import RouterConfig
from kefu.domain.time import Clock
from kefu.service import RoutingEngine
from kefu.service.channel_ports import ChannelUnitOfWork
from kefu.service.channels import ChannelService
from kefu.service.ports import Scheduler, UnitOfWorkFactory
from kefu.service.security import Security, security_from_settings
from kefu.service.security_ports import SecurityUnitOfWork, SecurityUnitOfWorkFactory
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock, ManualScheduler

if TYPE_CHECKING:
    from kefu.adapters.channels.attachments import AttachmentStore
    from kefu.adapters.channels.server import ChannelServer
    from kefu.web.channel_site import ChannelSite

__all__ = ["Platform", "build_live", "build_platform", "build_test"]

Hook = Callable[[], Awaitable[None]]


@dataclass
class Platform:
    """A wired kefu: the engine, the app serving it, and what to run around them."""

    engine: RoutingEngine
    app: FastAPI
    clock: Clock
    scheduler: Scheduler
    uow_factory: UnitOfWorkFactory
    security: Security
    extra_startup: list[Hook] = field(default_factory=list)
    channels: ChannelService | None = None
    channel_site: ChannelSite | None = None
    channel_server: ChannelServer | None = None


def _secured(uow_factory: UnitOfWorkFactory) -> UnitOfWorkFactory:
    """The factory itself when its units of work hold the security repositories; else
    joined to in-memory ones."""
    with uow_factory() as probe:
        if isinstance(probe, SecurityUnitOfWork):
            return uow_factory
    from kefu.adapters.storage.memory import SecuredUnitOfWorkFactory

    return SecuredUnitOfWorkFactory(uow_factory)


def _with_channels(uow_factory: UnitOfWorkFactory) -> UnitOfWorkFactory:
    """The factory itself when its units of work hold the channel repository; else joined
    to an in-memory one."""
    with uow_factory() as probe:
        if isinstance(probe, ChannelUnitOfWork):
            return uow_factory
    from kefu.adapters.storage.channel_memory import MemoryChannelUnitOfWorkFactory

    return MemoryChannelUnitOfWorkFactory(uow_factory)


def build_platform(
    settings: Settings,
    *,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    scheduler: Scheduler,
    new_id: Callable[[], str] | None = None,
    on_startup: tuple[Hook, ...] = (),
    on_shutdown: tuple[Hook, ...] = (),
    on_closed: tuple[Hook, ...] = (),
    attachments: AttachmentStore | None = None,
) -> Platform:
    """Wire an engine and its app on the given infrastructure; ``on_closed`` hooks run
    after the engine stopped (release the database there). Attachments go to
    ``attachments``, by default to files under ``settings.attachments_path``."""
    from kefu.adapters.channels.server import channel_server
    from kefu.web import Wallboard
    from kefu.web.channel_site import ChannelSite

    uow_factory = _with_channels(_secured(uow_factory))
    security = security_from_settings(settings, cast(SecurityUnitOfWorkFactory, uow_factory), clock)
    engine = RoutingEngine(
        uow_factory,
        clock,
        scheduler=scheduler,
        config=RouterConfig(offer_timeout_s=settings.offer_timeout_s),
        new_id=new_id,
    )
    if isinstance(scheduler, AsyncioScheduler):
        scheduler.bind(engine.tick)
    wallboard = Wallboard(engine, settings, security)
    channels = ChannelService(engine)
    site = ChannelSite(channels, settings, security)
    adapters = channel_server(settings, channels, uow_factory, attachments)
    app = create_app(
        settings,
        engine,
        security,
        routers=[wallboard.router, *site.routers],
        on_startup=(wallboard.start, site.start, adapters.start, *on_startup),
        on_shutdown=(*on_shutdown, adapters.stop, site.stop, wallboard.stop),
        on_closed=on_closed,
    )
    wallboard.mount_static(app)
    app.state.wallboard = wallboard
    site.install(app, adapters)
    platform = Platform(engine, app, clock, scheduler, uow_factory, security)
    platform.channels, platform.channel_site, platform.channel_server = channels, site, adapters
    return platform


def build_live(
    settings: Settings, *, on_startup: tuple[Hook, ...] = (), on_shutdown: tuple[Hook, ...] = ()
) -> Platform:
    """The server's wiring: the configured database (refused unless its schema is current),
    the system clock and the asyncio scheduler."""
    from kefu.adapters.storage import SqlUnitOfWorkFactory, ensure_current, make_engine
    from kefu.adapters.storage.checkpoint import Checkpointer

    database = make_engine(
        settings.sqlalchemy_url, schema=settings.database_schema, background_checkpoints=True
    )
    try:
        ensure_current(database)
    except Exception:
        database.dispose()
        raise
    clock = SystemClock()
    scheduler = AsyncioScheduler(clock)
    checkpointer = Checkpointer(database) if database.dialect.name == "sqlite" else None

    async def open_store() -> None:
        if checkpointer is not None:
            checkpointer.start()

    async def close() -> None:
        scheduler.close()
        if checkpointer is not None:
            await asyncio.to_thread(checkpointer.stop)
        database.dispose()

    return build_platform(
        settings,
        uow_factory=SqlUnitOfWorkFactory(database),
        clock=clock,
        scheduler=scheduler,
        on_startup=(open_store, *on_startup),
        on_shutdown=on_shutdown,
        on_closed=(close,),
    )


def build_test(
    settings: Settings | None = None,
    *,
    clock: ManualClock | None = None,
    uow_factory: UnitOfWorkFactory | None = None,
) -> Platform:
    """Deterministic wiring for tests: a manual clock and scheduler, an in-memory store
    unless another unit-of-work factory is given, attachments in memory unless the settings
    name a directory; contact ids c1, c2, ..."""
    from kefu.adapters.channels.attachments import InMemoryAttachmentStore

    settings = settings or Settings(env="test")
    counter = iter(range(1, 1 << 62))
    return build_platform(
        settings,
        uow_factory=uow_factory or InMemoryUnitOfWorkFactory(),
        clock=clock or ManualClock(1_700_000_000.0),
        scheduler=ManualScheduler(),
        new_id=lambda: f"c{next(counter)}",
        attachments=None if settings.attachments_dir else InMemoryAttachmentStore(),
    )
