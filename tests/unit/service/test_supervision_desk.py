"""The supervision desk rebuilt from its ``supervision`` stream: thresholds, loans still
running (with their timers) and the messages sent come back after a restart; a returned
loan is gone; a loan's timer fires once; thresholds are compared strictly."""

from __future__ import annotations

from typing import Any

from kefu.service.channels import ChannelRecord
from kefu.service.wallboard import (
    SUPERVISION_STREAM,
    QueueAlert,
    ReturnSkill,
    SupervisionDesk,
    breached,
)


def _records(rows: list[tuple[str, dict[str, Any]]]) -> list[ChannelRecord]:
    return [
        ChannelRecord(seq, float(seq), SUPERVISION_STREAM, kind, "s", data)
        for seq, (kind, data) in enumerate(rows, start=1)
    ]


def test_given_a_stored_stream_when_a_desk_loads_it_then_alerts_loans_and_notices_return() -> None:
    loan = {"agent_id": "a1", "skill": "billing", "level": 3, "until": 100.0, "had": None}
    rows = [
        ("alert", {"queue_id": "q", "sl_below": 0.8, "waiting_above": 5,
                   "longest_wait_above_s": None}),
        ("lent", loan),
        ("lent", {**loan, "agent_id": "a2", "until": 50.0, "had": 2}),
        ("returned", {"agent_id": "a2", "skill": "billing", "level": 2}),
        ("message", {"notice_id": "n1", "at": 3.0, "site_id": "sh", "sender": "lead",
                     "text": "hi", "agent_ids": ["a1"]}),
    ]  # fmt: skip
    desk = SupervisionDesk(lambda *_args: None)
    desk.load(_records(rows))
    assert desk.alert("q") == QueueAlert("q", 0.8, 5, None)
    assert [(x.agent_id, x.until) for x in desk.loans()] == [("a1", 100.0)]
    assert [n.text for n in desk.notices] == ["hi"]
    assert desk.next_due() == 100.0
    assert desk.due(99.0) == []
    assert desk.due(100.0) == [ReturnSkill("a1", "billing")]
    assert desk.due(200.0) == [] and desk.next_due() is None


def test_given_thresholds_when_figures_reach_them_then_only_those_past_them_alert() -> None:
    alert = QueueAlert("q", sl_below=0.8, waiting_above=5, longest_wait_above_s=60.0)
    assert breached(alert, 0.8, 5, 60.0) == ()
    assert breached(alert, 0.79, 6, 60.5) == ("sl", "waiting", "longest_wait")
    assert breached(alert, None, 0, 0.0) == ()
    assert breached(None, 0.0, 99, 999.0) == ()
