"""The API routes and :mod:`kefu.service.security.command_rights` (the rights a router node
checks on a command sent by a web node) decide alike: for every routing command a route
sends, for every caller (role x sites x agent identity x token scope) and target (own,
other site, shared, unknown), the route's answer (allowed / 403 / 404) is the one the
command rights give for the command the route built.

The engine's ``execute`` is wrapped: it runs the route's ``authorize`` and the command
rights' check on the same state, records both, and never runs the handler, so every
combination sees the same center."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from api_helpers import Api

from kefu.api.errors import status_for
from kefu.domain.errors import KefuError
from kefu.service import RoutingEngine
from kefu.service.commands import Command
from kefu.service.security import Principal, Scope
from kefu.service.security.authn import authenticate
from kefu.service.security.command_rights import command_authorizer

V1 = "/api/v1"
ALLOWED = 200


class _Allowed(Exception):
    """Raised instead of running the handler of a command the route allowed."""


def _decision(check: Callable[[], Any]) -> int:
    try:
        check()
    except KefuError as exc:
        return status_for(exc)
    return ALLOWED


def _callers(center: Api) -> dict[str, dict[str, str]]:
    """Bearer headers of every kind of caller: each role, one site / the other / both, an
    agent user of each agent, and tokens without the write scopes."""
    center.user("sup-sh", "supervisor", sites=("sh",))
    center.user("sup-bj", "supervisor", sites=("bj",))
    center.user("sup-both", "supervisor", sites=("sh", "bj"))
    for agent in ("a1", "a2", "b1"):
        center.user(f"agent-{agent}", "agent", agent_id=agent)
    callers = {name: center.token(name) for name in ("sup-sh", "sup-bj", "sup-both")}
    callers |= {agent: center.token(f"agent-{agent}") for agent in ("a1", "a2", "b1")}
    callers["root"] = center.token("root")
    callers["root-read"] = center.token("root", Scope.READ)
    callers["sup-sh-agents"] = center.token("sup-sh", Scope.READ, Scope.AGENTS_WRITE)
    callers["a1-contacts"] = center.token("agent-a1", Scope.READ, Scope.CONTACTS_WRITE)
    callers["a1-read"] = center.token("agent-a1", Scope.READ)
    return callers


def _contacts(center: Api) -> dict[str, tuple[str, str]]:
    """A contact ringing at a1 (sh), one waiting in bj, one on the shared chat queue, and
    an unknown id: name -> (contact id, offer id)."""
    c = center.client
    assert c.post(f"{V1}/agents/a1/state", json={"presence": "ready"}).status_code == 200
    made: dict[str, tuple[str, str]] = {}
    for name, queue in (("sh", "billing"), ("bj", "bj-local"), ("chat", "chat")):
        response = c.post(f"{V1}/contacts", json={"queue_id": queue})
        assert response.status_code == 201, response.text
        body = response.json()
        offer = body.get("offer") or {}
        made[name] = (body["contact_id"], str(offer.get("offer_id", "no-offer")))
    made["unknown"] = ("c-unknown", "no-offer")
    return made


def _requests(contacts: dict[str, tuple[str, str]]) -> list[tuple[str, Any]]:
    """(path, JSON body) of every route that sends a routing command, for each target."""
    sent: list[tuple[str, Any]] = []
    for queue in ("billing", "bj-local", "chat", "q-unknown"):
        sent.append((f"{V1}/contacts", {"queue_id": queue}))
    for agent in ("a1", "a2", "b1", "x-unknown"):
        sent.append((f"{V1}/agents/{agent}/state", {"presence": "ready"}))
    for contact_id, offer_id in contacts.values():
        path = f"{V1}/contacts/{contact_id}"
        for action in ("accept", "reject"):
            for agent in (None, "a1", "b1"):
                sent.append((f"{path}/{action}", {"offer_id": offer_id, "agent_id": agent}))
        for agent in ("a1", "b1"):
            sent.append((f"{path}/assign", {"agent_id": agent}))
        for target in (
            {"to_queue_id": "billing"},
            {"to_queue_id": "bj-local"},
            {"to_agent_id": "a2"},
            {"to_agent_id": "b1"},
        ):
            sent.append((f"{path}/transfer", target))
        for action in ("hold", "resume", "complete", "end-wrapup", "abandon", "callback"):
            sent.append((f"{path}/{action}", None))
        for action in ("listen", "whisper", "barge"):
            sent.append((f"{path}/{action}", None))
    return sent


def test_given_every_caller_and_target_when_a_route_sends_a_command_then_command_rights_agree(
    center: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    callers = _callers(center)
    contacts = _contacts(center)
    engine = center.platform.engine
    caller: list[Principal] = []
    seen: list[tuple[Command, int, int]] = []

    async def execute(command: Command, *, authorize: Any = None, **_: Any) -> Any:
        assert authorize is not None, f"{type(command).__name__} sent without a check"
        principal = caller[-1]

        def judge(e: RoutingEngine) -> tuple[int, int, Exception | None]:
            refusal: list[Exception] = []

            def route() -> None:
                try:
                    authorize(e)
                except KefuError as exc:
                    refusal.append(exc)
                    raise

            by_route = _decision(route)
            by_rights = _decision(lambda: command_authorizer(principal, command)(e))
            return by_route, by_rights, refusal[0] if refusal else None

        by_route, by_rights, refusal = await engine.query(judge)
        seen.append((command, by_route, by_rights))
        if refusal is not None:
            raise refusal
        raise _Allowed

    monkeypatch.setattr(engine, "execute", execute)
    client = center.anonymous()
    credentials = center.platform.security.credentials
    disagreements: list[str] = []
    decided: dict[int, int] = {}
    for name, headers in callers.items():
        principal = client.portal.call(authenticate, credentials, headers["Authorization"], None)
        assert principal is not None
        caller.append(principal)
        for path, body in _requests(contacts):
            before = len(seen)
            try:
                status = client.post(path, json=body, headers=headers).status_code
            except _Allowed:
                status = ALLOWED
            if len(seen) == before:  # refused before any command was built
                assert status in (401, 422), (name, path, status)
                continue
            command, by_route, by_rights = seen[-1]
            assert status == by_route, (name, path, status, by_route)
            decided[by_route] = decided.get(by_route, 0) + 1
            if by_route != by_rights:
                disagreements.append(f"{name} {path} {command}: {by_route} != {by_rights}")
    assert not disagreements, "\n".join(disagreements)
    # Every decision was met, many times: the table covers allowed, forbidden and hidden.
    assert decided.get(ALLOWED, 0) > 50 and decided.get(403, 0) > 50 and decided.get(404, 0) > 50
    assert len(seen) > 600
