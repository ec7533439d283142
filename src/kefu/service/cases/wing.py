"""The case wing: cases opened from a contact or for a customer, worked by agents and
back-office departments, with business-time SLA clocks on the engine's timers.

Each command is handled in the engine's transaction: the handler checks, acts on the
:class:`~kefu.domain.cases.CaseBook` (which refuses before it changes anything) and the
store logs the events with the command (:class:`~kefu.service.cases.store.CaseStore`).

A case task becomes a back-office **work item**: a contact of channel ``workitem`` in the
router (:class:`~kefu.service.cases.commands.RouteCaseTask`), pushed to a skilled agent like
a call, ordered by the customer's value tier then the case's priority. When an SLA step
raises the case's priority, the waiting work items are raised with it
(:meth:`~kefu.domain.routing.Router.reprioritize`), so work near its business-time deadline
goes ahead of work that still has time.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from kefu.domain.calendar import BusinessCalendar
from kefu.domain.cases import Case, CaseState, CaseType, SlaClock, SlaPolicy
from kefu.domain.customers import ContactRef
from kefu.domain.errors import KefuError, UnknownContact, UnknownQueue, ValidationError
from kefu.domain.model import Channel, ContactState
from kefu.domain.tiers import customer_tier
from kefu.service.cases.catalog import DEFAULT_POLICY, DEFAULT_TYPES, site_calendar
from kefu.service.cases.commands import (
    AddCaseNote,
    AssignCase,
    CaseSlaDue,
    LinkToCase,
    MoveCase,
    OpenCase,
    RouteCaseTask,
    UpdateCase,
)
from kefu.service.cases.config_desk import CaseConfigDesk, default_configs
from kefu.service.cases.notices import CaseNotifier
from kefu.service.cases.store import CaseStore
from kefu.service.channels.service import ChannelService
from kefu.service.routing import commands as c
from kefu.service.routing import views
from kefu.service.teams import TeamBook, TeamInUse
from kefu.service.transaction import Handler, Transaction

__all__ = ["CaseWing", "Notice"]

log = logging.getLogger(__name__)

Notice = tuple[str, str, str, str | None]
"""An escalation to tell: ``(case id, clock, action, to)``."""


class CaseWing:
    """Cases over a channel service: its commands' handlers (:meth:`handlers`) and its
    state part (:attr:`store`); wired by :func:`kefu.bootstrap.case_wing`. ``calendars``
    are the sites' business calendars (others: weekdays in the site's zone)."""

    def __init__(
        self,
        channels: ChannelService,
        *,
        types: Iterable[CaseType] = DEFAULT_TYPES,
        policy: SlaPolicy = DEFAULT_POLICY,
        calendars: Mapping[str, BusinessCalendar] | None = None,
    ) -> None:
        self.channels = channels
        self.engine = channels.engine
        self.state = channels.state
        self._calendars = dict(calendars or {})
        self._cache: dict[str, BusinessCalendar] = {}
        types = tuple(types)
        self.store = CaseStore(self.state.log, types, policy, self.calendar)
        self.config = CaseConfigDesk(self, default_configs(types, policy))
        """The case types and site calendars an admin defines (a part of its own, attached
        before :attr:`store`)."""
        self.listeners: list[Callable[[Notice], None]] = []
        """Told of each escalation once it is stored (the desktop, a notifier)."""
        self.opened: list[Callable[[Transaction, Case], Awaitable[None]]] = []
        """Run in the transaction of each new case, with the case (the customer notices)."""
        self.notifier: CaseNotifier | None = None
        """The customer's notices at the case's changes, when wired."""
        self.moved: list[Callable[[Transaction, Case], Awaitable[None]]] = []
        """Run in the transaction of each state change, with the case after it (the
        follow-up surveys)."""
        self.teams: TeamBook | None = None
        """The center's teams, when wired: a case given to a team must be given to one of
        them (cases owned earlier by another id keep it)."""

    def handlers(self) -> dict[type[c.Command], Handler]:
        return {
            OpenCase: self.open,
            UpdateCase: self.update,
            AssignCase: self.assign,
            MoveCase: self.move,
            AddCaseNote: self.note,
            LinkToCase: self.link,
            RouteCaseTask: self.route_task,
            CaseSlaDue: self.sla_due,
            **self.config.handlers(),
        }

    def log(self, at: float, stream: str, kind: str, subject: str, data: dict[str, Any]) -> None:
        """Record ``data`` in the channel log (with the command being handled)."""
        self.state.log(at, stream, kind, subject, data)

    def set_calendars(self, calendars: Mapping[str, BusinessCalendar]) -> None:
        """The sites' own calendars (an admin changed one); others keep the default."""
        self._calendars = dict(calendars)
        self._cache = {}

    def calendar(self, site_id: str) -> BusinessCalendar:
        """The site's business calendar."""
        found = self._cache.get(site_id)
        if found is None:
            site = self.engine.sites.get(site_id)
            zone = site.timezone if site is not None else "UTC"
            found = self._cache[site_id] = site_calendar(zone, self._calendars, site_id)
        return found

    # -- handlers -------------------------------------------------------------------------
    async def open(self, tx: Transaction, cmd: OpenCase) -> Case:
        site_id, customer_id, tier = cmd.site_id, cmd.customer_id, 0
        channel: str | None = None
        if cmd.contact_id is not None:
            contact = tx.router.contacts.get(cmd.contact_id)
            if contact is None:
                raise UnknownContact(f"unknown contact {cmd.contact_id}", contact_id=cmd.contact_id)
            owner_site, _shared = views.queue_site(tx.engine, contact.queue_id)
            site_id = site_id or owner_site
            customer_id = customer_id or contact.customer_id
            tier = customer_tier(contact.value_tier, contact.attributes)
            channel = contact.channel.value
        if site_id is None or site_id not in tx.sites:
            raise ValidationError(f"unknown site {site_id!r}", site_id=site_id)
        if customer_id is not None:
            customer_id = self.state.directory.resolve(customer_id)  # UnknownCustomer: 404
        self._check_owner(cmd.owner)
        case_id = str(len(self.store.book.cases) + 1)
        try:
            self.store.book.new_case(
                case_id,
                cmd.case_type,
                tx.now,
                site_id=site_id,
                title=cmd.title,
                by=cmd.by,
                customer_id=customer_id,
                value_tier=tier if cmd.value_tier is None else cmd.value_tier,
                priority=cmd.priority,
                fields=cmd.fields,
                owner=cmd.owner,
            )
            if cmd.contact_id is not None:
                book = self.store.book
                book.link(case_id, "contact", cmd.contact_id, tx.now, by=cmd.by, channel=channel)
                conv_id = self.state.conversation_of.get(cmd.contact_id)
                if conv_id is not None:
                    book.link(case_id, "conversation", conv_id, tx.now, by=cmd.by, channel=channel)
        finally:
            self.store.sync(tx.now)
        case = self.store.book.case(case_id)
        for hook in self.opened:
            await hook(tx, case)
        return self.store.book.case(case_id)

    async def update(self, tx: Transaction, cmd: UpdateCase) -> Case:
        book = self.store.book
        case = book.case(cmd.case_id)
        unchanged = (cmd.case_type, cmd.value_tier, cmd.priority) == (None, None, None)
        if unchanged and not cmd.fields:
            raise ValidationError("nothing to change")
        try:
            if cmd.fields:
                book.set_fields(cmd.case_id, cmd.fields, tx.now, by=cmd.by)
            if cmd.case_type is not None or cmd.value_tier is not None:
                case_type = cmd.case_type or case.case_type
                tier = case.value_tier if cmd.value_tier is None else cmd.value_tier
                book.classify(cmd.case_id, case_type, tier, tx.now, by=cmd.by)
            if cmd.priority is not None and cmd.priority != case.priority:
                book.set_priority(cmd.case_id, cmd.priority, tx.now, by=cmd.by, reason="set")
                self._raise_work(tx, cmd.case_id)
        finally:
            self.store.sync(tx.now)
        return book.case(cmd.case_id)

    async def assign(self, tx: Transaction, cmd: AssignCase) -> Case:
        book = self.store.book
        book.case(cmd.case_id)
        if cmd.owner is None and cmd.department is None:
            raise ValidationError("assign to an owner or involve a department")
        self._check_owner(cmd.owner)
        try:
            if cmd.owner is not None:
                book.assign(cmd.case_id, cmd.owner, tx.now, by=cmd.by, reason=cmd.reason)
            if cmd.department is not None:
                book.involve(cmd.case_id, cmd.department, tx.now, by=cmd.by)
        finally:
            self.store.sync(tx.now)
        return book.case(cmd.case_id)

    async def move(self, tx: Transaction, cmd: MoveCase) -> Case:
        try:
            to = CaseState(cmd.to)
        except ValueError as exc:
            raise ValidationError(f"unknown case state {cmd.to!r}", state=cmd.to) from exc
        try:
            self.store.book.move(
                cmd.case_id,
                to,
                tx.now,
                by=cmd.by,
                reason=cmd.reason,
                department=cmd.department,
                root_cause=cmd.root_cause,
                resolution=cmd.resolution,
            )
        finally:
            self.store.sync(tx.now)
        case = self.store.book.case(cmd.case_id)
        for hook in self.moved:
            await hook(tx, case)
        return self.store.book.case(cmd.case_id)

    async def note(self, tx: Transaction, cmd: AddCaseNote) -> Case:
        book = self.store.book
        case = book.case(cmd.case_id)
        try:
            note_id = f"n{len(case.notes) + 1}"
            book.note(cmd.case_id, note_id, cmd.text, tx.now, author=cmd.by, internal=cmd.internal)
            if not cmd.internal and case.state is not CaseState.CLOSED:
                book.respond(cmd.case_id, tx.now, by=cmd.by, channel=cmd.channel)
        finally:
            self.store.sync(tx.now)
        return book.case(cmd.case_id)

    async def link(self, tx: Transaction, cmd: LinkToCase) -> Case:
        book = self.store.book
        if cmd.kind in ("contact", "work_item") and cmd.target_id not in tx.router.contacts:
            raise UnknownContact(f"unknown contact {cmd.target_id}", contact_id=cmd.target_id)
        if cmd.kind == "case":
            book.case(cmd.target_id)
        try:
            book.link(cmd.case_id, cmd.kind, cmd.target_id, tx.now, by=cmd.by, channel=cmd.channel)
        finally:
            self.store.sync(tx.now)
        return book.case(cmd.case_id)

    async def route_task(self, tx: Transaction, cmd: RouteCaseTask) -> dict[str, Any]:
        """Returns the work item's contact view (``contact_id``, ``position``, ...)."""
        book = self.store.book
        case = book.case(cmd.case_id)
        if case.state is CaseState.CLOSED:
            raise ValidationError(f"case {cmd.case_id} is closed", case_id=cmd.case_id)
        queue = tx.router.queues.get(cmd.queue_id)
        if queue is None:
            raise UnknownQueue(f"unknown queue {cmd.queue_id!r}", queue_id=cmd.queue_id)
        if queue.spec.channel is not Channel.WORKITEM:
            raise ValidationError(
                f"queue {cmd.queue_id} takes {queue.spec.channel.value} contacts, not work items",
                queue_id=cmd.queue_id,
            )
        if not cmd.task.strip():
            raise ValidationError("a task needs a description")
        due = self._resolution_due(case, tx.now)
        attributes = {
            "case_id": case.case_id,
            "case_type": case.case_type,
            "task": cmd.task.strip()[:200],
        }
        if due is not None:
            attributes["sla_due"] = f"{due:.0f}"
        view: dict[str, Any] = await tx.dispatch(
            c.CreateContact(
                cmd.queue_id,
                value_tier=case.value_tier,
                priority=case.priority,
                customer_id=case.customer_id,
                attributes=attributes,
            )
        )
        contact_id = str(view["contact_id"])
        if case.customer_id is not None:
            # On the customer's timeline, and seen by the back-office agent who takes it.
            ref = ContactRef(contact_id, Channel.WORKITEM.value, tx.now, summary=attributes["task"])
            self.state.directory.record_contact(case.customer_id, ref, at=tx.now)
        try:
            book.link(case.case_id, "work_item", contact_id, tx.now, by=cmd.by, channel="workitem")
        finally:
            self.store.sync(tx.now)
        return view

    async def sla_due(self, tx: Transaction, cmd: CaseSlaDue) -> None:
        """Take the escalation steps due now; notices go out once they are stored."""
        book = self.store.book
        if cmd.case_id not in book.cases:
            return
        decision = self.store.decision(cmd.case_id, tx.now)
        notices: list[Notice] = []
        stuck = False
        try:
            for action in decision.actions:
                case = book.case(cmd.case_id)
                to = action.to if action.action.value == "reassign" else None
                book.escalate(
                    cmd.case_id, action.clock.value, action.step, action.action.value, tx.now, to=to
                )
                if book.case(cmd.case_id).priority != case.priority:
                    self._raise_work(tx, cmd.case_id)
                notices.append((cmd.case_id, action.clock.value, action.action.value, action.to))
        except KefuError:
            # A step that cannot be taken would fall due again at once, for ever: the case
            # waits for its next change instead.
            log.exception("an SLA step of case %s cannot be taken", cmd.case_id)
            stuck = True
        finally:
            self.store.sync(tx.now)
        if stuck:
            self.store.disarm(cmd.case_id)
        else:
            self.store.rearm(cmd.case_id, tx.now)  # the next step, even when none was due
        for notice in notices:
            tx.then(lambda n=notice: self._tell(n))  # type: ignore[misc]

    # -- helpers --------------------------------------------------------------------------
    def _check_owner(self, owner: tuple[str, str] | None) -> None:
        """A team owner must be one of the center's teams (422 naming ``owner``)."""
        teams = self.teams
        if teams is None or owner is None or owner[0] != "team" or owner[1] in teams:
            return
        raise ValidationError(
            f"unknown team {owner[1][:64]!r}",
            text_key="error.owner_team",
            field="owner",
            team_id=owner[1][:64],
        )

    def guard_team(self, team_id: str) -> None:
        """:class:`TeamInUse` while the team owns cases not yet resolved, or a case type's
        escalation reassigns to it (a team is removed only when nothing needs it)."""
        cases = self.store.book.cases
        index = self.store.index
        done = (CaseState.RESOLVED, CaseState.CLOSED)
        owned = sum(
            1
            for rank in index.owner.of(team_id)
            if (case := cases[index.ids[rank]]).owner_kind == "team" and case.state not in done
        )
        if owned:
            raise TeamInUse(
                f"team {team_id} owns {owned} open case(s): give them to another owner first",
                team_id=team_id,
                cases=owned,
            )
        named = self.config.types_reassigning_to(team_id)
        if named:
            raise TeamInUse(
                f"case type {named[0]} reassigns to team {team_id}: change its escalation "
                "steps first",
                text_key="error.team_in_escalation",
                team_id=team_id,
                case_type=named[0],
            )

    def _resolution_due(self, case: Case, now: float) -> float | None:
        decision = self.store.decision(case.case_id, now)
        for status in decision.clocks:
            if status.clock is SlaClock.RESOLUTION:
                return status.due_at
        return None

    def _raise_work(self, tx: Transaction, case_id: str) -> None:
        """Give the case's waiting work items its new priority in the router."""
        case = self.store.book.case(case_id)
        for link in case.links:
            if link.kind != "work_item":
                continue
            contact = tx.router.contacts.get(link.target_id)
            if contact is not None and contact.state is ContactState.QUEUED:
                tx.router.reprioritize(link.target_id, case.priority, tx.now)

    def _tell(self, notice: Notice) -> None:
        for listener in list(self.listeners):
            try:
                listener(notice)
            except Exception:
                log.exception("a case listener failed")
