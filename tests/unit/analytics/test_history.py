from __future__ import annotations

from itertools import pairwise

import pytest
from history_log import T0, Log

from kefu.analytics.buckets import Buckets
from kefu.analytics.history import HistoryReport, history_report, parse_group_by
from kefu.domain.errors import ValidationError

HOUR = 3600.0


def _day_log() -> Log:
    """An hour's log with contacts across both ends of [T0, T0 + 1 h)."""
    log = Log()
    log.queue(-2000, "q", sl_threshold_s=20.0, short_abandon_s=5.0)
    log.queue(-2000, "q2", site="s2", sl_threshold_s=60.0)
    log.agent(-2000, "a1")
    log.agent(-2000, "a2", site="s2")
    log.state(-1000, "a1", "ready")
    log.state(-1000, "a2", "ready")
    # c0 waits from before the range and is ringing at a1 when it opens.
    log.queued(-30, "c0", "q")
    log.answer(-10, 5, "c0", "a1")
    log.complete(50, 60, "c0", "a1")
    # c1: 10 s wait, 230 s talk, 60 s hold, 30 s wrap-up; predicted 16 s.
    log.queued(100, "c1", "q", predicted=16.0, customer="客户一")
    log.answer(100, 110, "c1", "a2")
    log.hold(200, 260, "c1", "a2")
    log.complete(400, 430, "c1", "a2", "成交")
    log.queued(200, "c2", "q")
    log.abandon(203, "c2", "q", 3.0)  # short abandon
    log.queued(300, "c3", "q")
    log.abandon(340, "c3", "q", 40.0)
    # c4: 30 s wait at a1, transferred to q2, answered there after 5 s by a2.
    log.queued(1000, "c4", "q", channel="chat", tier=2)
    log.answer(1000, 1030, "c4", "a1")
    log.transfer(1100, "c4", "a1", "q2")
    log.answer(1100, 1105, "c4", "a2")
    log.complete(1200, 1200, "c4", "a2", "resolved")
    # c5 enters 10 s before the range ends and is answered 60 s later (outside the range).
    log.queued(HOUR - 10, "c5", "q")
    log.answer(HOUR - 10, HOUR + 50, "c5", "a1")
    log.complete(HOUR + 100, HOUR + 100, "c5", "a1")
    return log


def _report(log: Log, **kw: object) -> HistoryReport:
    return history_report(log.sorted(), T0, T0 + HOUR, **kw)  # type: ignore[arg-type]


def test_given_a_hand_made_hour_when_reported_then_every_total_has_its_known_value() -> None:
    t = _report(_day_log(), period="interval:15").total
    c = t.contacts
    # c0 entered before the range: not offered. c4 counts twice (q, then q2 after transfer).
    assert (c.offered, c.answered, c.abandoned, c.short_abandons) == (6, 4, 2, 1)
    # Within SL: c1 (10 s ≤ 20), c4 in q2 (5 s ≤ 60); not c4 in q (30 s), not c5 (60 s).
    assert c.answered_within_sl == 2
    assert c.service_level == pytest.approx(2 / (6 - 1))
    assert c.abandon_rate == pytest.approx(1 / 5)
    assert c.asa_s == pytest.approx((10 + 30 + 5 + 60) / 4)
    # Handled: c1 (230 + 60 + 30), c4 in q (70 talk), c4 in q2 (95), c5 (50).
    assert c.handled == 4
    assert c.talk_sum_s == pytest.approx(230 + 70 + 95 + 50)
    assert c.hold_sum_s == pytest.approx(60)
    assert c.wrapup_sum_s == pytest.approx(30)
    assert c.aht_s == pytest.approx((320 + 70 + 95 + 50) / 4)
    assert c.transferred_out == 1
    assert c.predicted == 1
    assert c.predicted_wait_mae_s == pytest.approx(6.0)
    assert c.longest_wait_s == pytest.approx(60)


