"""Offers, answers, transfers, wrap-up, callbacks, overflow and timers."""

from __future__ import annotations

import pytest
from routing_helpers import last_offer, offers, ready_agents

from kefu.domain import events as ev
from kefu.domain.model import AgentSpec, ContactSpec, OverflowStep, QueueSpec
from kefu.domain.routing import Router


def test_given_offer_when_rejected_then_next_agent_is_offered(router: Router) -> None:
    ready_agents(router, [AgentSpec("a", {"billing": 9}), AgentSpec("b", {"billing": 4})])
    router.enqueue(ContactSpec("c", "billing"), 1.0)
    first = last_offer(router)
    router.reject(first.offer_id, 2.0)
    second = last_offer(router)
    assert (first.agent_id, second.agent_id) == ("a", "b")
    assert router.agent("a")["presence"] == "ready"


def test_given_only_agent_rejects_when_nobody_else_then_contact_waits_not_reoffered(
    router: Router,
) -> None:
    ready_agents(router, [AgentSpec("a", {"billing": 9})])
    router.enqueue(ContactSpec("c", "billing"), 1.0)
    router.reject(last_offer(router).offer_id, 2.0)
    assert len(offers(router)) == 1
    assert router.contact("c")["state"] == "queued"


def test_given_offer_when_it_times_out_then_agent_goes_missed_and_next_agent_is_offered(
    router: Router,
) -> None:
    ready_agents(router, [AgentSpec("a", {"billing": 9}), AgentSpec("b", {"billing": 4})])
    router.enqueue(ContactSpec("c", "billing"), 1.0)
    assert router.next_due() == 16.0
    router.advance(16.0)
    assert router.agent("a")["presence"] == "not_ready"
    assert router.agent("a")["reason"] == "missed"
    assert last_offer(router).agent_id == "b"
    assert any(isinstance(e, ev.OfferTimedOut) for e in router.log)


def test_given_answered_call_when_completed_then_wrapup_then_agent_free_for_next(
    router: Router,
) -> None:
    ready_agents(router, [AgentSpec("a", {"billing": 5})])
    router.enqueue(ContactSpec("c1", "billing"), 1.0)
    router.enqueue(ContactSpec("c2", "billing"), 2.0)
    router.accept("c1/1", 3.0)
    assert router.agent("a")["activity"] == "busy"
    router.hold("c1", 4.0)
    assert router.contact("c1")["on_hold"]
    router.resume("c1", 5.0)
    router.complete("c1", 60.0, disposition="resolved")
    assert router.agent("a")["activity"] == "wrapup"
    assert router.next_due() == 70.0
    router.advance(70.0)
    assert router.contact("c1")["state"] == "completed"
    assert last_offer(router).contact_id == "c2"


def test_given_transfer_to_queue_then_attributes_and_note_travel_and_new_agent_gets_it(
    router: Router,
) -> None:
    router.define_queue(QueueSpec("loans", skills={"loans": 1}), 0.0)
    ready_agents(router, [AgentSpec("a", {"billing": 5}), AgentSpec("b", {"loans": 5})])
    attrs = {"verified": "yes", "account": "6222-8888", "姓名": "王小明"}
    router.enqueue(ContactSpec("c", "billing", customer_id="cust-1", attributes=attrs), 1.0)
    router.accept("c/1", 2.0)
    router.transfer("c", 30.0, to_queue="loans", note="客户要办房贷 wants a mortgage")
    offer = last_offer(router)
    assert offer.agent_id == "b"
    view = router.contact("c")
    assert view["attributes"] == attrs
    assert view["notes"] == ["客户要办房贷 wants a mortgage"]
    assert view["path"] == ["billing", "loans"]
    assert view["customer_id"] == "cust-1"
    assert router.agent("a")["activity"] == "ready"


