"""Adherence on hand-made logs with known answers (times in seconds from 0 = 09:00)."""

from __future__ import annotations

import pytest

from kefu.analytics.adherence import (
    ScheduledShift,
    adherence_now,
    adherence_over,
    stretches,
)
from kefu.domain import events as ev

H = 3600.0
M = 60.0
SHIFT = ScheduledShift("a1", 0.0, 8 * H, ((4 * H, 4 * H + 30 * M),))


def state(at: float, presence: str, agent: str = "a1") -> ev.AgentStateChanged:
    return ev.AgentStateChanged(at, agent, presence, None)


def test_given_ready_all_shift_when_measured_then_full_adherence() -> None:
    got = adherence_over([SHIFT], [state(-H, "ready")], 0.0, 8 * H)
    assert got["a1"].scheduled_s == 8 * H
    assert got["a1"].percent == pytest.approx(100.0)


def test_given_logged_in_before_shift_when_measured_then_time_before_is_not_counted() -> None:
    got = adherence_over([SHIFT], [state(-2 * H, "ready")], -3 * H, 8 * H)
    assert got["a1"].scheduled_s == 8 * H
    assert got["a1"].adherent_s == 8 * H


def test_given_login_exactly_at_tolerance_when_measured_then_forgiven() -> None:
    events = [state(5 * M, "ready")]
    assert adherence_over([SHIFT], events, 0.0, 8 * H, 5 * M)["a1"].adherent_s == 8 * H


def test_given_login_one_second_past_tolerance_when_measured_then_late_counts_from_start() -> None:
    events = [state(5 * M + 1, "ready")]
    got = adherence_over([SHIFT], events, 0.0, 8 * H, 5 * M)["a1"]
    assert got.adherent_s == 8 * H - (5 * M + 1)
    first = stretches(SHIFT, [(5 * M + 1, "ready")], 8 * H)[0]
    assert (first.start, first.end, first.reason) == (0.0, 5 * M + 1, "late")


def test_given_not_ready_outside_break_when_measured_then_out_of_adherence() -> None:
    events = [state(-M, "ready"), state(2 * H, "not_ready"), state(2 * H + 20 * M, "ready")]
    got = adherence_over([SHIFT], events, 0.0, 8 * H, 5 * M)["a1"]
    assert got.adherent_s == 8 * H - 20 * M
    assert got.percent == pytest.approx(100.0 * (8 * H - 20 * M) / (8 * H))


def test_given_not_ready_in_break_window_when_measured_then_in_adherence() -> None:
    events = [state(-M, "ready"), state(4 * H, "not_ready"), state(4 * H + 30 * M, "ready")]
    assert adherence_over([SHIFT], events, 0.0, 8 * H)["a1"].adherent_s == 8 * H


def test_given_break_overrun_when_measured_then_overrun_and_its_start_count() -> None:
    # Not ready 4:00-4:40: the window ends at 4:30, 10 min out (tolerance 5 min).
    events = [state(-M, "ready"), state(4 * H, "not_ready"), state(4 * H + 40 * M, "ready")]
    assert adherence_over([SHIFT], events, 0.0, 8 * H, 5 * M)["a1"].adherent_s == 8 * H - 10 * M


def test_given_shift_starting_mid_interval_when_range_cuts_it_then_only_overlap_counts() -> None:
    shift = ScheduledShift("a1", 7 * M, 67 * M)
    events = [state(37 * M, "ready")]  # 30 min late
    got = adherence_over([shift], events, 15 * M, 45 * M, 5 * M)["a1"]
    # The range [15, 45) sees 30 min of the shift; late until 37: 22 min out.
    assert got.scheduled_s == 30 * M
    assert got.adherent_s == 8 * M


def test_given_logged_out_mid_shift_when_now_then_out_since_logout_past_tolerance() -> None:
    events = [state(-M, "ready"), state(H, "offline")]
    within = adherence_now([SHIFT], events, H + 5 * M, 5 * M)[0]
    assert within.in_adherence and within.since is None
    past = adherence_now([SHIFT], events, H + 5 * M + 1, 5 * M)[0]
    assert not past.in_adherence
    assert (past.since, past.reason, past.scheduled, past.actual) == (
        H,
        "logged_out",
        "work",
        "offline",
    )


def test_given_no_shift_now_when_asked_then_off_and_in_adherence() -> None:
    rows = adherence_now([SHIFT], [state(-M, "ready")], 9 * H, 5 * M, agents=["b2"])
    assert [(r.agent_id, r.scheduled, r.in_adherence) for r in rows] == [
        ("a1", "off", True),
        ("b2", "off", True),
    ]


def test_given_agent_never_logged_in_when_now_in_shift_then_late() -> None:
    row = adherence_now([SHIFT], [], 10 * M, 5 * M)[0]
    assert (row.in_adherence, row.since, row.reason) == (False, 0.0, "late")


def test_given_a_range_ending_mid_stretch_when_known_later_then_not_forgiven_by_the_cut() -> None:
    events = [state(10 * M, "ready")]  # 10 min late, tolerance 5
    cut = adherence_over([SHIFT], events, 0.0, 3 * M, 5 * M)["a1"]
    assert cut.adherent_s == 3 * M  # seen only to 3 min: within the tolerance so far
    known = adherence_over([SHIFT], events, 0.0, 3 * M, 5 * M, known_until=8 * H)["a1"]
    assert known.adherent_s == 0.0 and known.scheduled_s == 3 * M
