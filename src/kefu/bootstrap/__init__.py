"""Composition root: wires the service to live infrastructure (system clock, asyncio
scheduler, SQL store), to test doubles, or to a simulation (manual clock and scheduler,
in-memory store).

The engine's handler table is assembled here, explicitly: the routing commands
(:func:`routing_engine`), then the channel, agent and branch commands with the channel
state the engine keeps beside its router (:func:`channel_wing`). Every store holds every
repository (routing, security, channels: :class:`~kefu.service.ports.UnitOfWork`). The
channels (web chat, desktop, branch hall, e-mail, webhooks) are wired around the engine by
:func:`build_platform`; the adapters the settings do not configure stay off."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from kefu.adapters.clock import SystemClock
from kefu.adapters.scheduler import AsyncioScheduler
from kefu.api import create_app
from kefu.bootstrap.wings import (
    address_wing,
    branch_wing,
    case_wing,
    channel_wing,
    desktop_wing,
    ivr_wing,
    need_predictor,
    report_wing,
    routing_engine,
    supervision_wing,
    survey_wing,
    team_wing,
    webhook_key_wing,
    widget_wing,
    workforce_wing,
)
from kefu.config import Settings
from kefu.domain.routing import RouterConfig
from kefu.domain.time import Clock
from kefu.i18n import SOURCE_LANGUAGE, catalogs
from kefu.service import RoutingEngine
from kefu.service.cases import CaseWing, SurveyOptions
from kefu.service.channels import ChannelOptions, ChannelService
from kefu.service.ivr import IvrWing
from kefu.service.ports import Scheduler, UnitOfWorkFactory
from kefu.service.routing import PhoneBook, RoutingDomains
from kefu.service.routing.softphone import SoftphoneDesk
from kefu.service.security import Security, security_from_settings
from kefu.service.snapshots import SnapshotPolicy, Snapshotter
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock, ManualScheduler

if TYPE_CHECKING:
    from kefu.adapters.channels.attachments import AttachmentStore
    from kefu.adapters.channels.server import ChannelServer
    from kefu.web.channel_site import ChannelSite

__all__ = [
    "Platform",
    "Simulation",
    "branch_wing",
    "build_live",
    "build_platform",
    "build_simulation",
    "build_test",
    "case_wing",
    "channel_wing",
    "desktop_wing",
    "ivr_wing",
    "need_predictor",
    "report_wing",
    "routing_engine",
    "supervision_wing",
    "workforce_wing",
]

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
    ivr: IvrWing | None = None
    cases: CaseWing | None = None
    phones: PhoneBook | None = None
    """Who has a registered phone (the telephone front door attaches its registrar)."""
    softphone: SoftphoneDesk | None = None
    """The desktop's softphone signalling (the telephone front door attaches its media)."""


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
    snapshots: Snapshotter | None = None,
    warm_up_routes: bool = False,
) -> Platform:
    """Wire an engine and its app on the given infrastructure; ``on_closed`` hooks run
    after the engine stopped (release the database there). Attachments go to
    ``attachments``, by default to files under ``settings.attachments_path``. With
    ``warm_up_routes`` the app builds every route when it starts (:mod:`kefu.api.warmup`;
    a server's, not a test's: it takes a fraction of a second)."""
    from kefu.adapters.channels.server import channel_server
    from kefu.adapters.storage.report_source import report_source
    from kefu.web import Wallboard
    from kefu.web.channel_site import ChannelSite
    from kefu.web.i18n import I18nRoutes
    from kefu.web.report_pages import report_mailer, report_routers

    security = security_from_settings(settings, uow_factory, clock)
    phones = PhoneBook()
    engine = routing_engine(
        uow_factory,
        clock,
        phones,
        domains=RoutingDomains(settings.routing_domain, settings.cluster_domains),
        scheduler=scheduler,
        config=RouterConfig(offer_timeout_s=settings.offer_timeout_s),
        new_id=new_id,
        snapshots=snapshots,
    )
    if isinstance(scheduler, AsyncioScheduler):
        scheduler.bind(engine.tick)
    wallboard = Wallboard(engine, settings, security)
    language = catalogs().resolve(settings.language) or SOURCE_LANGUAGE
    channels = channel_wing(engine, options=ChannelOptions(language=language))
    site = ChannelSite(channels, settings, security)
    engine.handlers.include(site.branch.handlers())
    desktop_wing(site.desktops)
    adapters = channel_server(settings, channels, uow_factory, attachments)
    webhook_keys = webhook_key_wing(channels, settings.secret_key)
    adapters.keys = webhook_keys.secrets
    ivr = _ivr(settings, channels)
    site.chat.ivr = ivr
    site.admin.widget = widget_wing(channels, site.chat, ivr)
    site.admin.addresses.book = address_wing(channels)
    site.admin.webhooks.book = webhook_keys
    teams = team_wing(channels)
    cases = case_wing(channels, teams)

    def names(text: str) -> frozenset[str]:
        return frozenset(q.strip() for q in text.split(",") if q.strip())

    surveys = survey_wing(
        cases,
        SurveyOptions(
            wrap_up_queues=names(settings.survey_wrap_up_queues),
            nps_queues=names(settings.survey_nps_queues),
            nps_case_types=names(settings.survey_nps_case_types),
            low_csat=settings.survey_low_csat,
            low_nps=settings.survey_low_nps,
            low_score=settings.survey_low_score,
            quiet_period_s=settings.survey_quiet_days * 86_400.0,
            link_base=settings.survey_link_base,
        ),
    )
    surveys.secret_key = settings.secret_key
    site.chat.survey_link = surveys.chat_link
    reports = report_source(uow_factory)
    saved_reports = report_wing(channels)
    supervision = supervision_wing(channels)
    workforce = workforce_wing(channels)
    wallboard.projection.alerts = supervision.alert
    supervision.sent.append(site.desktop.show_notice)
    saved_reports.mailer = report_mailer(reports, security, settings)
    report_pages = report_routers(
        reports, engine, settings, security, surveys, saved_reports, workforce
    )
    need = need_predictor(cases)
    app = create_app(
        settings,
        engine,
        security,
        routers=[wallboard.router, I18nRoutes().router, *site.routers, *report_pages],
        on_startup=(wallboard.start, site.start, adapters.start, *on_startup),
        on_shutdown=(*on_shutdown, adapters.stop, site.stop, wallboard.stop),
        on_closed=on_closed,
        warm_up_routes=warm_up_routes,
    )
    wallboard.mount_static(app)
    app.state.wallboard = wallboard
    app.state.metrics = _metrics(engine, uow_factory)
    site.install(app, adapters)
    platform = Platform(engine, app, clock, scheduler, uow_factory, security, phones=phones)
    platform.channels, platform.channel_site, platform.channel_server = channels, site, adapters
    platform.ivr = app.state.ivr = ivr
    platform.cases = app.state.cases = cases
    app.state.surveys = surveys
    app.state.saved_reports = saved_reports
    app.state.supervision = supervision
    app.state.workforce = workforce
    app.state.need = need
    app.state.teams = teams
    app.state.widgets = site.admin.widget
    app.state.addresses = site.admin.addresses.book
    app.state.webhook_keys = webhook_keys
    platform.softphone = app.state.softphone = SoftphoneDesk(engine)
    site.desktop.watch_softphone(platform.softphone)
    return platform


