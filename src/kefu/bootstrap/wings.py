"""The wings' builders: each joins a part of the service to the engine (its commands'
handlers to the engine's table, its state to the engine's transaction) and hooks it to the
wings it listens to. :mod:`kefu.bootstrap` composes them into a platform."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kefu.domain.customers import JoinPolicy
from kefu.domain.model import Channel
from kefu.domain.time import Clock
from kefu.service import RoutingEngine
from kefu.service.branch import BranchDesk
from kefu.service.cases import (
    CaseNotifier,
    CaseWing,
    NeedPredictor,
    SegmentKeeper,
    SurveyIntake,
    SurveyOptions,
    SurveyWing,
)
from kefu.service.channels import (
    AddressBook,
    ChannelOptions,
    ChannelService,
    ReplyGateway,
    WebhookKeyBook,
    WidgetBook,
)
from kefu.service.desktop import Desktops
from kefu.service.ivr import IvrOptions, IvrPlugins, IvrWing
from kefu.service.ports import UnitOfWorkFactory
from kefu.service.reports import ReportBook
from kefu.service.routing import DefineAgent, PhoneBook, RoutingDomains, routing_handlers
from kefu.service.teams import TeamBook
from kefu.service.wallboard import SupervisionDesk
from kefu.service.workforce import WorkforceBook

if TYPE_CHECKING:
    from kefu.adapters.channels.webchat.gateway import ChatHub
    from kefu.domain.ivr import FlowCatalog

__all__ = [
    "branch_wing",
    "case_wing",
    "channel_wing",
    "desktop_wing",
    "ivr_wing",
    "need_predictor",
    "report_wing",
    "routing_engine",
    "supervision_wing",
    "survey_wing",
    "team_wing",
    "workforce_wing",
]


def routing_engine(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    phones: PhoneBook | None = None,
    *,
    domains: RoutingDomains | None = None,
    **options: Any,
) -> RoutingEngine:
    """An engine whose table holds the routing commands (``options`` go to
    :class:`RoutingEngine`; *phones*: who has a phone a supervisor's listen can ring,
    None: not checked; *domains*: the cluster's routing domains overflow steps may name,
    None: none); :func:`channel_wing` adds the channels'."""
    handlers = routing_handlers(phones, domains)
    return RoutingEngine(uow_factory, clock, handlers=handlers, **options)


def channel_wing(
    engine: RoutingEngine,
    *,
    options: ChannelOptions | None = None,
    gateways: Mapping[Channel, ReplyGateway] | None = None,
    policy: JoinPolicy | None = None,
) -> ChannelService:
    """The channel service around ``engine``: its commands' handlers join the engine's
    table and its state (customers, conversations, branch tickets) the engine's
    transaction."""
    channels = ChannelService(engine, options=options, gateways=gateways, policy=policy)
    engine.handlers.include(channels.handlers(), channels.preparers())
    engine.attach(channels.state)
    return channels


def branch_wing(channels: ChannelService, **options: Any) -> BranchDesk:
    """The branch hall over ``channels`` (``options`` go to :class:`BranchDesk`), its
    commands' handlers joined to the engine's table."""
    branch = BranchDesk(channels, **options)
    channels.engine.handlers.include(branch.handlers())
    return branch


def desktop_wing(desktops: Desktops) -> Desktops:
    """The desktops' words (reasons, dispositions, canned replies, tiers) and the value
    tiers' routing effects as data: their commands' handlers join the engine's table, the
    books the engine's transaction; the engine classes new contacts by the tier book."""
    engine = desktops.channels.engine
    engine.handlers.include(desktops.phrases.handlers())
    engine.attach(desktops.phrases)
    engine.handlers.include(desktops.tiers.handlers())
    engine.attach(desktops.tiers)
    engine.contact_class = desktops.tiers.contact_class
    return desktops


def widget_wing(channels: ChannelService, chat: ChatHub, ivr: IvrWing | None) -> WidgetBook:
    """The chat widget's settings as data: their command's handler joins the engine's
    table, the book the engine's transaction (recorded in the channel log); the chat
    gateway reads them at each ``hello``."""
    book = WidgetBook(channels.state.log)
    if ivr is not None:
        book.flow_known = ivr.published
    channels.engine.handlers.include(book.handlers())
    channels.engine.attach(book)
    chat.widget = book
    return book


def address_wing(channels: ChannelService) -> AddressBook:
    """E-mail addresses → queues as data: their command's handler joins the engine's table,
    the book the engine's transaction (recorded in the channel log); inbound mail reads the
    live routes."""
    book = AddressBook(channels.state.log)
    channels.engine.handlers.include(book.handlers())
    channels.engine.attach(book)
    channels.core.routes = book.routes
    return book


