"""Small helpers shared by the routing tests."""

from __future__ import annotations

from collections.abc import Iterable

from kefu.domain import events as ev
from kefu.domain.model import AgentSpec
from kefu.domain.routing import Router


def offers(router: Router) -> list[ev.OfferCreated]:
    return [e for e in router.log if isinstance(e, ev.OfferCreated)]


def last_offer(router: Router) -> ev.OfferCreated:
    return offers(router)[-1]


def ready_agents(router: Router, agents: Iterable[AgentSpec], now: float = 0.0) -> None:
    for spec in agents:
        router.define_agent(spec, now)
        router.set_presence(spec.agent_id, "ready", now)
