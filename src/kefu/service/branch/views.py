"""What the branch hall shows, read from the router: the services with their letters and
predicted waits, a ticket, a counter, and the hall display of the numbers called."""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kefu.domain.errors import InvalidState, UnknownQueue, ValidationError
from kefu.domain.model import Channel
from kefu.domain.routing import Router
from kefu.service.branch.counters import counter_number, counter_of, idle_reason
from kefu.service.channels.views import wait_info

__all__ = [
    "Called",
    "branch_queues",
    "counter_view",
    "display",
    "letter",
    "services",
    "ticket_view",
]


@dataclass(frozen=True, slots=True)
class Called:
    """A ticket called to a counter at ``at`` (seconds)."""

    ticket: str
    counter: str
    service: str
    at: float
    contact_id: str
    number: int | None = None
    """The counter's number (None when the agent is no numbered counter)."""


def branch_queues(router: Router) -> list[str]:
    """The ids of the branch services, in the order of their letters."""
    return sorted(q for q, r in router.queues.items() if r.spec.channel is Channel.BRANCH)


def letter(router: Router, queue_id: str) -> str:
    """The ticket letter of the service ``queue_id`` (A, B, ... by service id)."""
    queues = branch_queues(router)
    if queue_id not in queues:
        raise UnknownQueue(f"{queue_id!r} is not a branch service", queue_id=queue_id)
    index = queues.index(queue_id)
    if index >= len(string.ascii_uppercase):
        raise InvalidState("a hall has at most 26 services (one letter each)")
    return string.ascii_uppercase[index]


def services(router: Router) -> list[dict[str, Any]]:
    """The branch queues with their letter, waiting count and predicted wait (s)."""
    out = []
    for code, queue_id in zip(string.ascii_uppercase, branch_queues(router), strict=False):
        spec = router.queues[queue_id].spec
        status = router.queue_status(queue_id)
        out.append(
            {
                "queue_id": queue_id,
                "letter": code,
                "name": spec.name or queue_id,
                "waiting": status["waiting"],
                "staffed": status["staffed"],
                "estimated_wait_s": status["estimated_wait_s"],
            }
        )
    return out


def ticket_view(router: Router, contact_id: str) -> dict[str, Any]:
    """A ticket: its number, place, predicted wait (s) and the counter serving it."""
    contact = router.contacts[contact_id]
    wait = wait_info(router, contact_id)
    counter, number = counter_of(router, contact.agent_id)
    return {
        "contact_id": contact_id,
        "ticket": contact.attributes.get("ticket"),
        "service": contact.queue_id,
        "state": contact.state.value,
        "position": wait["position"] if wait else 0,
        "ahead": wait["ahead"] if wait else 0,
        "estimated_wait_s": wait["estimated_wait_s"] if wait else 0.0,
        "counter": counter,
        "counter_no": number,
        "callback": contact.callback,
    }


def counter_view(router: Router, agent_id: str) -> dict[str, Any]:
    """A counter: its number, state, why it is idle, the tickets it serves."""
    agent = router.agents.get(agent_id)
    if agent is None:
        raise ValidationError(f"unknown counter agent {agent_id!r}")
    serving = [
        ticket_view(router, cid)
        for cid, contact in agent.held.items()
        if contact.channel is Channel.BRANCH
    ]
    return {
        "agent_id": agent_id,
        "name": agent.spec.name or agent_id,
        "counter_no": counter_number(router, agent_id),
        "idle": idle_reason(router, agent_id),
        "presence": agent.presence.value,
        "pending": None if agent.pending is None else agent.pending[0].value,
        "serving": serving,
        "services": services(router),
    }


def display(router: Router, called: Iterable[Called]) -> dict[str, Any]:
    """The hall display: the numbers ``called`` (oldest first in, newest first out) and
    the services."""
    return {
        "called": [
            {
                "ticket": x.ticket,
                "counter": x.counter,
                "counter_no": x.number,
                "service": x.service,
                "at": x.at,
                "contact_id": x.contact_id,
            }
            for x in reversed(list(called))
        ],
        "services": services(router),
    }
