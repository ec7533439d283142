"""An agent whose desktop disappears is logged out after the grace period (an event the
wallboard shows); one whose desktop comes back in time keeps its state."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from channels_server_helpers import Center, open_center

from kefu.domain import events as ev
from kefu.service.desktop import SESSION_LOST
from kefu.testing import wait_until

GRACE_S = 0.3


@pytest.fixture
def center() -> Iterator[Center]:
    with open_center(agent_grace_s=GRACE_S) as made:
        yield made


def state_changes(center: Center, agent_id: str) -> list[ev.AgentStateChanged]:
    stored = center.call(center.platform.engine.read_store, lambda uow: list(uow.events.read()))
    return [
        s.event
        for s in stored
        if isinstance(s.event, ev.AgentStateChanged) and s.event.agent_id == agent_id
    ]


def wallboard_agent(center: Center, agent_id: str) -> dict[str, object]:
    board = center.login("lead")
    with board.websocket_connect("/ws/wallboard") as ws:
        snapshot = ws.receive_json()
    return next(a for a in snapshot["agents"] if a["agent_id"] == agent_id)


def open_and_close_desktop(center: Center, username: str) -> None:
    browser = center.login(username)
    with browser.websocket_connect("/ws/desktop") as ws:
        assert ws.receive_json()["type"] == "hello"


def test_given_a_not_ready_agent_when_its_desktop_disappears_then_it_is_logged_out_after_grace(
    center: Center, caplog: pytest.LogCaptureFixture
) -> None:
    set_state = {"presence": "not_ready", "reason": "break"}
    assert center.desktop("a1", "POST", "/state", set_state).status_code == 200
    open_and_close_desktop(center, "agent-a1")
    agent = center.platform.engine.router.agents["a1"]
    assert agent.presence.value == "not_ready"  # not at once: a reload must not log out
    deadline = time.monotonic() + 10 * GRACE_S + 20  # a bound for a loaded machine
    while agent.presence.value != "offline" and time.monotonic() < deadline:
        time.sleep(0.05)
    told = caplog.text[-2000:]  # what the grace timer logged, when it fails
    assert (agent.presence.value, agent.reason) == ("offline", SESSION_LOST), told

    # Stored as an event: by the group-commit writer, after the router applied it (memory
    # runs ahead of the store), so on a loaded machine the read may come first.
    def stored() -> tuple[str, str | None]:
        last = state_changes(center, "a1")[-1]
        return last.presence, last.reason

    wait_until(lambda: stored() == ("offline", SESSION_LOST), timeout_s=20)
    assert stored() == ("offline", SESSION_LOST)
    shown = wallboard_agent(center, "a1")
    assert (shown["activity"], shown["reason"]) == ("offline", SESSION_LOST)


def test_given_a_desktop_back_within_grace_then_the_agent_keeps_its_state(
    center: Center,
) -> None:
    assert center.desktop("a2", "POST", "/state", {"presence": "ready"}).status_code == 200
    browser = center.login("agent-a2")
    with browser.websocket_connect("/ws/desktop") as first:
        assert first.receive_json()["type"] == "hello"
    with browser.websocket_connect("/ws/desktop") as again:  # a reload
        assert again.receive_json()["type"] == "hello"
        time.sleep(3 * GRACE_S)
        assert center.platform.engine.router.agents["a2"].presence.value == "ready"
    assert all(e.reason != SESSION_LOST for e in state_changes(center, "a2"))
