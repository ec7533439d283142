"""Invariants of the historical reports on random routing histories."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_kpi_accumulator import _STEP, _drive

from kefu.analytics import KpiAccumulator
from kefu.analytics.history import DIMENSIONS, history_report
from kefu.analytics.records import QueueKpi

COUNTS = ("offered", "answered", "abandoned", "short_abandons", "answered_within_sl")
COUNTS += ("handled", "transferred_out", "callbacks", "waiting_within_sl", "balked")
SUMS = ("wait_sum_s", "handle_sum_s", "talk_sum_s", "hold_sum_s", "wrapup_sum_s")
GROUPINGS = [g for n in range(3) for g in combinations(DIMENSIONS, n)]


def _sum(kpis: list[QueueKpi]) -> tuple[list[int], list[float]]:
    return (
        [sum(getattr(k, f) for k in kpis) for f in COUNTS],
        [sum(getattr(k, f) for k in kpis) for f in SUMS],
    )


@settings(max_examples=40)
@given(st.lists(_STEP, min_size=10, max_size=80), st.floats(0, 1000))
def test_given_any_history_when_reported_by_queue_then_it_matches_the_live_accumulator(
    steps: list[tuple[str, float, int]], start: float
) -> None:
    _, log, _now = _drive(steps)
    end = start + 3600.0
    at = end  # both count open time to the range end, so every bucket is built
    report = history_report(log, start, end, period="interval:15", group_by="queue", as_of=at)
    acc = KpiAccumulator(900.0, start=start, end=end)
    acc.consume_all(log)
    live = acc.result(at)
    for row in report.rows:
        starts = [i.start_s for i in live.intervals]
        expected = live.intervals[starts.index(row.start_s // 900 * 900)].queues[row.group[0]]
        got = row.contacts
        for f in COUNTS[:-2]:
            assert getattr(got, f) == getattr(expected, f), f
        for f in SUMS:
            assert getattr(got, f) == pytest.approx(getattr(expected, f), abs=1e-6), f
    assert report.total.contacts.offered == live.total.offered
    assert report.total.contacts.handle_sum_s == pytest.approx(
        report.total.contacts.talk_sum_s
        + report.total.contacts.hold_sum_s
        + report.total.contacts.wrapup_sum_s
    )


@settings(max_examples=40)
@given(
    st.lists(_STEP, min_size=10, max_size=80),
    st.sampled_from(GROUPINGS),
    st.sampled_from(["interval:15", "interval:30", "interval:60"]),
)
def test_given_any_history_and_grouping_then_groups_and_intervals_add_up_to_the_totals(
    steps: list[tuple[str, float, int]], group_by: tuple[str, ...], period: str
) -> None:
    _, log, _now = _drive(steps)
    day = 86400.0
    cut = history_report(log, 0.0, day, period=period, group_by=group_by)
    whole = history_report(log, 0.0, day, period="day", group_by=group_by)
    total = _sum([cut.total.contacts])
    counts, sums = _sum([g.contacts for g in cut.groups])
    assert counts == total[0]
    assert sums == pytest.approx(total[1], abs=1e-6)
    counts, sums = _sum([r.contacts for r in cut.rows])
    assert counts == total[0]
    assert sums == pytest.approx(total[1], abs=1e-6)
    # Per-interval rows add up to the day's rows, group by group.
    assert _sum([whole.total.contacts])[0] == total[0]
    for g in whole.groups:
        mine = [r for r in cut.rows if r.group == g.group]
        counts, sums = _sum([r.contacts for r in mine])
        assert counts == _sum([g.contacts])[0]
        assert sums == pytest.approx(_sum([g.contacts])[1], abs=1e-6)
        if g.agents is not None:
            handling = sum(r.agents.handling_s for r in mine if r.agents is not None)
            idle = sum(r.agents.idle_s for r in mine if r.agents is not None)
            assert handling == pytest.approx(g.agents.handling_s, abs=1e-6)
            assert idle == pytest.approx(g.agents.idle_s, abs=1e-6)
    sl = cut.total.contacts.service_level
    assert sl is None or 0.0 <= sl <= 1.0
