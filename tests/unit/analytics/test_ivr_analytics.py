"""IVR analytics on a hand-made event set whose answers are counted by hand."""

from __future__ import annotations

import math

from kefu.analytics.ivr import ivr_report
from kefu.domain import events as rev
from kefu.domain.ivr import events as ev

DAY = 86400.0


def _start(at: float, cid: str, customer: str | None = None) -> ev.FlowStarted:
    return ev.FlowStarted(at, cid, "bank", 1, "zh", {}, None, None, customer, None)


def _menu(at: float, cid: str, node: str) -> ev.NodeEntered:
    return ev.NodeEntered(at, cid, node, "menu", "input", at + 10)


def _events() -> list[ev.IvrEvent]:
    return [
        # c1: main → 3 (balance), self-service, ended: contained; verified customer k1.
        _start(0.0, "c1"),
        _menu(0.0, "c1", "main"),
        ev.IdentityVerified(1.0, "c1", "pin", "account_pin", "6222", True, "k1", 0),
        ev.OptionMatched(5.0, "c1", "main", "3", "balance", "digit"),
        ev.SelfServiceCompleted(8.0, "c1", "balance", "balance", "ok", {}),
        ev.Ended(9.0, "c1", "bye"),
        # c2: main → 1 (sub), sub menu, abandons there (depth 2).
        _start(100.0, "c2"),
        _menu(100.0, "c2", "main"),
        ev.OptionMatched(104.0, "c2", "main", "1", "sub", "digit"),
        _menu(104.0, "c2", "sub"),
        ev.Abandoned(110.0, "c2", "sub"),
        # c3: abandons at the first menu (depth 1).
        _start(200.0, "c3"),
        _menu(200.0, "c3", "main"),
        ev.Abandoned(203.0, "c3", "main"),
        # c4: asks for an agent at main, handed off at +6 s; abandons in the queue.
        _start(300.0, "c4"),
        _menu(300.0, "c4", "main"),
        ev.OptionMatched(304.0, "c4", "main", "0", "agent", "agent"),
        ev.HandedOff(306.0, "c4", "agent", "billing", False, "agent_requested", {}),
        # c5: customer k1 again, 3 days after c1: c1's containment failed. Chooses balance,
        # then is handed off (menu) and comes back into the IVR: a loop.
        _start(3 * DAY, "c5", "k1"),
        _menu(3 * DAY, "c5", "main"),
        ev.OptionMatched(3 * DAY + 5, "c5", "main", "3", "balance", "digit"),
        ev.HandedOff(3 * DAY + 9, "c5", "agent", "billing", False, "menu", {}),
        _start(3 * DAY + 300, "c5"),
        _menu(3 * DAY + 300, "c5", "main"),
        ev.Ended(3 * DAY + 320, "c5", "bye"),
    ]


def test_given_hand_made_events_when_reported_then_every_figure_matches_the_hand_count() -> None:
    routing = [rev.ContactAbandoned(400.0, "c4", "billing", 94.0)]
    r = ivr_report(reversed(_events()), routing)  # any order: sorted per contact by time
    assert (r.contacts, r.contained, r.abandoned, r.handed_off) == (5, 2, 2, 1)
    assert r.coverage == 2 / 5
    assert r.node_entries == {"main": 6, "sub": 1}
    chosen = {(o.node_id, o.digit): (o.count, o.abandoned_after) for o in r.options}
    assert chosen == {("main", "0"): (1, 1), ("main", "1"): (1, 1), ("main", "3"): (2, 0)}
    assert [o.share for o in r.options if o.digit == "3"] == [0.5]
    assert r.to_agents_by_reason == {"agent_requested": 1, "menu": 1}
    depth = {d.depth: (d.reached, d.abandoned) for d in r.depth}
    assert depth == {1: (5, 1), 2: (2, 1)}
    assert math.isclose(r.depth[1].cumulative, 1 - (1 - 1 / 5) * (1 - 1 / 2))
    times = {s.service: (s.count, s.mean_s) for s in r.service_times}
    assert times == {"action:balance": (1, 8.0), "queue:billing": (2, 7.5)}
    assert (r.contained_with_customer, r.repeats_within_window) == (2, 1)
    assert r.loops == 1
    assert r.queue_abandoned == 1


def test_given_a_repeat_after_the_window_when_reported_then_it_is_not_a_failed_containment() -> (
    None
):
    events = [e for e in _events() if e.contact_id in ("c1", "c5")]
    shifted = [e for e in events if e.contact_id == "c1"] + [
        _start(9 * DAY, "c5", "k1"),
        _menu(9 * DAY, "c5", "main"),
        ev.Ended(9 * DAY + 20, "c5", "bye"),
    ]
    r = ivr_report(shifted)
    assert (r.contained_with_customer, r.repeats_within_window) == (2, 0)
    assert r.repeat_rate == 0.0


def test_given_no_event_when_reported_then_shares_are_undefined_not_zero() -> None:
    r = ivr_report([])
    assert r.contacts == 0 and math.isnan(r.coverage)
    assert r.to_dict()["coverage"] is None


def test_given_a_hang_up_after_self_service_when_reported_then_it_is_contained_not_abandoned() -> (
    None
):
    served = [
        _start(0.0, "a"),
        _menu(0.0, "a", "main"),
        ev.SelfServiceCompleted(5.0, "a", "balance", "balance", "ok", {}),
        _menu(6.0, "a", "more"),
        ev.Abandoned(8.0, "a", "more"),
    ]
    failed = [
        _start(0.0, "b"),
        _menu(0.0, "b", "main"),
        ev.SelfServiceCompleted(5.0, "b", "balance", "balance", "error", {}),
        ev.Abandoned(8.0, "b", "main"),
    ]
    r = ivr_report(served + failed)
    assert (r.contained, r.abandoned) == (1, 1)
    assert {d.depth: d.abandoned for d in r.depth} == {1: 1, 2: 0}