def test_given_contacts_at_the_range_ends_when_reported_then_agent_time_is_clipped() -> None:
    a = _report(_day_log(), group_by="agent").total.agents
    assert a is not None
    # a1 in range: ringing c0 0–5 (neither), handling 5–60, idle 60–1000, ringing
    # 1000–1030, handling 1030–1100, idle 1100–3590, ringing 3590–3600 (range end).
    # a2: idle 0–100, ringing 100–110, handling 110–430, idle 430–1100, ringing
    # 1100–1105, handling 1105–1200, idle 1200–3600.
    handling = 55 + 70 + 320 + 95
    idle = (940 + 2490) + (100 + 670 + 2400)
    assert a.handling_s == pytest.approx(handling)
    assert a.idle_s == pytest.approx(idle)
    assert a.staffed_s == pytest.approx(2 * HOUR)
    assert a.occupancy == pytest.approx(handling / (handling + idle))
    assert a.utilisation == pytest.approx(handling / (2 * HOUR))


def test_given_fifteen_minute_buckets_when_reported_then_contacts_count_where_they_queued() -> None:
    report = _report(_day_log(), period="interval:15", group_by="queue")
    cells = {(r.start_s - T0, r.group): r.contacts.offered for r in report.rows}
    assert cells == {(0.0, ("q",)): 3, (900.0, ("q",)): 1, (900.0, ("q2",)): 1, (2700.0, ("q",)): 1}
    assert len(report.buckets) == 5


