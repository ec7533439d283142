from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kpi_oracle import oracle

from kefu.analytics import KpiAccumulator, QueueKpi, RunningKpis
from kefu.domain.errors import KefuError
from kefu.domain.events import Event
from kefu.domain.model import AgentSpec, Channel, ContactSpec, ContactState, QueueSpec
from kefu.domain.routing import Router, RouterConfig


def _center() -> Router:
    r = Router(RouterConfig(offer_timeout_s=30.0))
    r.define_queue(
        QueueSpec("voice", Channel.VOICE, {"v": 1}, sl_threshold_s=20.0, wrapup_s=5.0), 0
    )
    r.define_queue(QueueSpec("back", Channel.VOICE, {"v": 1}, sl_threshold_s=60.0), 0)
    r.define_queue(QueueSpec("chat", Channel.CHAT, {"c": 1}, short_abandon_s=10.0), 0)
    r.define_agent(AgentSpec("a1", {"v": 5}, name="x"), 0)
    r.define_agent(AgentSpec("a2", {"v": 3, "c": 3}, site_id="s"), 0)
    r.define_agent(AgentSpec("a3", {"c": 4}), 0)
    return r


def test_given_a_hand_made_day_when_consumed_then_figures_follow_the_definitions() -> None:
    r = Router(RouterConfig(offer_timeout_s=30.0))
    r.define_queue(
        QueueSpec("q", Channel.VOICE, sl_threshold_s=20.0, wrapup_s=10.0, aht_s=100.0), 0
    )
    r.define_agent(AgentSpec("a"), 0)
    r.set_presence("a", "ready", 0)
    r.enqueue(ContactSpec("c1", "q"), 10)  # offered at once to a
    r.accept(r.contact("c1")["offer_id"], 12)  # waited 2 s
    r.enqueue(ContactSpec("c2", "q"), 50)  # predicted (0 + 1) × 100 / 1 = 100 s
    r.abandon("c2", 53)  # short abandon (3 s)
    r.enqueue(ContactSpec("c3", "q"), 60)  # predicted 100 s too
    r.complete("c1", 100)  # wrap-up until 110, then c3 is offered
    r.advance(110)
    r.accept(r.contact("c3")["offer_id"], 110)  # waited 50 s
    r.complete("c3", 200)
    r.advance(250)
    acc = KpiAccumulator(interval_s=60.0)
    acc.consume_all(r.drain())
    report = acc.result(at=240.0)
    q = report.queues["q"]
    assert (q.offered, q.answered, q.abandoned, q.short_abandons) == (3, 2, 1, 1)
    assert q.answered_within_sl == 1
    assert q.p_wait == pytest.approx(1.0)  # nobody was answered the instant it queued
    assert q.service_level == pytest.approx(1 / 2)  # 1 within 20 s / (3 − 1)
    assert q.abandon_rate == 0.0
    assert q.asa_s == pytest.approx((2 + 50) / 2)
    assert q.aht_s == pytest.approx(((110 - 12) + (210 - 110)) / 2)  # talk + wrap-up
    assert q.longest_wait_s == pytest.approx(50)
    assert q.predicted == 2  # c1 (0 s predicted, waited 2) and c3 (100 predicted, waited 50)
    assert q.predicted_wait_mae_s == pytest.approx((2 + 50) / 2)
    assert q.predicted_wait_bias_s == pytest.approx((-2 + 50) / 2)
    assert q.max_queue_length == 1  # c2 left (53) before c3 came (60)
    # Waiting: c1 10–12, c2 50–53, c3 60–110 → area 2 + 3 + 50 = 55 over 240 s.
    assert q.mean_queue_length == pytest.approx(55 / 240)
    # Agent a: handling 12–110 and 110–210 → 198 s; idle 0–10 and 210–240 → 40 s.
    occ = report.groups["all"]
    assert occ.handling_s == pytest.approx(198)
    assert occ.idle_s == pytest.approx(40)
    assert occ.occupancy == pytest.approx(198 / 238)
    # Interval attribution: c1 and c2 entered in [0, 60), c3 in [60, 120).
    first, second = report.intervals[0].queues["q"], report.intervals[1].queues["q"]
    assert (first.offered, first.answered, first.abandoned) == (2, 1, 1)
    assert (second.offered, second.answered) == (1, 1)
    assert second.service_level == 0.0
    assert len(report.intervals) == 4
    assert report.waiting_at_end == 0


