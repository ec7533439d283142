"""The wallboard's frames byte for byte: a fixed center on the manual clock gives the
exact JSON text recorded in ``golden/`` (the read models behind the frames may change;
what the page receives may not)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from api_helpers import Api
from fastapi.testclient import TestClient

from kefu.web import Wallboard

V1 = "/api/v1"
GOLDEN = Path(__file__).parent / "golden"
RECORD = os.environ.get("KEFU_RECORD_GOLDEN") == "1"
"""Set to 1 to rewrite the golden files from what the code sends now."""


def _until(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the wallboard's loop did not run"
        time.sleep(0.01)


def _busy_center(center: Api) -> TestClient:
    """Waiting, answered and unanswered contacts, agents in three states, two chart
    samples. The broadcaster samples the chart on its own while no wallboard is open: the
    clock moves only once it took the sample due, so the frames do not depend on when
    its rounds run."""
    c = center.client
    board: Wallboard = center.platform.app.state.wallboard
    _until(lambda: len(board.projection.samples) == 1)
    for agent in ("a1", "b1"):
        assert c.post(f"{V1}/agents/{agent}/state", json={"presence": "ready"}).status_code == 200
    made = [c.post(f"{V1}/contacts", json={"queue_id": q}).json() for q in ("billing", "chat")]
    center.clock.advance(12)
    _until(lambda: len(board.projection.samples) == 2)
    offer = c.get(f"{V1}/contacts/{made[0]['contact_id']}").json()["offer_id"]
    accepted = c.post(f"{V1}/contacts/{made[0]['contact_id']}/accept", json={"offer_id": offer})
    assert accepted.status_code == 200
    for _ in range(2):
        c.post(f"{V1}/contacts", json={"queue_id": "bj-local"})
    center.clock.advance(7)  # less than a sample's spacing: no third sample
    return c


def _check(name: str, text: str) -> None:
    path = GOLDEN / name
    if RECORD:
        path.write_text(text + "\n", encoding="utf-8")
    assert text + "\n" == path.read_text(encoding="utf-8")


def test_given_a_busy_center_when_a_wallboard_opens_then_its_frames_are_byte_identical(
    center: Api,
) -> None:
    c = _busy_center(center)
    with c.websocket_connect("/ws/wallboard") as ws:
        _check("wallboard_all.json", ws.receive_text())
    with c.websocket_connect("/ws/wallboard?site_id=bj") as ws:
        _check("wallboard_bj.json", ws.receive_text())
