"""Case types and site calendars an admin defines, kept in the log.

Every change is a command (:class:`DefineCaseType`, :class:`UpdateCaseType`,
:class:`RetireCaseType`, :class:`SetSiteCalendar`) whose handler checks the definition, records
it in the ``case_type`` or ``site_calendar`` stream of the channel log (one ``seq`` with the
cases) and in the audit log, and gives it to the case wing: new cases are checked against the
new types, and the SLA timers of the cases not done are armed again on the new targets or the
site's new calendar. :class:`CaseConfigDesk` is a part of the engine's transaction, attached
before the case book: loading replays both streams, so a restart serves the same types and
calendars.

The built-in types (:data:`~kefu.service.cases.catalog.DEFAULT_TYPES`) are the seeded
defaults: an admin updates or retires them like any other; a site without a calendar of its
own works the default hours in its time zone. Times are seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from kefu.domain.calendar import BusinessCalendar
from kefu.domain.cases import (
    CaseTypeConfig,
    CaseTypeExists,
    EscalationAction,
    SiteCalendar,
    SlaPolicy,
    UnknownCaseType,
    policy_of,
)
from kefu.domain.errors import ValidationError
from kefu.service.cases.store import CaseStore
from kefu.service.channels.ports import ChannelRecord
from kefu.service.commands import Command
from kefu.service.errors import UnknownSite
from kefu.service.ports import UnitOfWork
from kefu.service.teams import TeamBook
from kefu.service.transaction import Handler, Transaction

__all__ = [
    "CALENDAR_STREAM",
    "TYPE_STREAM",
    "CaseConfigDesk",
    "DefineCaseType",
    "RetireCaseType",
    "SetSiteCalendar",
    "UpdateCaseType",
    "default_configs",
]

TYPE_STREAM = "case_type"
CALENDAR_STREAM = "site_calendar"


@dataclass(frozen=True, slots=True)
class DefineCaseType(Command):
    """A new case type, ``data`` in :meth:`CaseTypeConfig.to_dict`'s form."""

    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class UpdateCaseType(Command):
    """The whole new definition of ``type_id`` (its cases keep their fields)."""

    type_id: str
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class RetireCaseType(Command):
    """``type_id`` takes no new cases; its cases keep it."""

    type_id: str


@dataclass(frozen=True, slots=True)
class SetSiteCalendar(Command):
    """The site's business calendar, ``data`` in :meth:`SiteCalendar.to_dict`'s form."""

    site_id: str
    data: Mapping[str, Any]


class CaseWingLike(Protocol):
    """What the desk changes in the case wing."""

    store: CaseStore
    teams: TeamBook | None

    def log(self, at: float, stream: str, kind: str, subject: str, data: dict[str, Any]) -> None:
        """Record ``data`` in the channel log."""
        ...

    def calendar(self, site_id: str) -> BusinessCalendar:
        """The site's business calendar now."""
        ...

    def set_calendars(self, calendars: Mapping[str, BusinessCalendar]) -> None:
        """The sites' own calendars."""
        ...


def default_configs(types: Iterable[Any], policy: SlaPolicy) -> list[CaseTypeConfig]:
    """The seeded case types with their targets in ``policy``."""
    return [
        CaseTypeConfig(t, dict(policy.targets.get(t.type_id, {})), policy.steps_for(t.type_id))
        for t in types
    ]


