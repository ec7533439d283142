"""What supervisors do from the wallboard besides watching: lend an agent a skill for the
day, send agents a short message, and set the alert thresholds of a queue.

Each is a command; its handler checks everything before anything changes, records the
change in the ``supervision`` stream of the channel log (one ``seq`` with the rest) and in
the audit log (who, when, before and after). :class:`SupervisionDesk` is a part of the
engine's transaction: loading replays the stream, so a restart keeps the thresholds, the
lent skills and their expiries. A lent skill is an :class:`~kefu.service.routing.UpdateAgent`
of the agent's skills; its expiry (the end of the site's day unless given) is a timer of the
part, whose :class:`ReturnSkill` puts the agent's level before the loan back.

Changing an agent's state is no command of this module: the wallboard sends the routing
command :class:`~kefu.service.routing.SetAgentState`, as the API does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kefu.domain.errors import UnknownAgent, UnknownQueue, ValidationError
from kefu.service.channels.ports import ChannelRecord
from kefu.service.commands import Command
from kefu.service.ports import UnitOfWork
from kefu.service.routing.commands import UpdateAgent
from kefu.service.transaction import Handler, Transaction

__all__ = [
    "MAX_NOTICE",
    "SUPERVISION_STREAM",
    "AgentNotice",
    "LendSkill",
    "LentSkill",
    "MessageAgents",
    "QueueAlert",
    "ReturnSkill",
    "SetQueueAlert",
    "SupervisionDesk",
    "breached",
]

SUPERVISION_STREAM = "supervision"
MAX_NOTICE = 500
"""The longest message to agents (characters)."""
_SKILL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
Log = Callable[[float, str, str, str, dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class QueueAlert:
    """A queue's alert thresholds (``None``: not watched): service level today below
    ``sl_below`` (a fraction 0–1), more than ``waiting_above`` contacts waiting, the longest
    wait above ``longest_wait_above_s`` seconds."""

    queue_id: str
    sl_below: float | None = None
    waiting_above: int | None = None
    longest_wait_above_s: float | None = None

    def to_record(self) -> dict[str, Any]:
        return {
            "queue_id": self.queue_id,
            "sl_below": self.sl_below,
            "waiting_above": self.waiting_above,
            "longest_wait_above_s": self.longest_wait_above_s,
        }

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> QueueAlert:
        return cls(
            data["queue_id"],
            data.get("sl_below"),
            data.get("waiting_above"),
            data.get("longest_wait_above_s"),
        )


def breached(
    alert: QueueAlert | None,
    service_level: float | None,
    waiting: int,
    longest_wait_s: float,
) -> tuple[str, ...]:
    """The thresholds of ``alert`` the figures pass: ``sl``, ``waiting``, ``longest_wait``."""
    if alert is None:
        return ()
    out: list[str] = []
    below = alert.sl_below
    if below is not None and service_level is not None and service_level < below:
        out.append("sl")
    if alert.waiting_above is not None and waiting > alert.waiting_above:
        out.append("waiting")
    if alert.longest_wait_above_s is not None and longest_wait_s > alert.longest_wait_above_s:
        out.append("longest_wait")
    return tuple(out)


@dataclass(frozen=True, slots=True)
class LentSkill:
    """A skill an agent has until ``until`` (epoch seconds) at ``level``; ``had``: its level
    before the loan (``None``: it did not have the skill)."""

    agent_id: str
    skill: str
    level: int
    until: float
    had: int | None

    def to_record(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "skill": self.skill,
            "level": self.level,
            "until": self.until,
            "had": self.had,
        }

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> LentSkill:
        return cls(data["agent_id"], data["skill"], data["level"], data["until"], data["had"])


@dataclass(frozen=True, slots=True)
class AgentNotice:
    """A message a supervisor sent to ``agent_ids`` at ``at`` (epoch seconds)."""

    notice_id: str
    at: float
    site_id: str
    sender: str
    text: str
    agent_ids: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "notice_id": self.notice_id,
            "at": self.at,
            "site_id": self.site_id,
            "sender": self.sender,
            "text": self.text,
            "agent_ids": list(self.agent_ids),
        }


@dataclass(frozen=True, slots=True)
class SetQueueAlert(Command):
    """Set the alert thresholds of a queue (all ``None``: no alert). ``sl_below`` is a
    fraction 0–1, ``longest_wait_above_s`` seconds."""

    queue_id: str
    sl_below: float | None = None
    waiting_above: int | None = None
    longest_wait_above_s: float | None = None


@dataclass(frozen=True, slots=True)
class LendSkill(Command):
    """Give agent ``agent_id`` the skill ``skill`` at ``level`` (1–10) until ``until``
    (epoch seconds; ``None``: the end of the day in the agent's site's time zone)."""

    agent_id: str
    skill: str
    level: int
    until: float | None = None


@dataclass(frozen=True, slots=True)
class ReturnSkill(Command):
    """End the loan of ``skill`` to ``agent_id``: its level before comes back."""

    agent_id: str
    skill: str


@dataclass(frozen=True, slots=True)
class MessageAgents(Command):
    """Send ``text`` to one agent (``agent_id``), the agents of a queue (``queue_id``: those
    of the site with its skills) or every agent of ``site_id``."""

    site_id: str
    text: str
    agent_id: str | None = None
    queue_id: str | None = None


def _refuse(message: str, key: str, **details: Any) -> ValidationError:
    return ValidationError(message, text_key=key, **details)


def _end_of_day(now: float, timezone: str) -> float:
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = datetime.fromtimestamp(now, zone)
    midnight = datetime(local.year, local.month, local.day, tzinfo=zone) + timedelta(days=1)
    return midnight.timestamp()


class SupervisionDesk:
    """Alert thresholds, lent skills and the messages sent, rebuilt from the
    ``supervision`` stream of the channel log (``log_record``)."""

    def __init__(self, log_record: Log) -> None:
        self._log = log_record
        self.alerts: dict[str, QueueAlert] = {}
        self.lent: dict[tuple[str, str], LentSkill] = {}
        self._returning: set[tuple[str, str]] = set()
        self.notices: list[AgentNotice] = []
        self.sent: list[Callable[[AgentNotice], None]] = []
        """Run with each message after its commit (the desktops show it)."""

    def handlers(self) -> dict[type[Command], Handler]:
        return {
            SetQueueAlert: self.set_alert,
            LendSkill: self.lend,
            ReturnSkill: self.give_back,
            MessageAgents: self.message,
        }

    # -- alerts --------------------------------------------------------------------------
    async def set_alert(self, tx: Transaction, cmd: SetQueueAlert) -> dict[str, Any]:
        if cmd.queue_id not in tx.router.queues:
            raise UnknownQueue(f"unknown queue {cmd.queue_id!r}", queue_id=cmd.queue_id)
        if cmd.sl_below is not None and not 0.0 <= cmd.sl_below <= 1.0:
            raise _refuse("sl_below must be 0 to 1", "error.alert_threshold", field="sl_below")
        if cmd.waiting_above is not None and not 0 <= cmd.waiting_above <= 100_000:
            raise _refuse(
                "waiting_above must be 0 to 100000", "error.alert_threshold", field="waiting_above"
            )
        wait = cmd.longest_wait_above_s
        if wait is not None and not 0.0 <= wait <= 86_400.0:
            raise _refuse(
                "longest_wait_above_s must be 0 to 86400 seconds",
                "error.alert_threshold",
                field="longest_wait_above_s",
            )
        alert = QueueAlert(cmd.queue_id, cmd.sl_below, cmd.waiting_above, wait)
        before = self.alerts.get(cmd.queue_id)
        self.alerts[cmd.queue_id] = alert
        data = alert.to_record()
        self._log(tx.now, SUPERVISION_STREAM, "alert", cmd.queue_id, data)
        site = tx.router.queues[cmd.queue_id].spec.site_id
        old = None if before is None else before.to_record()
        tx.audit("queue.alert", "queue", cmd.queue_id, site, old, data)
        return data

    def alert(self, queue_id: str) -> QueueAlert | None:
        return self.alerts.get(queue_id)

    # -- lent skills ---------------------------------------------------------------------
    async def lend(self, tx: Transaction, cmd: LendSkill) -> dict[str, Any]:
        agent = tx.router.agents.get(cmd.agent_id)
        if agent is None:
            raise UnknownAgent(f"unknown agent {cmd.agent_id!r}", agent_id=cmd.agent_id)
        if not _SKILL.match(cmd.skill):
            raise _refuse(
                "a skill is 1–64 letters, digits or _.:-", "error.skill_name", field="skill"
            )
        if not 1 <= cmd.level <= 10:
            raise _refuse(
                "a skill level is 1 to 10", "error.skill_level", field="level", skill=cmd.skill
            )
        site = tx.sites.get(agent.spec.site_id or "")
        until = cmd.until
        if until is None:
            until = _end_of_day(tx.now, site.timezone if site else "UTC")
        if until <= tx.now or until > tx.now + 7 * 86_400.0:
            raise _refuse(
                "the loan must end within 7 days from now", "error.skill_until", field="until"
            )
        key = (cmd.agent_id, cmd.skill)
        earlier = self.lent.get(key)
        had = earlier.had if earlier else agent.spec.skills.get(cmd.skill)
        skills = {**agent.spec.skills, cmd.skill: cmd.level}
        await tx.dispatch(UpdateAgent(cmd.agent_id, {"skills": skills}))
        loan = LentSkill(cmd.agent_id, cmd.skill, cmd.level, until, had)
        self.lent[key] = loan
        self._returning.discard(key)
        data = loan.to_record()
        self._log(tx.now, SUPERVISION_STREAM, "lent", f"{cmd.agent_id}:{cmd.skill}", data)
        before = {"skill": cmd.skill, "level": agent.spec.skills.get(cmd.skill)}
        tx.audit("agent.lend_skill", "agent", cmd.agent_id, agent.spec.site_id, before, data)
        return data

    async def give_back(self, tx: Transaction, cmd: ReturnSkill) -> dict[str, Any]:
        key = (cmd.agent_id, cmd.skill)
        loan = self.lent.get(key)
        agent = tx.router.agents.get(cmd.agent_id)
        if loan is None or agent is None:
            self.lent.pop(key, None)
            self._returning.discard(key)
            return {"agent_id": cmd.agent_id, "skill": cmd.skill, "returned": False}
        skills = dict(agent.spec.skills)
        if loan.had is None:
            skills.pop(cmd.skill, None)
        else:
            skills[cmd.skill] = loan.had
        await tx.dispatch(UpdateAgent(cmd.agent_id, {"skills": skills}))
        del self.lent[key]
        self._returning.discard(key)
        data = {"agent_id": cmd.agent_id, "skill": cmd.skill, "level": loan.had}
        self._log(tx.now, SUPERVISION_STREAM, "returned", f"{cmd.agent_id}:{cmd.skill}", data)
        before = {"skill": cmd.skill, "level": agent.spec.skills.get(cmd.skill)}
        tx.audit("agent.return_skill", "agent", cmd.agent_id, agent.spec.site_id, before, data)
        return {**data, "returned": True}

    def loans(self, agent_id: str | None = None) -> list[LentSkill]:
        """The loans running (of one agent), soonest ending first."""
        found = [v for v in self.lent.values() if agent_id is None or v.agent_id == agent_id]
        return sorted(found, key=lambda loan: (loan.until, loan.agent_id, loan.skill))

    # -- the timers ----------------------------------------------------------------------
    def next_due(self) -> float | None:
        pending = [v.until for k, v in self.lent.items() if k not in self._returning]
        return min(pending, default=None)

    def due(self, now: float) -> list[Any]:
        out: list[Any] = []
        for key, loan in sorted(self.lent.items()):
            if loan.until <= now and key not in self._returning:
                self._returning.add(key)
                out.append(ReturnSkill(*key))
        return out

    # -- messages ------------------------------------------------------------------------
    async def message(self, tx: Transaction, cmd: MessageAgents) -> dict[str, Any]:
        text = cmd.text.strip()
        if not text or len(text) > MAX_NOTICE:
            raise _refuse(
                f"a message has 1 to {MAX_NOTICE} characters", "error.notice_text", field="text"
            )
        agents = tx.router.agents
        if cmd.agent_id is not None:
            agent = agents.get(cmd.agent_id)
            if agent is None or agent.spec.site_id != cmd.site_id:
                raise UnknownAgent(f"unknown agent {cmd.agent_id!r}", agent_id=cmd.agent_id)
            targets = [cmd.agent_id]
        elif cmd.queue_id is not None:
            queue = tx.router.queues.get(cmd.queue_id)
            if queue is None:
                raise UnknownQueue(f"unknown queue {cmd.queue_id!r}", queue_id=cmd.queue_id)
            need = queue.spec.skills
            targets = [
                a
                for a, rec in agents.items()
                if rec.spec.site_id == cmd.site_id
                and all(rec.spec.skills.get(s, 0) >= lvl for s, lvl in need.items())
            ]
        else:
            targets = [a for a, rec in agents.items() if rec.spec.site_id == cmd.site_id]
        sender = "system" if tx.actor is None else tx.actor.username
        notice = AgentNotice(
            f"n{int(tx.now * 1000)}-{len(self.notices) + 1}",
            tx.now,
            cmd.site_id,
            sender,
            text,
            tuple(sorted(targets)),
        )
        self.notices.append(notice)
        data = notice.to_json()
        self._log(tx.now, SUPERVISION_STREAM, "message", notice.notice_id, data)
        tx.audit("agent.message", "site", cmd.site_id, cmd.site_id, None, data)
        for listener in self.sent:
            tx.then(partial(listener, notice))
        return data

    # -- the state part ------------------------------------------------------------------
    def fetch(self, uow: UnitOfWork) -> list[ChannelRecord]:
        return [r for r in uow.channels.read() if r.stream == SUPERVISION_STREAM]

    def load(self, records: Iterable[ChannelRecord]) -> None:
        """Every recorded change in ``seq`` order."""
        self.alerts, self.lent, self._returning, self.notices = {}, {}, set(), []
        for record in records:
            data = record.data
            if record.kind == "alert":
                alert = QueueAlert.from_record(data)
                self.alerts[alert.queue_id] = alert
            elif record.kind == "lent":
                loan = LentSkill.from_record(data)
                self.lent[(loan.agent_id, loan.skill)] = loan
            elif record.kind == "returned":
                self.lent.pop((data["agent_id"], data["skill"]), None)
            elif record.kind == "message":
                self.notices.append(
                    AgentNotice(
                        data["notice_id"],
                        data["at"],
                        data["site_id"],
                        data["sender"],
                        data["text"],
                        tuple(data["agent_ids"]),
                    )
                )

    def reconcile(self, router: Any, now: float) -> None:
        del router, now  # the loans' expiries run as timers

    def take_writes(self) -> list[Callable[[UnitOfWork], None]]:
        return []  # the records go with the channel log's