def test_given_transfer_to_busy_agent_then_it_waits_for_that_agent_only(router: Router) -> None:
    agents = [
        AgentSpec("a", {"billing": 5}),
        AgentSpec("b", {"billing": 5}),
        AgentSpec("c", {"billing": 5}),
    ]
    ready_agents(router, agents)
    router.enqueue(ContactSpec("x", "billing"), 1.0)
    router.enqueue(ContactSpec("y", "billing"), 1.0)
    x_agent = router.contact("x")["agent_id"]
    y_agent = router.contact("y")["agent_id"]
    router.accept("x/1", 2.0)
    router.accept("y/1", 2.0)
    router.transfer("x", 3.0, to_agent=y_agent, note="for you")
    assert router.contact("x")["state"] == "queued"  # y's agent is busy; the free one waits
    router.complete("y", 4.0)
    router.end_wrapup("y", 5.0)
    assert last_offer(router).contact_id == "x"
    assert last_offer(router).agent_id == y_agent
    assert x_agent != y_agent


def test_given_queued_contact_when_customer_hangs_up_then_abandoned_with_wait(
    router: Router,
) -> None:
    router.enqueue(ContactSpec("c", "billing"), 1.0)
    router.abandon("c", 31.0)
    abandoned = [e for e in router.log if isinstance(e, ev.ContactAbandoned)]
    assert abandoned[0].waited_s == 30.0
    assert router.contact("c")["state"] == "abandoned"
    assert router.queue_status("billing")["waiting"] == 0


def test_given_ringing_offer_when_customer_hangs_up_then_offer_withdrawn_agent_free(
    router: Router,
) -> None:
    ready_agents(router, [AgentSpec("a", {"billing": 5})])
    router.enqueue(ContactSpec("c", "billing"), 1.0)
    router.abandon("c", 3.0)
    assert any(isinstance(e, ev.OfferWithdrawn) for e in router.log)
    assert router.agent("a")["activity"] == "ready"
    assert router.next_due() is None


def test_given_callback_request_then_contact_keeps_its_place_and_is_offered_as_callback(
    router: Router,
) -> None:
    router.enqueue(ContactSpec("first", "billing"), 1.0)
    router.request_callback("first", 10.0, number="13800138000")
    router.enqueue(ContactSpec("second", "billing"), 20.0)
    ready_agents(router, [AgentSpec("a", {"billing": 5})], now=30.0)
    offer = last_offer(router)
    assert offer.contact_id == "first"
    assert offer.callback is True


def test_given_overflow_step_when_threshold_passes_then_skills_relax(router: Router) -> None:
    router.define_queue(
        QueueSpec("vip", skills={"vip": 8}, overflow=(OverflowStep(30.0, {"vip": 3}),)), 0.0
    )
    ready_agents(router, [AgentSpec("junior", {"vip": 4})])
    router.enqueue(ContactSpec("c", "vip"), 0.0)
    assert offers(router) == []
    assert router.next_due() == 30.0
    router.advance(30.0)
    assert last_offer(router).agent_id == "junior"
    assert router.contact("c")["step"] == 1


def test_given_overflow_to_queue_when_threshold_passes_then_contact_moves_keeping_place(
    router: Router,
) -> None:
    router.define_queue(QueueSpec("backup", skills={"backup": 1}), 0.0)
    router.define_queue(
        QueueSpec("main", skills={"main": 1}, overflow=(OverflowStep(60.0, queue_id="backup"),)),
        0.0,
    )
    router.enqueue(ContactSpec("moved", "main"), 0.0)
    router.enqueue(ContactSpec("local", "backup"), 50.0)
    router.advance(60.0)
    assert router.contact("moved")["queue_id"] == "backup"
    ready_agents(router, [AgentSpec("b", {"backup": 1})], now=61.0)
    # "moved" kept its SL deadline from its first queue (20 s), so it goes first.
    assert last_offer(router).contact_id == "moved"


