"""Agents' work rules and published schedules, recorded in the log.

:class:`SetWorkRules` stores how an agent may be scheduled (contracted hours per week,
weekdays off, most working days, rest between shifts, preferred start); agents without
rules get :class:`~kefu.workforce.roster.WorkRules`' defaults. :class:`PublishSchedule`
stores a site's shifts over a range (start and end in seconds since the epoch, breaks as
(start, end) pairs, the site's time zone to show them in); it replaces the site's shifts
that start in that range. Both are recorded in the ``workforce`` stream of the channel log
and audited; :class:`WorkforceBook` is a part of the engine's transaction, rebuilt by
replaying the stream.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from kefu.domain.errors import UnknownAgent, ValidationError
from kefu.service.channels.ports import ChannelRecord
from kefu.service.commands import Command
from kefu.service.ports import UnitOfWork
from kefu.service.transaction import Handler, Transaction
from kefu.workforce.roster import WorkRules

__all__ = [
    "WORKFORCE_STREAM",
    "PublishSchedule",
    "PublishedShift",
    "SetWorkRules",
    "WorkforceBook",
]

WORKFORCE_STREAM = "workforce"
MAX_SHIFTS = 5000
MAX_SHIFT_S = 16 * 3600.0
Log = Callable[[float, str, str, str, dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class PublishedShift:
    """One agent's shift: [start, end) and breaks (start, end), seconds since the epoch."""

    agent_id: str
    start: float
    end: float
    breaks: tuple[tuple[float, float], ...] = ()
    site_id: str = ""
    name: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "site_id": self.site_id,
            "name": self.name,
            "start": self.start,
            "end": self.end,
            "breaks": [list(b) for b in self.breaks],
        }


@dataclass(frozen=True, slots=True)
class SetWorkRules(Command):
    """Set an agent's work rules (see :class:`~kefu.workforce.roster.WorkRules`)."""

    agent_id: str
    rules: WorkRules


@dataclass(frozen=True, slots=True)
class PublishSchedule(Command):
    """Publish ``site_id``'s shifts over [since, until) (s), replacing those published
    before that start in the range: of ``agents`` only when given (a plan of some queues'
    agents leaves the others' shifts alone), else of every agent of the site."""

    site_id: str
    since: float
    until: float
    shifts: tuple[PublishedShift, ...]
    agents: tuple[str, ...] | None = None


def rules_json(rules: WorkRules) -> dict[str, Any]:
    return {
        "contracted_hours": rules.contracted_hours,
        "days_off": sorted(rules.days_off),
        "max_days": rules.max_days,
        "min_rest_hours": rules.min_rest_hours,
        "preferred_start": None if rules.preferred_start is None else list(rules.preferred_start),
    }


def rules_of_json(data: Any) -> WorkRules:
    start = data.get("preferred_start")
    return WorkRules(
        contracted_hours=float(data["contracted_hours"]),
        days_off=frozenset(int(d) for d in data["days_off"]),
        max_days=int(data["max_days"]),
        min_rest_hours=float(data["min_rest_hours"]),
        preferred_start=None if start is None else (int(start[0]), int(start[1])),
    )


def _shift_of_json(site_id: str, data: Any) -> PublishedShift:
    return PublishedShift(
        str(data["agent_id"]),
        float(data["start"]),
        float(data["end"]),
        tuple((float(b[0]), float(b[1])) for b in data["breaks"]),
        site_id,
        str(data.get("name", "")),
    )


def _bad(message: str, **details: Any) -> ValidationError:
    return ValidationError(message, text_key="error.schedule_shift", **details)