class CaseConfigDesk:
    """The case types and site calendars of the case wing ``wing``, seeded with
    ``defaults``."""

    def __init__(self, wing: CaseWingLike, defaults: Iterable[CaseTypeConfig]) -> None:
        self.wing = wing
        self._defaults = {c.type_id: c for c in defaults}
        self.types: dict[str, CaseTypeConfig] = dict(self._defaults)
        self.calendars: dict[str, SiteCalendar] = {}

    def handlers(self) -> dict[type[Command], Handler]:
        return {
            DefineCaseType: self.define,
            UpdateCaseType: self.update,
            RetireCaseType: self.retire,
            SetSiteCalendar: self.set_calendar,
        }

    def builtin(self, type_id: str) -> bool:
        return type_id in self._defaults

    def config(self, type_id: str) -> CaseTypeConfig:
        found = self.types.get(type_id)
        if found is None:
            raise UnknownCaseType(f"unknown case type {type_id}", case_type=type_id)
        return found

    def calendar_of(self, site_id: str) -> SiteCalendar:
        """The site's calendar (without one of its own, the default hours in its zone)."""
        own = self.calendars.get(site_id)
        return own if own is not None else SiteCalendar(self.wing.calendar(site_id))

    def types_reassigning_to(self, team_id: str) -> list[str]:
        """The ids of the case types whose escalation reassigns to ``team_id`` (retired
        ones too: their open cases still escalate)."""
        return [
            c.type_id
            for c in self.types.values()
            if any(s.action is EscalationAction.REASSIGN and s.to == team_id for s in c.steps)
        ]

    def _check_steps(self, made: CaseTypeConfig) -> CaseTypeConfig:
        """A reassignment goes to one of the center's teams (when teams are wired)."""
        teams = self.wing.teams
        for index, step in enumerate(made.steps):
            if teams is None or step.action is not EscalationAction.REASSIGN:
                continue
            if step.to not in teams:
                raise ValidationError(
                    f"escalation step {index + 1} reassigns to unknown team {step.to!r}",
                    text_key="error.escalation_team",
                    field="escalations",
                    index=index,
                    team_id=str(step.to)[:64],
                )
        return made

    # -- handlers ------------------------------------------------------------------------
    async def define(self, tx: Transaction, cmd: DefineCaseType) -> CaseTypeConfig:
        made = self._check_steps(CaseTypeConfig.from_dict({**cmd.data, "retired": False}))
        if made.type_id in self.types:
            raise CaseTypeExists(
                f"case type {made.type_id} exists",
                text_key="error.case_type_exists",
                case_type=made.type_id,
            )
        return self._change(tx, "defined", made, None)

    async def update(self, tx: Transaction, cmd: UpdateCaseType) -> CaseTypeConfig:
        before = self.config(cmd.type_id)
        named = cmd.data.get("type_id", cmd.type_id)
        if named != cmd.type_id:
            raise ValidationError(
                f"the body names type {named!r}, not {cmd.type_id!r}",
                text_key="error.case_config",
                field="type_id",
                reason="the type id cannot change",
            )
        data = {**cmd.data, "type_id": cmd.type_id, "retired": before.case_type.retired}
        return self._change(
            tx, "updated", self._check_steps(CaseTypeConfig.from_dict(data)), before
        )

    async def retire(self, tx: Transaction, cmd: RetireCaseType) -> CaseTypeConfig:
        before = self.config(cmd.type_id)
        return self._change(tx, "retired", before.retired(), before)

    async def set_calendar(self, tx: Transaction, cmd: SetSiteCalendar) -> SiteCalendar:
        if cmd.site_id not in tx.sites:
            raise UnknownSite(f"unknown site {cmd.site_id!r}", site_id=cmd.site_id)
        made = SiteCalendar.from_dict(cmd.data)
        before = self.calendar_of(cmd.site_id).to_dict()
        after = made.to_dict()
        self.wing.log(tx.now, CALENDAR_STREAM, "set", cmd.site_id, after)
        tx.audit("site_calendar.set", "site", cmd.site_id, cmd.site_id, before, after)
        self.calendars[cmd.site_id] = made
        self._give_calendars()
        self.wing.store.rearm_all(tx.now, cmd.site_id)
        return made

    def _change(
        self, tx: Transaction, kind: str, made: CaseTypeConfig, before: CaseTypeConfig | None
    ) -> CaseTypeConfig:
        after = made.to_dict()
        self.wing.log(tx.now, TYPE_STREAM, kind, made.type_id, after)
        tx.audit(
            f"case_type.{kind}",
            "case_type",
            made.type_id,
            None,
            None if before is None else before.to_dict(),
            after,
        )
        self.types[made.type_id] = made
        self._give_types(tx.now)
        return made

    def _give_types(self, now: float | None) -> None:
        configs = list(self.types.values())
        self.wing.store.set_types([c.case_type for c in configs], policy_of(configs), now)

    def _give_calendars(self) -> None:
        self.wing.set_calendars({site: sc.calendar for site, sc in self.calendars.items()})

    # -- the state part ------------------------------------------------------------------
    def fetch(self, uow: UnitOfWork) -> list[ChannelRecord]:
        streams = (TYPE_STREAM, CALENDAR_STREAM)
        return [r for r in uow.channels.read() if r.stream in streams]

    def load(self, records: Iterable[ChannelRecord]) -> None:
        """Replay the types and calendars (before the case book loads, which takes them)."""
        self.types = dict(self._defaults)
        self.calendars = {}
        for record in records:
            if record.stream == TYPE_STREAM:
                self.types[record.subject_id] = CaseTypeConfig.from_dict(record.data)
            else:
                self.calendars[record.subject_id] = SiteCalendar.from_dict(record.data)
        self._give_types(None)
        self._give_calendars()

    def reconcile(self, router: Any, now: float) -> None:
        del router, now  # the case book arms its timers with what was given

    def take_writes(self) -> list[Callable[[UnitOfWork], None]]:
        return []  # the records go with the channel log's
