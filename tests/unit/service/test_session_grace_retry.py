"""An agent whose desktop disappeared is logged out even when the store fails a moment
at the end of the grace period; a router that is not the leader logs nobody out."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

import pytest

from kefu.service.desktop import grace as grace_module
from kefu.service.desktop.grace import SESSION_LOST, SessionGrace
from kefu.service.engine import RoutingEngine
from kefu.service.errors import NotLeader, ServiceUnavailable
from kefu.service.routing import commands as c


class _Engine:
    """Stands in for the routing engine: the agent is logged in; the first ``fails``
    state changes are refused with ``error``."""

    def __init__(self, fails: int, error: Exception) -> None:
        self.fails, self.error = fails, error
        self.tried = 0
        self.done: list[c.SetAgentState] = []

    async def query(self, fn: Any, stored: bool = True) -> bool:
        del fn, stored
        return True  # the agent is logged in

    async def execute(self, command: c.SetAgentState) -> None:
        self.tried += 1
        if self.tried <= self.fails:
            raise self.error
        self.done.append(command)


def _expire(engine: _Engine) -> None:
    grace = SessionGrace(cast(RoutingEngine, engine), lambda _agent: False, grace_s=0.0)

    async def run() -> None:
        grace.gone("a1")
        await asyncio.gather(*grace._timers.values())

    asyncio.run(run())


def test_given_a_store_failing_twice_when_grace_ends_then_the_agent_is_still_logged_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(grace_module, "_RETRY_S", 0.01)
    engine = _Engine(2, ServiceUnavailable("the store is unavailable"))
    _expire(engine)
    assert engine.tried == 3
    assert engine.done == [c.SetAgentState("a1", "offline", SESSION_LOST)]


def test_given_a_router_not_leading_when_grace_ends_then_nobody_is_logged_out(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(grace_module, "_RETRY_S", 0.01)
    engine = _Engine(9, NotLeader("not the leader"))
    with caplog.at_level(logging.WARNING, logger=grace_module.__name__):
        _expire(engine)
    assert (engine.tried, engine.done) == (1, [])
    assert "could not log out agent a1" in caplog.text