def test_given_contacts_waiting_within_t_when_read_live_then_they_are_not_sl_failures() -> None:
    r = Router(RouterConfig(offer_timeout_s=300.0))
    r.define_queue(QueueSpec("mail", Channel.EMAIL, sl_threshold_s=3600.0), 0)
    r.define_queue(QueueSpec("q", Channel.VOICE, sl_threshold_s=20.0), 0)
    r.define_agent(AgentSpec("a", {}), 0)
    r.set_presence("a", "ready", 0)
    r.enqueue(ContactSpec("m1", "mail"), 10)  # offered to a at once: ringing, not accepted
    r.enqueue(ContactSpec("v1", "q"), 20)  # queued behind m1 (a is busy with the offer)
    acc = KpiAccumulator(interval_s=900.0)
    acc.consume_all(r.drain())
    at_minute_one = acc.result(at=60.0).queues
    # Nothing has an outcome yet at minute 1: no SL figure rather than 0 %.
    assert at_minute_one["mail"].service_level is None
    assert at_minute_one["mail"].waiting_within_sl == 1
    assert at_minute_one["q"].service_level == 0.0  # v1 has waited 40 s > 20 s: a failure
    early = acc.result(at=30.0).queues["q"]
    assert (early.waiting_within_sl, early.service_level) == (1, None)  # v1 waited 10 s ≤ 20 s
    r.accept(r.contact("m1")["offer_id"], 70)
    acc.consume_all(r.drain())
    assert acc.result(at=80.0).queues["mail"].service_level == 1.0  # answered within 1 h


