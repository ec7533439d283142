"""Counters of a branch hall: their numbers, and why a counter is not calling anyone.

A counter is an agent with branch capacity whose skills meet those of at least one branch
service (queue). Counters are numbered 1, 2, ... per site in the order their agents were
defined, so an agent added later gets the next number and the others keep theirs; the hall
display shows the number, not the clerk's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kefu.domain.model import AgentPresence, Channel, ContactState
from kefu.domain.routing import Router
from kefu.domain.routing.records import AgentRecord, QueueRecord
from kefu.i18n import catalogs
from kefu.service.channels.texts import DEFAULT_LANGUAGE

__all__ = ["IdleReason", "counter_number", "counter_of", "idle_reason"]


def _serves(agent: AgentRecord, queue: QueueRecord) -> bool:
    skills = agent.spec.skills
    return all(skills.get(skill, 0) >= level for skill, level in queue.spec.skills.items())


def _services(router: Router, agent: AgentRecord) -> list[str]:
    """The branch queues ``agent`` may be called for."""
    if agent.capacity.get(Channel.BRANCH, 0) <= 0:
        return []
    return sorted(
        queue_id
        for queue_id, queue in router.queues.items()
        if queue.spec.channel is Channel.BRANCH and _serves(agent, queue)
    )


def counter_number(router: Router, agent_id: str) -> int | None:
    """The number of ``agent_id``'s counter in its site (1-based), None when it is not one."""
    agent = router.agents.get(agent_id)
    if agent is None or not _services(router, agent):
        return None
    site = agent.spec.site_id
    counters = sorted(
        (a for a in router.agents.values() if a.spec.site_id == site and _services(router, a)),
        key=lambda a: a.seq,
    )
    return next(n for n, a in enumerate(counters, 1) if a.agent_id == agent_id)


def counter_of(
    router: Router, agent_id: str | None, language: str = DEFAULT_LANGUAGE
) -> tuple[str | None, int | None]:
    """The counter of ``agent_id`` as the catalog's ``branch.counter_no`` in ``language``
    ("Counter 3"; pages show ``counter_no`` in their reader's language; the agent's name
    when it is no numbered counter) and its number."""
    agent = router.agents.get(agent_id) if agent_id else None
    if agent is None:
        return agent_id, None
    number = counter_number(router, agent.agent_id)
    if number is None:
        return agent.spec.name or agent.agent_id, None
    return catalogs().get(language).text("branch.counter_no", n=number), number


@dataclass(frozen=True, slots=True)
class IdleReason:
    """Why a counter serves no ticket (:func:`idle_reason`)."""

    code: str
    waiting_elsewhere: int
    held: int

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "waiting_elsewhere": self.waiting_elsewhere, "held": self.held}


def idle_reason(router: Router, agent_id: str) -> IdleReason | None:
    """Why the counter of ``agent_id`` serves no ticket now (None while it serves one):
    ``code`` is one of ``not_counter`` (no branch capacity or no service its skills
    meet), ``paused``/``offline`` (its presence), ``busy`` (``held`` contacts of other
    channels block it), ``nobody_waiting`` or ``not_offered`` (tickets wait but none was
    offered, e.g. all already declined by it); ``waiting_elsewhere`` counts the tickets
    waiting at services it does not serve."""
    agent = router.agents.get(agent_id)
    if agent is None:
        return IdleReason("not_counter", 0, 0)
    if any(c.channel is Channel.BRANCH for c in agent.held.values()):
        return None
    mine = _services(router, agent)
    waiting = {
        queue_id: router.queue_status(queue_id)["waiting"]
        for queue_id, queue in router.queues.items()
        if queue.spec.channel is Channel.BRANCH
    }
    elsewhere = sum(n for queue_id, n in waiting.items() if queue_id not in mine)
    others = sum(1 for c in agent.held.values() if c.state is not ContactState.COMPLETED)
    if not mine:
        code = "not_counter"
    elif agent.presence is AgentPresence.OFFLINE:
        code = "offline"
    elif agent.presence is not AgentPresence.READY or agent.pending is not None:
        code = "paused"
    elif others:
        code = "busy"
    elif not any(waiting[queue_id] for queue_id in mine):
        code = "nobody_waiting"
    else:
        code = "not_offered"
    return IdleReason(code, elsewhere, others)