def test_seed_001_hall_estimated_wait_is_110_ahead_times_5_minutes_over_7_counters() -> None:
    r = Router()
    r.define_queue(QueueSpec("hall", skills={"counter": 1}, aht_s=300.0), 0.0)
    counters = [AgentSpec(f"counter-{i}", {"counter": 1}) for i in range(12)]
    ready_agents(r, counters[:7])
    for i in range(7 + 110):
        r.enqueue(ContactSpec(f"t{i}", "hall"), 1.0)
    queued = r.enqueue(ContactSpec("ticket-224", "hall"), 2.0)
    assert queued.position == 111
    assert queued.estimated_wait_s == pytest.approx(111 * 300 / 7)
    assert 74 * 60 <= queued.estimated_wait_s <= 80 * 60


def test_given_free_agent_then_estimate_is_zero_and_none_when_nobody_staffed(
    router: Router,
) -> None:
    assert router.estimated_wait("billing") is None
    ready_agents(router, [AgentSpec("a", {"billing": 5})])
    assert router.estimated_wait("billing") == 0.0


def test_given_agent_asks_break_while_busy_then_break_starts_when_last_contact_ends(
    router: Router,
) -> None:
    ready_agents(router, [AgentSpec("a", {"billing": 5, "support": 5})])
    router.enqueue(ContactSpec("call", "billing"), 1.0)
    router.accept("call/1", 2.0)
    router.set_presence("a", "not_ready", 3.0, reason="lunch")
    assert router.agent("a")["pending"] == "not_ready"
    assert router.agent("a")["presence"] == "ready"
    router.enqueue(ContactSpec("other", "billing"), 4.0)
    router.complete("call", 5.0)
    router.advance(15.0)  # wrap-up ends
    agent = router.agent("a")
    assert (agent["presence"], agent["reason"], agent["pending"]) == ("not_ready", "lunch", None)
    assert router.contact("other")["state"] == "queued"


def test_given_two_chats_when_one_completes_then_state_unchanged(router: Router) -> None:
    ready_agents(router, [AgentSpec("a", {"support": 5})])
    for i, name in enumerate(("c1", "c2")):
        router.enqueue(ContactSpec(name, "support"), 1.0 + i)
        router.accept(f"{name}/1", 1.5 + i)
    router.set_presence("a", "not_ready", 3.0, reason="break")
    router.complete("c1", 4.0)
    agent = router.agent("a")
    assert (agent["activity"], agent["pending"]) == ("busy", "not_ready")
    router.complete("c2", 5.0)
    assert router.agent("a")["presence"] == "not_ready"


def test_given_busy_agent_when_manual_assign_then_refused_at_capacity(router: Router) -> None:
    ready_agents(router, [AgentSpec("a", {"billing": 5})])
    router.enqueue(ContactSpec("c1", "billing"), 1.0)
    router.enqueue(ContactSpec("c2", "billing"), 1.0)
    from kefu.domain.errors import AgentAtCapacity

    with pytest.raises(AgentAtCapacity):
        router.assign("c2", "a", 2.0)
    router.define_agent(AgentSpec("b", {"sales": 1}), 2.0)
    router.set_presence("b", "not_ready", 2.0, reason="training")
    offer_id = router.assign("c2", "b", 3.0)
    assert router.contact("c2")["agent_id"] == "b"
    assert offer_id == "c2/1"


def test_given_agent_leaving_when_it_misses_an_offer_then_it_goes_offline_not_missed(
    router: Router,
) -> None:
    ready_agents(router, [AgentSpec("a", {"support": 5})])
    router.enqueue(ContactSpec("c1", "support"), 1.0)
    router.accept("c1/1", 2.0)
    router.enqueue(ContactSpec("c2", "support"), 3.0)  # offered: chat capacity 3
    router.set_presence("a", "offline", 4.0)
    assert router.agent("a")["pending"] == "offline"
    router.complete("c1", 5.0)
    router.advance(30.0)  # the c2 offer times out
    agent = router.agent("a")
    assert (agent["presence"], agent["pending"], agent["contacts"]) == ("offline", None, [])
    assert router.contact("c2")["state"] == "queued"


def test_given_overflow_step_without_delay_then_refused() -> None:
    from kefu.domain.errors import ValidationError

    with pytest.raises(ValidationError, match="after_s > 0"):
        OverflowStep(0.0, {"x": 1})
