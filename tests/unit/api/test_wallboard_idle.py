"""The wallboard costs nothing per commit while no wallboard is open: its broadcaster reads
the engine only to sample the chart's history, once per sample spacing (counted, not
timed)."""

from __future__ import annotations

import time
from collections.abc import Callable

from api_helpers import Api

from kefu.service.wallboard.projection import SAMPLE_S
from kefu.web import Wallboard

V1 = "/api/v1"


def _until(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    """Wait (polling) until ``condition()``; the bound is generous for a loaded machine."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the wallboard's loop did not run"
        time.sleep(0.01)


def _rounds_later(board: Wallboard, rounds: int) -> None:
    """Wait until the broadcaster ran ``rounds`` more rounds."""
    target = board.rounds_run + rounds
    _until(lambda: board.rounds_run >= target)


def test_given_no_wallboard_open_when_contacts_arrive_then_no_broadcast_work(
    center: Api,
) -> None:
    board: Wallboard = center.platform.app.state.wallboard
    c = center.client
    _until(lambda: len(board.projection.samples) == 1)  # the first sample of the chart
    _rounds_later(board, 2)
    reads = board.engine_reads
    for _ in range(20):
        assert c.post(f"{V1}/contacts", json={"queue_id": "billing"}).status_code == 201
    _rounds_later(board, 5)
    # The clock has not moved: no sample is due, so no round read the engine.
    assert board.engine_reads == reads
    assert board.projection.kpis.totals()["billing"].offered == 20  # events still counted

    center.clock.advance(SAMPLE_S)
    _until(lambda: len(board.projection.samples) == 2)
    _rounds_later(board, 5)
    assert board.engine_reads == reads + 1  # one sample per spacing, not one per round
    assert board.projection.samples[-1][1]["billing"] == 20


def test_given_a_wallboard_open_when_a_contact_arrives_then_it_is_broadcast(
    center: Api,
) -> None:
    board: Wallboard = center.platform.app.state.wallboard
    with center.client.websocket_connect("/ws/wallboard") as ws:
        ws.receive_json()
        _until(lambda: bool(board.clients))
        reads = board.engine_reads
        center.client.post(f"{V1}/contacts", json={"queue_id": "billing"})
        for _ in range(50):
            snap = ws.receive_json()
            if any(q["queue_id"] == "billing" and q["waiting"] == 1 for q in snap["queues"]):
                break
        else:
            raise AssertionError("the new contact was never broadcast")
        assert board.engine_reads > reads


def test_given_thousands_of_wallboards_then_the_broadcasts_space_out_within_the_budget() -> None:
    from kefu.web.wallboard import FRAMES_PER_S, MIN_GAP_S, broadcast_gap

    assert broadcast_gap(0) == broadcast_gap(1) == broadcast_gap(250) == MIN_GAP_S
    assert broadcast_gap(5000) == 1.0
    for clients in (1, 10, 251, 2500, 5000, 20_000):
        assert clients / broadcast_gap(clients) <= FRAMES_PER_S  # frames per second
