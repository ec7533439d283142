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

The records and the commands are in :mod:`kefu.service.wallboard.supervision_records`; their
names are also importable from here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
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
from kefu.service.wallboard.supervision_records import (
    MAX_NOTICE,
    SUPERVISION_STREAM,
    AgentNotice,
    LendSkill,
    LentSkill,
    MessageAgents,
    QueueAlert,
    ReturnSkill,
    SetQueueAlert,
    breached,
)

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

_SKILL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
Log = Callable[[float, str, str, str, dict[str, Any]], None]


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