def test_given_window_when_contacts_arrive_before_start_then_they_are_not_counted() -> None:
    r = _center()
    r.set_presence("a1", "ready", 0)
    r.enqueue(ContactSpec("early", "voice"), 5)  # offered to a1, who misses it (35 s)
    r.enqueue(ContactSpec("late", "voice"), 120)
    acc = KpiAccumulator(60.0, start=100.0, end=200.0)
    acc.consume_all(r.drain())
    report = acc.result(at=200)
    assert report.total.offered == 1
    assert report.total.max_queue_length == 2  # both wait: lengths count every contact
    assert report.waiting_at_end == 2
    assert report.queues["voice"].longest_wait_s == pytest.approx(80)  # "late" only
    assert [i.start_s for i in report.intervals] == [60.0, 120.0, 180.0]
    assert report.intervals[0].total.period_s == 20.0  # the window starts at 100 s
    # "early" waited all the window through: 100 s, "late" 80 s.
    assert report.total.queue_length_area == pytest.approx(180.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"interval_s": 0}, "interval_s"),
        ({"interval_s": math.inf}, "interval_s"),
        ({"start": 10.0, "end": 5.0}, "after its start"),
        ({"wait_bins_s": [5, 10]}, "start at 0"),
        ({"wait_bins_s": [0, 10, 10]}, "increase"),
    ],
)
def test_given_bad_arguments_when_building_then_value_error(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        KpiAccumulator(**kwargs)  # type: ignore[arg-type]


def test_given_empty_log_then_ratios_are_none() -> None:
    report = KpiAccumulator(60.0).result()
    assert report.total.offered == 0
    assert report.total.service_level is None
    assert report.total.asa_s is None
    assert report.total.aht_s is None
    assert report.intervals == ()


_KINDS = ["arrive"] * 4 + ["accept"] * 3 + ["complete"] * 2 + ["wait"] * 2
_KINDS += ["reject", "abandon", "abandon", "presence", "transfer", "callback"]
_STEP = st.tuples(
    st.sampled_from(_KINDS),
    st.floats(min_value=0.0, max_value=40.0),
    st.integers(min_value=0, max_value=10**6),
)
_NEEDS = {
    "accept": (ContactState.OFFERED,),
    "reject": (ContactState.OFFERED,),
    "complete": (ContactState.ACTIVE,),
    "transfer": (ContactState.ACTIVE,),
    "abandon": (ContactState.QUEUED, ContactState.OFFERED),
    "callback": (ContactState.QUEUED,),
}


def _drive(steps: list[tuple[str, float, int]]) -> tuple[Router, list[Event], float]:
    """Apply random commands (each to a contact in a state that allows it) to a router."""
    r = _center()
    for agent in ("a1", "a2", "a3"):
        r.set_presence(agent, "ready", 0.0)
    log = r.drain()
    now = 0.0
    queues = ["voice", "back", "chat"]
    agents = ["a1", "a2", "a3"]
    n = 0
    for kind, dt, pick in steps:
        now += dt
        try:
            if kind == "arrive":
                n += 1
                r.enqueue(ContactSpec(f"c{n}", queues[pick % 3], priority=pick % 2), now)
            elif kind == "presence":
                presence = ["ready", "ready", "not_ready", "offline"][(pick // 3) % 4]
                r.set_presence(agents[pick % 3], presence, now)
            elif kind == "wait":
                r.advance(now)
            else:
                r.advance(now)
                fit = sorted(c for c, rec in r.contacts.items() if rec.state in _NEEDS[kind])
                if fit:
                    cid = fit[pick % len(fit)]
                    c = r.contacts[cid]
                    if kind in ("accept", "reject"):
                        getattr(r, kind)(c.offer_id, now)
                    elif kind == "transfer":
                        target = "back" if c.channel is Channel.VOICE else "chat"
                        r.transfer(cid, now, to_queue=target)
                    elif kind == "callback":
                        r.request_callback(cid, now)
                    else:
                        getattr(r, kind)(cid, now)
        except KefuError:
            pass  # a command the state refuses changes nothing
        log += r.drain()
    return r, log, now


@settings(max_examples=150)
@given(
    st.lists(_STEP, min_size=10, max_size=80),
    st.sampled_from([30.0, 45.0, 100.0]),
    st.floats(0, 60),
)
def test_given_any_routing_history_then_accumulator_matches_a_naive_recount(
    steps: list[tuple[str, float, int]], size: float, start: float
) -> None:
    _, log, now = _drive(steps)
    end = start + 400.0
    groups = {"a1": "g1", "a2": "g2", "a3": "g2"}
    acc = KpiAccumulator(size, start=start, end=end, agent_groups=groups)
    half = len(log) // 2
    for e in log[:half]:
        acc.consume(e)
    acc.consume_all(log[half:])
    at = max(now, start)
    report = acc.result(at=at)
    ref = oracle(log, interval_s=size, start=start, end=end, now=at, groups=groups)
    assert [i.start_s for i in report.intervals] == [k * size for k in ref["ks"]]
    for interval, k in zip(report.intervals, ref["ks"], strict=True):
        for name, kpi in interval.queues.items():
            c = ref["counts"].get((name, k), {})
            counts = (kpi.offered, kpi.answered, kpi.abandoned, kpi.short_abandons)
            assert counts == tuple(
                c.get(f, 0) for f in ("offered", "answered", "abandoned", "short")
            )
            assert (kpi.answered_within_sl, kpi.handled) == (c.get("in_sl", 0), c.get("handled", 0))
            assert kpi.answered_at_once == c.get("immediate", 0)
            assert kpi.waiting_within_sl == c.get("waiting_within_sl", 0)
            sums = (kpi.wait_sum_s, kpi.handle_sum_s, kpi.predicted_abs_error_sum_s)
            expected = tuple(c.get(f, 0.0) for f in ("wait_sum", "handle_sum", "pred_abs"))
            assert sums == pytest.approx(expected, abs=1e-6)
            assert kpi.queue_length_area == pytest.approx(ref["area"][name, k], abs=1e-6)
            assert kpi.max_queue_length == ref["peak"][name, k]
        assert interval.total.queue_length_area == pytest.approx(ref["area"]["*", k], abs=1e-6)
        assert interval.total.max_queue_length == ref["peak"]["*", k]
        for group, occ in interval.groups.items():
            busy, idle = ref["handling"].get((group, k), 0.0), ref["idle"].get((group, k), 0.0)
            assert (occ.handling_s, occ.idle_s) == pytest.approx((busy, idle), abs=1e-6)
    _check_invariants(report.total, report)


def _check_invariants(total: QueueKpi, report: object) -> None:
    assert total.answered + total.abandoned <= total.offered
    assert 0 <= total.short_abandons <= total.abandoned
    for ratio in (total.service_level, total.abandon_rate):
        assert ratio is None or 0.0 <= ratio <= 1.0
    assert sum(total.wait_hist_answered) == total.answered
    assert sum(total.wait_hist_abandoned) == total.abandoned


@settings(max_examples=150)
@given(
    st.lists(_STEP, min_size=10, max_size=80),
    st.sampled_from([30.0, 45.0, 100.0]),
    st.floats(0, 60),
    st.integers(min_value=1, max_value=7),
)
def test_given_any_routing_history_when_fed_in_batches_then_running_totals_match_the_report(
    steps: list[tuple[str, float, int]], size: float, start: float, batches: int
) -> None:
    _, log, now = _drive(steps)
    running = RunningKpis(size, start=start)
    full = KpiAccumulator(size, start=start)
    cut = max(1, len(log) // batches)
    for i in range(0, len(log), cut):
        running.consume_all(log[i : i + cut])  # read between batches, as a wallboard does
        running.totals(log[min(i + cut, len(log)) - 1].at)
    full.consume_all(log)
    at = max(now, start)
    report = full.result(at)
    totals = running.totals(at)
    assert totals.keys() == report.queues.keys()
    for name, expected in report.queues.items():
        got = totals[name]
        counts = ("offered", "answered", "abandoned", "short_abandons", "answered_within_sl")
        counts += ("balked", "answered_at_once", "handled", "max_queue_length", "waiting_within_sl")
        assert [getattr(got, f) for f in counts] == [getattr(expected, f) for f in counts]
        assert got.wait_hist_answered == expected.wait_hist_answered
        assert got.wait_hist_abandoned == expected.wait_hist_abandoned
        for ratio in ("service_level", "asa_s", "abandon_rate", "longest_wait_s"):
            assert getattr(got, ratio) == pytest.approx(getattr(expected, ratio), abs=1e-9)
        assert got.queue_length_area == pytest.approx(expected.queue_length_area, abs=1e-6)
    since = at - 3 * size
    recent = running.recent(since, at)
    assert recent == tuple(i for i in report.intervals if i.end_s > since)