def _metrics(engine: RoutingEngine, uow_factory: UnitOfWorkFactory) -> Any:
    """The Prometheus metrics of ``engine`` (and of its database's statements when it is
    an SQL store), counting from now on."""
    from kefu.adapters.metrics import EngineMetrics

    metrics = EngineMetrics(engine)
    database = getattr(uow_factory, "engine", None)
    if database is not None:
        metrics.count_statements(database)
    metrics.start()
    return metrics


def _ivr(settings: Settings, channels: ChannelService) -> IvrWing:
    from pathlib import Path

    from kefu.adapters.ivr.wiring import bank_plugins, flow_catalog, ivr_options

    files = [Path(f.strip()) for f in settings.ivr_flow_files.split(",") if f.strip()]
    return ivr_wing(
        channels,
        flow_catalog(files),
        bank_plugins(settings.timezone),
        ivr_options(settings.ivr_flows),
    )


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
        snapshots=sql_snapshotter(settings),
        uow_factory=SqlUnitOfWorkFactory(database),
        clock=clock,
        scheduler=scheduler,
        on_startup=(open_store, *on_startup),
        on_shutdown=on_shutdown,
        on_closed=(close,),
        warm_up_routes=True,
    )


def sql_snapshotter(settings: Settings) -> Snapshotter:
    """Router snapshots in the SQL store, as often as the settings say."""
    from kefu.adapters.storage.snapshots import SqlSnapshots

    policy = SnapshotPolicy(settings.snapshot_every, settings.retain_finished_s)
    return Snapshotter(SqlSnapshots(), policy)


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


@dataclass
class Simulation:
    """A platform in simulated time: :meth:`step` moves the manual clock and runs the
    timers that fall due, as the live scheduler would (no sleeps, no server)."""

    platform: Platform
    clock: ManualClock
    scheduler: ManualScheduler
    _life: AsyncExitStack = field(default_factory=AsyncExitStack)

    async def __aenter__(self) -> Simulation:
        """Start what the server starts (the app's own start-up), without serving."""
        app = self.platform.app
        await self._life.enter_async_context(app.router.lifespan_context(app))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._life.aclose()

    @property
    def engine(self) -> RoutingEngine:
        return self.platform.engine

    @property
    def channels(self) -> ChannelService:
        assert self.platform.channels is not None
        return self.platform.channels

    async def settle(self) -> None:
        """Let the background work of the last commands end (no time passes)."""
        await asyncio.sleep(0)
        await self.channels.idle()

    async def step(self, seconds: float) -> None:
        """Advance ``seconds``, stopping at each timer due on the way (its events carry
        their own instant)."""
        end = self.clock.now() + seconds
        while (due := self.scheduler.due) is not None and due <= end:
            self.clock.set(max(due, self.clock.now()))
            await self.engine.tick()
            await self.settle()
            if self.scheduler.due == due:
                break
        self.clock.set(end)
        await self.engine.tick()
        await self.settle()


def build_simulation(
    settings: Settings | None = None, *, start: float = 1_700_000_000.0
) -> Simulation:
    """The live wiring, with the very handlers that serve traffic, on an in-memory store, a
    manual clock from ``start`` (seconds) and a manual scheduler: drive it with commands
    and :meth:`Simulation.step`."""
    clock = ManualClock(start)
    platform = build_test(settings, clock=clock)
    assert isinstance(platform.scheduler, ManualScheduler)
    return Simulation(platform, clock, platform.scheduler)