class WorkforceBook:
    """The agents' work rules and every site's published shifts."""

    def __init__(self, log_record: Log) -> None:
        self._log = log_record
        self.rules: dict[str, WorkRules] = {}
        self._shifts: dict[str, list[PublishedShift]] = {}

    def handlers(self) -> dict[type[Command], Handler]:
        return {SetWorkRules: self.set_rules, PublishSchedule: self.publish}

    # -- handlers ------------------------------------------------------------------------
    async def set_rules(self, tx: Transaction, cmd: SetWorkRules) -> WorkRules:
        agent = tx.router.agents.get(cmd.agent_id)
        if agent is None:
            raise UnknownAgent(f"unknown agent {cmd.agent_id!r}", agent_id=cmd.agent_id)
        before = self.rules.get(cmd.agent_id)
        data = rules_json(cmd.rules)
        self._log(tx.now, WORKFORCE_STREAM, "rules", cmd.agent_id, data)
        self.rules[cmd.agent_id] = cmd.rules
        tx.audit(
            "workforce.rules",
            "agent",
            cmd.agent_id,
            agent.spec.site_id,
            None if before is None else rules_json(before),
            data,
        )
        return cmd.rules

    async def publish(self, tx: Transaction, cmd: PublishSchedule) -> list[PublishedShift]:
        if cmd.site_id not in tx.sites:
            raise _bad(f"unknown site {cmd.site_id!r}", site_id=cmd.site_id)
        if not cmd.until > cmd.since:
            raise ValidationError("the period ends before it starts", text_key="error.period_order")
        if len(cmd.shifts) > MAX_SHIFTS:
            raise _bad(f"at most {MAX_SHIFTS} shifts at once")
        shifts = sorted(
            (
                PublishedShift(s.agent_id, s.start, s.end, s.breaks, cmd.site_id, s.name)
                for s in cmd.shifts
            ),
            key=lambda s: (s.agent_id, s.start),
        )
        for shift in shifts:
            self._check(tx, cmd, shift)
            if cmd.agents is not None and shift.agent_id not in cmd.agents:
                raise _bad(
                    f"agent {shift.agent_id!r} has a shift but is not among the agents replaced",
                    agent_id=shift.agent_id,
                )
        for a, b in pairwise(shifts):
            if a.agent_id == b.agent_id and b.start < a.end:
                raise _bad(f"two shifts of agent {a.agent_id!r} overlap", agent_id=a.agent_id)
        agents = None if cmd.agents is None else sorted(set(cmd.agents))
        data = {
            "since": cmd.since,
            "until": cmd.until,
            "agents": agents,
            "shifts": [{k: v for k, v in s.to_json().items() if k != "site_id"} for s in shifts],
        }
        self._log(tx.now, WORKFORCE_STREAM, "published", cmd.site_id, data)
        self._replace(cmd.site_id, cmd.since, cmd.until, shifts, agents)
        tx.audit(
            "workforce.publish",
            "site",
            cmd.site_id,
            cmd.site_id,
            None,
            {"since": cmd.since, "until": cmd.until, "shifts": len(shifts), "agents": agents},
        )
        return shifts

    @staticmethod
    def _check(tx: Transaction, cmd: PublishSchedule, shift: PublishedShift) -> None:
        agent = tx.router.agents.get(shift.agent_id)
        if agent is None or agent.spec.site_id != cmd.site_id:
            raise UnknownAgent(
                f"agent {shift.agent_id!r} is not of site {cmd.site_id!r}",
                agent_id=shift.agent_id,
            )
        length = shift.end - shift.start
        if not (cmd.since <= shift.start < cmd.until and 0 < length <= MAX_SHIFT_S):
            raise _bad(
                f"a shift of agent {shift.agent_id!r} lies outside the period or lasts more "
                "than 16 hours",
                agent_id=shift.agent_id,
            )
        for b0, b1 in shift.breaks:
            if not shift.start <= b0 < b1 <= shift.end:
                raise _bad(
                    f"a break of agent {shift.agent_id!r} lies outside its shift",
                    agent_id=shift.agent_id,
                )

    def _replace(
        self,
        site_id: str,
        since: float,
        until: float,
        shifts: list[PublishedShift],
        agents: list[str] | None = None,
    ) -> None:
        replaced = None if agents is None else set(agents)
        kept = [
            s
            for s in self._shifts.get(site_id, [])
            if not since <= s.start < until or (replaced is not None and s.agent_id not in replaced)
        ]
        self._shifts[site_id] = sorted([*kept, *shifts], key=lambda s: (s.start, s.agent_id))

    # -- views ---------------------------------------------------------------------------
    def rules_for(self, agent_id: str) -> WorkRules:
        """The agent's rules, or the defaults."""
        return self.rules.get(agent_id) or WorkRules()

    def shifts(
        self,
        since: float,
        until: float,
        *,
        sites: Iterable[str] | None = None,
        agent_id: str | None = None,
    ) -> list[PublishedShift]:
        """Shifts overlapping [since, until) of ``sites`` (all: ``None``), of one agent
        when ``agent_id``, by start."""
        chosen = self._shifts.keys() if sites is None else [s for s in sites if s in self._shifts]
        out = [
            s
            for site in chosen
            for s in self._shifts[site]
            if s.end > since and s.start < until and (agent_id is None or s.agent_id == agent_id)
        ]
        return sorted(out, key=lambda s: (s.start, s.agent_id))

    # -- the state part ------------------------------------------------------------------
    def fetch(self, uow: UnitOfWork) -> list[ChannelRecord]:
        return [r for r in uow.channels.read() if r.stream == WORKFORCE_STREAM]

    def load(self, records: Iterable[ChannelRecord]) -> None:
        """Rebuild the rules and shifts from their records (in ``seq`` order)."""
        self.rules = {}
        self._shifts = {}
        for record in records:
            data = record.data
            if record.kind == "rules":
                self.rules[record.subject_id] = rules_of_json(data)
            elif record.kind == "published":
                site = record.subject_id
                shifts = [_shift_of_json(site, s) for s in data["shifts"]]
                agents = data.get("agents")
                self._replace(
                    site,
                    float(data["since"]),
                    float(data["until"]),
                    shifts,
                    None if agents is None else [str(a) for a in agents],
                )

    def reconcile(self, router: Any, now: float) -> None:
        del router, now  # rules and shifts need no reconciling with the router

    def take_writes(self) -> list[Callable[[UnitOfWork], None]]:
        return []  # the records go with the channel log's