def test_given_five_minute_buckets_when_reported_then_they_split_the_fifteen_minute_ones() -> None:
    fine = _report(_day_log(), period="interval:5", group_by="queue")
    coarse = _report(_day_log(), period="interval:15", group_by="queue")
    assert len(fine.buckets) == 13  # 12 buckets of 5 minutes in the hour, edges included
    assert all(b - a == 300.0 for a, b in pairwise(fine.buckets))
    summed: dict[tuple[float, tuple[str, ...]], int] = {}
    for r in fine.rows:
        key = (T0 + (r.start_s - T0) // 900.0 * 900.0, r.group)
        summed[key] = summed.get(key, 0) + r.contacts.offered
    expected = {(r.start_s, r.group): r.contacts.offered for r in coarse.rows}
    assert {k: v for k, v in summed.items() if v} == {k: v for k, v in expected.items() if v}
    assert fine.total.to_dict() == coarse.total.to_dict() | {"start_s": T0, "end_s": T0 + HOUR}


def test_given_group_by_disposition_and_tier_then_chinese_labels_and_dashes_appear() -> None:
    report = _report(_day_log(), group_by="disposition,value_tier")
    groups = {r.group: r.contacts.offered for r in report.groups}
    assert groups == {("成交", "0"): 1, ("-", "0"): 3, ("-", "2"): 1, ("resolved", "2"): 1}
    assert all(r.agents is None for r in report.groups)  # not splittable by disposition


def test_given_tiers_routed_as_standard_when_grouped_by_tier_then_the_customers_tier_shows() -> (
    None
):
    # A tier whose effect is "none" or a boost reaches the router as rank 0; the contact's
    # attributes keep the customer's tier (kefu.domain.tiers), which the report groups by.
    log = Log()
    log.queue(-100, "q")
    log.queued(10, "std", "q")
    log.queued(20, "boosted", "q", attributes={"value_tier": "2", "tier_boost": "5"})
    log.queued(30, "first", "q", tier=3)
    report = _report(log, group_by="value_tier")
    assert {r.group: r.contacts.offered for r in report.groups} == {
        ("0",): 1,
        ("2",): 1,
        ("3",): 1,
    }


def test_given_a_contact_waiting_under_t_at_the_end_then_sl_leaves_it_out() -> None:
    log = Log()
    log.queue(-100, "q", sl_threshold_s=20.0)
    log.agent(-100, "a1")
    log.queued(10, "c1", "q")
    log.answer(10, 15, "c1", "a1")
    log.queued(HOUR - 30, "late", "q")  # waits 30 s > T at as_of: a failure
    log.queued(HOUR - 5, "fresh", "q")  # waits 5 s ≤ T: outcome not known
    report = history_report(log.sorted(), T0, T0 + HOUR, as_of=T0 + HOUR)
    c = report.total.contacts
    assert (c.offered, c.answered, c.waiting_within_sl) == (3, 1, 1)
    assert c.service_level == pytest.approx(1 / 2)
    assert report.waiting_at_end == 2
    assert c.longest_wait_s == pytest.approx(30)


def test_given_no_predictions_in_the_events_then_the_report_says_so() -> None:
    log = Log()
    log.queue(-100, "q")
    log.queued(10, "c1", "q")
    log.abandon(50, "c1", "q", 40.0)
    report = history_report(log.sorted(), T0, T0 + HOUR)
    assert report.predicted_wait_known is False
    assert report.to_dict()["predicted_wait"] == "the events carry no predicted wait"
    assert report.total.contacts.predicted_wait_mae_s is None


def test_given_a_log_read_from_mid_contact_when_reported_then_unknown_ids_are_skipped() -> None:
    log = _day_log()
    tail = [e for e in log.sorted() if e.at >= T0 + 105]  # starts after a2 rang for c1
    report = history_report(tail, T0, T0 + HOUR)
    assert report.total.contacts.offered == 5  # c2, c3, c4 twice, c5: c1 was not seen
    assert report.total.contacts.offered + 1 == _report(log).total.contacts.offered


@pytest.mark.parametrize(
    ("period", "edges"),
    [
        ("day", 2),  # 2026-03-08 00:00 → 03-09 00:00 New York: 23 h (DST starts)
        ("interval:60", 24),
    ],
)
def test_given_a_dst_day_when_cut_then_edges_follow_the_wall_clock(period: str, edges: int) -> None:
    start = 1772946000.0  # 2026-03-08 00:00 America/New_York (EST, UTC−5)
    end = start + 23 * HOUR
    b = Buckets.cut(start, end, period, "America/New_York")
    assert len(b.edges) == edges
    assert b.edges[-1] - b.edges[0] == 23 * HOUR


def test_given_months_in_shanghai_when_cut_then_edges_are_local_midnights() -> None:
    start = T0 - 8 * HOUR  # 2026-01-05 00:00 Asia/Shanghai
    b = Buckets.cut(start, start + 60 * 86400, "month", "Asia/Shanghai")
    # 2026-02-01 00:00 Shanghai = 2026-01-31 16:00 UTC; then 2026-03-01.
    assert b.edges[1] == 1769875200.0
    assert b.edges[2] == 1772294400.0
    week = Buckets.cut(start + 86400, start + 8 * 86400, "week", "Asia/Shanghai")
    assert week.edges[1] == start + 7 * 86400  # the next Monday


@pytest.mark.parametrize(("period", "text"), [("interval:20", "20"), ("fortnight", "fortnight")])
def test_given_a_bad_period_then_a_validation_error_names_it(period: str, text: str) -> None:
    with pytest.raises(ValidationError, match=text):
        Buckets.cut(T0, T0 + HOUR, period)


@pytest.mark.parametrize(("group", "text"), [("team", "team"), ("queue,queue", "repeated")])
def test_given_a_bad_grouping_then_a_validation_error_names_it(group: str, text: str) -> None:
    with pytest.raises(ValidationError, match=text):
        parse_group_by(group)


def test_given_an_unknown_zone_or_empty_range_then_validation_error() -> None:
    with pytest.raises(ValidationError, match="time zone"):
        Buckets.cut(T0, T0 + HOUR, "day", "Mars/Olympus")
    with pytest.raises(ValidationError, match="after its start"):
        Buckets.cut(T0, T0, "day")


def test_given_a_transferred_contact_when_exported_per_contact_then_legs_are_summed() -> None:
    from kefu.analytics.contact_rows import ContactRows
    from kefu.analytics.history import HistoryBuilder

    rows = ContactRows(T0, T0 + HOUR)
    builder = HistoryBuilder(T0, T0 + HOUR, on_visit=rows)
    builder.consume_all(_day_log().sorted())
    builder.result()
    by_id = {r.contact_id: r for r in rows.sorted()}
    assert sorted(by_id) == ["c1", "c2", "c3", "c4", "c5"]  # c0 queued before the range
    c4 = by_id["c4"]
    assert (c4.queue_id, c4.last_queue_id, c4.transfers, c4.agent_id) == ("q", "q2", 1, "a2")
    assert (c4.wait_s, c4.talk_s, c4.channel, c4.value_tier) == (35.0, 165.0, "chat", 2)
    assert (c4.outcome, c4.disposition) == ("answered", "resolved")
    c1 = by_id["c1"]
    assert (c1.customer_id, c1.disposition, c1.hold_s, c1.wrapup_s) == ("客户一", "成交", 60, 30)
    assert by_id["c2"].outcome == "abandoned"


def test_given_hold_and_wrap_up_when_consumed_live_then_aht_is_split_the_same_way() -> None:
    from kefu.analytics import KpiAccumulator

    acc = KpiAccumulator(900.0, start=T0, end=T0 + HOUR)
    acc.consume_all(_day_log().sorted())
    live = acc.result().total
    assert (live.talk_sum_s, live.hold_sum_s, live.wrapup_sum_s) == (445.0, 60.0, 30.0)
    assert live.talk_s == pytest.approx(445 / 4)
    assert live.aht_s == pytest.approx((445 + 60 + 30) / 4)


def test_given_a_contact_waiting_under_t_now_when_reported_live_then_sl_leaves_it_out() -> None:
    from kefu.analytics import KpiAccumulator

    log = Log()
    log.queue(-100, "q", sl_threshold_s=20.0)
    log.agent(-100, "a1")
    log.queued(10, "c1", "q")
    log.answer(10, 15, "c1", "a1")
    log.queued(100, "c2", "q")
    acc = KpiAccumulator(900.0, start=T0)
    acc.consume_all(log.sorted())
    assert acc.result(T0 + 105).total.service_level == pytest.approx(1.0)  # c2: 5 s ≤ T
    late = acc.result(T0 + 130).total  # c2 now waits 30 s > T: a failure
    assert (late.waiting_within_sl, late.service_level) == (0, pytest.approx(1 / 2))
    assert acc.result(T0 + 105).total.waiting_within_sl == 1  # recounted for each instant


def test_given_a_contact_waiting_exactly_t_when_reported_then_live_and_history_leave_it_out() -> (
    None
):
    from kefu.analytics import KpiAccumulator

    log = Log()
    log.queue(-100, "q", sl_threshold_s=20.0)
    log.agent(-100, "a1")
    log.queued(10, "c1", "q")
    log.answer(10, 15, "c1", "a1")
    log.queued(100, "c2", "q")
    acc = KpiAccumulator(900.0, start=T0)
    acc.consume_all(log.sorted())
    # c2 has waited exactly T: it may still be answered within T (answered at T counts).
    at_t = acc.result(T0 + 120).total
    assert (at_t.waiting_within_sl, at_t.service_level) == (1, pytest.approx(1.0))
    past_t = acc.result(T0 + 120.5).total
    assert (past_t.waiting_within_sl, past_t.service_level) == (0, pytest.approx(1 / 2))
    report = history_report(log.sorted(), T0, T0 + HOUR, as_of=T0 + 120)
    assert report.total.contacts.waiting_within_sl == at_t.waiting_within_sl


def test_given_a_callback_and_an_overflow_when_reported_then_both_are_counted() -> None:
    from kefu.domain import events as ev

    log = Log()
    log.queue(-100, "q", sl_threshold_s=20.0)
    log.queue(-100, "q2")
    log.agent(-100, "a1")
    log.queued(10, "c1", "q")
    log.events.append(ev.CallbackRequested(T0 + 40, "c1", "+86 138 0000 0000"))
    log.answer(300, 305, "c1", "a1")  # the agent calls back: answered after 295 s
    log.complete(400, 400, "c1", "a1")
    log.queued(20, "c2", "q")
    log.events.append(ev.ContactOverflowed(T0 + 50, "c2", 1, "q2"))
    log.abandon(90, "c2", "q2", 70.0)
    c = history_report(log.sorted(), T0, T0 + HOUR, group_by="queue").groups[0].contacts
    assert (c.offered, c.callbacks, c.overflowed, c.answered, c.abandoned) == (2, 1, 1, 1, 1)
    assert c.service_level == 0.0
    assert c.asa_s == pytest.approx(295)
