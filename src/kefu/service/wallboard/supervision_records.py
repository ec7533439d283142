"""The supervision desk's records and commands: a queue's alert thresholds and the test
of the figures against them, a skill lent to an agent, a message sent to agents, and the
commands that set, lend, return and send them (handled by
:class:`~kefu.service.wallboard.supervision.SupervisionDesk`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kefu.service.commands import Command

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
    "breached",
]

SUPERVISION_STREAM = "supervision"
MAX_NOTICE = 500
"""The longest message to agents (characters)."""


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