def webhook_key_wing(channels: ChannelService, server_key: str) -> WebhookKeyBook:
    """Webhook secrets as data: their commands' handlers join the engine's table, the book
    the engine's transaction (salts recorded in the channel log, secrets derived from
    ``server_key``)."""
    book = WebhookKeyBook(channels.state.log, server_key)
    channels.engine.handlers.include(book.handlers())
    channels.engine.attach(book)
    return book


def ivr_wing(
    channels: ChannelService,
    catalog: FlowCatalog,
    plugins: IvrPlugins | None = None,
    options: IvrOptions | None = None,
) -> IvrWing:
    """The IVR over ``channels``: its commands' handlers join the engine's table, its
    sessions the engine's transaction (with their timers), and it greets the channels'
    new conversations that ``options`` give a flow."""
    wing = IvrWing(channels, catalog, plugins, options)
    channels.engine.handlers.include(wing.handlers())
    channels.engine.attach(wing.sessions)
    channels.engine.attach(wing.flows)
    channels.core.intake = wing
    return wing


def team_wing(channels: ChannelService) -> TeamBook:
    """The center's teams over ``channels``: their commands' handlers join the engine's
    table, the book the engine's transaction (recorded in the channel log). It watches the
    agents' definitions: a new agent may not take a team's id, and an agent moved to another
    site leaves its teams of other sites."""
    book = TeamBook(channels.state.log)
    channels.engine.handlers.include(book.handlers())
    channels.engine.handlers.watch(DefineAgent, check=book.check_agent, react=book.agent_defined)
    channels.engine.attach(book)
    return book


def case_wing(channels: ChannelService, teams: TeamBook | None = None, **options: Any) -> CaseWing:
    """Cases over ``channels`` (``options`` go to :class:`CaseWing`): their commands'
    handlers join the engine's table, the case book the engine's transaction (with its SLA
    timers). With ``teams``, a case (or a case type's escalation) given to a team must be
    given to one of them, and a team that owns open cases or that an escalation reassigns
    to cannot be removed."""
    wing = CaseWing(channels, **options)
    if teams is not None:
        wing.teams = teams
        teams.guards.append(wing.guard_team)
    channels.engine.handlers.include(wing.handlers())
    channels.engine.attach(wing.config)  # the types and calendars before the cases
    channels.engine.attach(wing.store)
    # The customer is told of the case's opening and of its moves they care about.
    wing.notifier = notifier = CaseNotifier(channels)
    channels.engine.attach(notifier)
    wing.opened.append(notifier.case_changed)
    wing.moved.append(notifier.case_changed)
    return wing


def report_wing(channels: ChannelService) -> ReportBook:
    """Saved report definitions over ``channels``: their commands' handlers join the
    engine's table, the book the engine's transaction (recorded in the channel log)."""
    book = ReportBook(channels.state.log)
    channels.engine.handlers.include(book.handlers())
    channels.engine.attach(book)
    return book


def survey_wing(cases: CaseWing, options: SurveyOptions | None = None) -> SurveyWing:
    """Follow-up surveys over ``cases``: sent when a case is resolved or closed or a chosen
    queue's contact wraps up, answers taken from the channels' inbound messages first."""
    wing = SurveyWing(cases, options)
    engine = cases.engine
    engine.handlers.include(wing.handlers())
    engine.attach(wing)
    cases.moved.append(wing.case_moved)
    cases.channels.actions.wrapped_up.append(wing.wrapped_up)
    cases.channels.core.intake = SurveyIntake(wing, cases.channels.core.intake)
    # The customer's segment follows its cases and survey answers.
    keeper = SegmentKeeper(cases.state, cases.store, lambda: wing.book)
    cases.moved.append(keeper.case_moved)
    wing.answered.append(keeper.refresh)
    return wing


def need_predictor(cases: CaseWing) -> NeedPredictor:
    """The likely reason of each customer's next contact: on every new contact's
    attributes (``likely_reason``); each contact closed with a disposition is an example,
    the model is retrained on them in a worker thread."""
    need = NeedPredictor(cases.state, cases.store)
    cases.channels.core.enrichers.append(need.attributes)
    cases.channels.core.closed.append(need.closed)
    return need


def supervision_wing(channels: ChannelService) -> SupervisionDesk:
    """What supervisors do from the wallboard (alert thresholds, skills lent for the day,
    messages to agents) over ``channels``: its commands' handlers join the engine's table,
    the desk the engine's transaction (recorded in the channel log, with the loans'
    expiries as its timers)."""
    desk = SupervisionDesk(channels.state.log)
    channels.engine.handlers.include(desk.handlers())
    channels.engine.attach(desk)
    return desk


def workforce_wing(channels: ChannelService) -> WorkforceBook:
    """Agents' work rules and published schedules over ``channels``: their commands'
    handlers join the engine's table, the book the engine's transaction (recorded in the
    channel log)."""
    book = WorkforceBook(channels.state.log)
    channels.engine.handlers.include(book.handlers())
    channels.engine.attach(book)
    return book
