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
from kefu.service.branch.counters import IdleReason, counter_number, counter_of, idle_reason
from kefu.service.channels.texts import DEFAULT_LANGUAGE
from kefu.service.channels.views import wait_info

__all__ = [
    "Called",
    "CounterView",
    "HallDisplay",
    "ServiceFigures",
    "TicketView",
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

    def to_json(self) -> dict[str, Any]:
        return {
            "ticket": self.ticket,
            "counter": self.counter,
            "counter_no": self.number,
            "service": self.service,
            "at": self.at,
            "contact_id": self.contact_id,
        }


@dataclass(frozen=True, slots=True)
class ServiceFigures:
    """A branch service: its ticket letter, waiting count, staffed counters and the
    predicted wait of a new ticket (s; None while no counter serves it)."""

    queue_id: str
    letter: str
    name: str
    waiting: int
    staffed: int
    estimated_wait_s: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "queue_id": self.queue_id,
            "letter": self.letter,
            "name": self.name,
            "waiting": self.waiting,
            "staffed": self.staffed,
            "estimated_wait_s": self.estimated_wait_s,
        }


@dataclass(frozen=True, slots=True)
class TicketView:
    """A ticket: its number, service, state, place (1 = next; 0 once called), the
    tickets ahead, the predicted wait (s; None while no counter serves the service), the
    counter serving it and whether an SMS calls it back."""

    contact_id: str
    ticket: str | None
    service: str
    state: str
    position: int
    ahead: int
    estimated_wait_s: float | None
    counter: str | None
    counter_no: int | None
    callback: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "contact_id": self.contact_id,
            "ticket": self.ticket,
            "service": self.service,
            "state": self.state,
            "position": self.position,
            "ahead": self.ahead,
            "estimated_wait_s": self.estimated_wait_s,
            "counter": self.counter,
            "counter_no": self.counter_no,
            "callback": self.callback,
        }


@dataclass(frozen=True, slots=True)
class CounterView:
    """A counter: its number, why it is idle (:func:`~kefu.service.branch.idle_reason`,
    None while it serves), its agent's presence and pending presence, the tickets it
    serves and the hall's services."""

    agent_id: str
    name: str
    counter_no: int | None
    idle: IdleReason | None
    presence: str
    pending: str | None
    serving: tuple[TicketView, ...]
    services: tuple[ServiceFigures, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "name": self.name,
            "counter_no": self.counter_no,
            "idle": None if self.idle is None else self.idle.to_json(),
            "presence": self.presence,
            "pending": self.pending,
            "serving": [t.to_json() for t in self.serving],
            "services": [x.to_json() for x in self.services],
        }


@dataclass(frozen=True, slots=True)
class HallDisplay:
    """The hall display: the numbers called lately, newest first, and the services."""

    called: tuple[Called, ...]
    services: tuple[ServiceFigures, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "called": [x.to_json() for x in self.called],
            "services": [x.to_json() for x in self.services],
        }


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


def services(router: Router) -> tuple[ServiceFigures, ...]:
    """The branch queues with their letter, waiting count and predicted wait (s)."""
    out = []
    for code, queue_id in zip(string.ascii_uppercase, branch_queues(router), strict=False):
        spec = router.queues[queue_id].spec
        status = router.queue_status(queue_id)
        out.append(
            ServiceFigures(
                queue_id,
                code,
                spec.name or queue_id,
                status["waiting"],
                status["staffed"],
                status["estimated_wait_s"],
            )
        )
    return tuple(out)


def ticket_view(router: Router, contact_id: str, language: str = DEFAULT_LANGUAGE) -> TicketView:
    """A ticket: its number, place, predicted wait (s) and the counter serving it (named
    in ``language``, :func:`counter_of`)."""
    contact = router.contacts[contact_id]
    wait = wait_info(router, contact_id)
    counter, number = counter_of(router, contact.agent_id, language)
    return TicketView(
        contact_id=contact_id,
        ticket=contact.attributes.get("ticket"),
        service=contact.queue_id,
        state=contact.state.value,
        position=wait.position if wait else 0,
        ahead=wait.ahead if wait else 0,
        estimated_wait_s=wait.estimated_wait_s if wait else 0.0,
        counter=counter,
        counter_no=number,
        callback=contact.callback,
    )


def counter_view(router: Router, agent_id: str, language: str = DEFAULT_LANGUAGE) -> CounterView:
    """A counter: its number, state, why it is idle, the tickets it serves."""
    agent = router.agents.get(agent_id)
    if agent is None:
        raise ValidationError(f"unknown counter agent {agent_id!r}")
    serving = tuple(
        ticket_view(router, cid, language)
        for cid, contact in agent.held.items()
        if contact.channel is Channel.BRANCH
    )
    return CounterView(
        agent_id=agent_id,
        name=agent.spec.name or agent_id,
        counter_no=counter_number(router, agent_id),
        idle=idle_reason(router, agent_id),
        presence=agent.presence.value,
        pending=None if agent.pending is None else agent.pending[0].value,
        serving=serving,
        services=services(router),
    )


def display(router: Router, called: Iterable[Called]) -> HallDisplay:
    """The hall display: the numbers ``called`` (oldest first in, newest first out) and
    the services."""
    return HallDisplay(tuple(reversed(list(called))), services(router))
