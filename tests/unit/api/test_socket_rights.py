"""Open push sockets (agent desktop, wallboard) end with the rights behind them: a logout,
a deactivation, a revoked token or a changed role or site closes them with 4401/4403 at
once, and a change made by another process within the re-check interval."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, cast

import anyio
import pytest
from api_helpers import Api, MakeApi, csrf_of
from starlette.testclient import WebSocketTestSession

from kefu.service.security import Security

RECHECK_S = 0.2


@pytest.fixture
def sites(make_api: MakeApi) -> Iterator[Api]:
    """Sites sh and bj with agents a1, a2 (sh) and b1 (bj); sockets re-checked every 0.2 s."""
    with make_api(socket_recheck_s=RECHECK_S) as api:
        c = api.client
        for site in ("sh", "bj"):
            assert c.post("/api/v1/sites", json={"site_id": site, "name": site}).status_code == 201
        for agent, site in (("a1", "sh"), ("a2", "sh"), ("b1", "bj")):
            body = {"agent_id": agent, "site_id": site, "name": f"座席{agent}"}
            assert c.post("/api/v1/agents", json=body).status_code == 201
        yield api


def closed_code(ws: WebSocketTestSession, within_s: float = 3.0) -> int:
    """The code the server closes ``ws`` with, skipping the frames before it; fails when
    the socket is still open after ``within_s`` seconds."""

    async def next_message() -> Any:
        with anyio.fail_after(max(0.01, deadline - time.monotonic())):
            return await ws._send_rx.receive()

    deadline = time.monotonic() + within_s
    while True:
        try:
            message = ws.portal.call(next_message)
        except TimeoutError:
            raise AssertionError(f"the socket is still open after {within_s} s") from None
        if message["type"] == "websocket.close":
            code: int = message["code"]
            return code


def site_ids(ws: WebSocketTestSession) -> set[str]:
    snap = ws.receive_json()
    return {a["agent_id"] for a in snap["agents"]}


def test_given_an_open_desktop_when_its_agent_logs_out_then_it_closes_4401(sites: Api) -> None:
    sites.user("agent-a1", "agent", agent_id="a1")
    browser = sites.login("agent-a1")
    with browser.websocket_connect("/ws/desktop") as ws:
        assert ws.receive_json()["type"] == "hello"
        account = browser.get("/account")
        done = browser.post(
            "/logout", data={"csrf_token": csrf_of(account.text)}, follow_redirects=False
        )
        assert done.status_code == 303
        assert closed_code(ws) == 4401


def test_given_an_open_desktop_when_the_user_is_deactivated_then_it_closes_4401(
    sites: Api,
) -> None:
    sites.user("agent-a1", "agent", agent_id="a1")
    with sites.login("agent-a1").websocket_connect("/ws/desktop") as ws:
        assert ws.receive_json()["type"] == "hello"
        response = sites.client.patch("/api/v1/users/agent-a1", json={"active": False})
        assert response.status_code == 200, response.text
        assert closed_code(ws) == 4401


def test_given_an_open_desktop_when_the_user_becomes_another_agent_then_it_closes_4403(
    sites: Api,
) -> None:
    sites.user("agent-a1", "agent", agent_id="a1")
    with sites.login("agent-a1").websocket_connect("/ws/desktop") as ws:
        assert ws.receive_json()["agent_id"] == "a1"
        sites.platform.security.users.update("agent-a1", {"agent_id": "a2"})
        assert closed_code(ws) == 4403


def test_given_a_wallboard_of_a_site_when_the_supervisor_loses_it_then_it_closes_4403(
    sites: Api,
) -> None:
    sites.user("boss", "supervisor", sites=("sh", "bj"))
    with sites.login("boss").websocket_connect("/ws/wallboard?site_id=bj") as ws:
        assert site_ids(ws) == {"b1"}
        sites.platform.security.users.update("boss", {"sites": ["sh"]})
        assert closed_code(ws) == 4403


def test_given_a_wallboard_of_all_sites_when_one_is_lost_then_only_the_rest_is_streamed(
    sites: Api,
) -> None:
    sites.user("boss", "supervisor", sites=("sh", "bj"))
    with sites.login("boss").websocket_connect("/ws/wallboard") as ws:
        assert site_ids(ws) == {"a1", "a2", "b1"}
        sites.platform.security.users.update("boss", {"sites": ["sh"]})
        for _ in range(200):
            if site_ids(ws) == {"a1", "a2"}:
                break
        else:
            raise AssertionError("the lost site is still streamed")


def test_given_a_wallboard_by_token_when_the_token_is_revoked_then_it_closes_4401(
    sites: Api,
) -> None:
    sites.user("boss", "supervisor", sites=("sh",))
    headers = sites.token("boss")
    token_id = headers["Authorization"].split("_")[1]
    with sites.anonymous().websocket_connect("/ws/wallboard", headers=headers) as ws:
        assert site_ids(ws) == {"a1", "a2"}
        sites.platform.security.credentials.revoke_token("boss", token_id)
        assert closed_code(ws) == 4401


def test_given_a_change_by_another_process_then_open_sockets_close_within_the_interval(
    sites: Api,
) -> None:
    sites.user("agent-a1", "agent", agent_id="a1")
    sites.user("boss", "supervisor", sites=("sh",))
    # Another process on the same store: its changes notify no one in this one.
    elsewhere = Security(cast(Any, sites.platform.uow_factory), sites.clock)
    desktop_browser, wallboard_browser = sites.login("agent-a1"), sites.login("boss")
    with (
        desktop_browser.websocket_connect("/ws/desktop") as desktop,
        wallboard_browser.websocket_connect("/ws/wallboard") as wallboard,
    ):
        assert desktop.receive_json()["type"] == "hello"
        assert site_ids(wallboard) == {"a1", "a2"}
        elsewhere.users.update("agent-a1", {"active": False})
        elsewhere.users.update("boss", {"sites": ["bj"]})
        began = time.monotonic()
        assert closed_code(desktop, within_s=RECHECK_S * 10) == 4401
        for _ in range(400):
            if site_ids(wallboard) == {"b1"}:
                break
        else:
            raise AssertionError("the wallboard still streams the lost site")
        assert time.monotonic() - began < RECHECK_S * 10


def test_given_a_wallboard_when_the_supervisor_becomes_an_agent_then_it_closes(
    sites: Api,
) -> None:
    sites.user("boss", "supervisor", sites=("sh",))
    sites.user("lead", "supervisor", sites=("sh",))
    headers = sites.token("lead")
    with (
        sites.login("boss").websocket_connect("/ws/wallboard") as by_session,
        sites.anonymous().websocket_connect("/ws/wallboard", headers=headers) as by_token,
    ):
        assert site_ids(by_session) == site_ids(by_token) == {"a1", "a2"}
        security = sites.platform.security
        security.users.update("boss", {"role": "agent", "agent_id": "a1"})
        security.users.update("lead", {"role": "agent", "agent_id": "a2"})
        assert closed_code(by_session) == 4401  # a new role ends the login sessions
        assert closed_code(by_token) == 4403  # the token lives on, as an agent's


def test_given_a_recheck_interval_over_5_s_then_the_settings_refuse_it() -> None:
    from pydantic import ValidationError

    from kefu.adapters.sockets.guard import RECHECK_S
    from kefu.config import Settings

    assert Settings(env="test").socket_recheck_s == RECHECK_S == 5.0
    with pytest.raises(ValidationError):
        Settings(env="test", socket_recheck_s=5.1)
