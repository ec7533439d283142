"""Who is served first, and by whom."""

from __future__ import annotations

from routing_helpers import last_offer, offers, ready_agents

from kefu.domain.model import AgentSpec, Channel, ContactSpec, QueueSpec
from kefu.domain.routing import Router, RouterConfig


def _agent(agent_id: str, **skills: int) -> AgentSpec:
    return AgentSpec(agent_id, skills)


def test_given_waiting_contacts_when_agent_frees_then_value_tier_then_priority_then_arrival(
    router: Router,
) -> None:
    router.enqueue(ContactSpec("early", "billing"), 1.0)
    router.enqueue(ContactSpec("urgent", "billing", priority=5), 2.0)
    router.enqueue(ContactSpec("vip", "billing", value_tier=2), 3.0)
    router.enqueue(ContactSpec("late", "billing"), 4.0)
    ready_agents(router, [_agent("a1", billing=5)], now=5.0)
    served = []
    for t in range(6, 14, 2):
        offer = last_offer(router)
        served.append(offer.contact_id)
        router.accept(offer.offer_id, float(t))
        router.complete(offer.contact_id, t + 0.5)
        router.end_wrapup(offer.contact_id, t + 1.0)
    assert served == ["vip", "urgent", "early", "late"]


def test_given_blended_agent_when_choosing_then_queue_closest_to_its_sl_threshold_first() -> None:
    r = Router()
    r.define_queue(QueueSpec("fast", skills={"x": 1}, sl_threshold_s=20.0), 0.0)
    r.define_queue(QueueSpec("slow", skills={"x": 1}, sl_threshold_s=60.0), 0.0)
    r.enqueue(ContactSpec("slow-0", "slow"), 0.0)  # breaches at 60 s
    r.enqueue(ContactSpec("fast-35", "fast"), 35.0)  # breaches at 55 s: more urgent
    ready_agents(r, [_agent("a", x=1)], now=40.0)
    assert last_offer(r).contact_id == "fast-35"


def test_given_two_free_agents_when_contact_arrives_then_best_skill_match_wins(
    router: Router,
) -> None:
    ready_agents(router, [_agent("novice", billing=3), _agent("expert", billing=9)])
    router.enqueue(ContactSpec("c1", "billing"), 1.0)
    assert last_offer(router).agent_id == "expert"


def test_given_equal_skills_when_contact_arrives_then_longest_idle_agent_wins(
    router: Router,
) -> None:
    router.define_agent(_agent("a", billing=5), 0.0)
    router.define_agent(_agent("b", billing=5), 0.0)
    router.set_presence("b", "ready", 1.0)
    router.set_presence("a", "ready", 2.0)
    router.enqueue(ContactSpec("c1", "billing"), 3.0)
    assert last_offer(router).agent_id == "b"


def test_given_longest_idle_policy_when_contact_arrives_then_skill_level_is_ignored() -> None:
    r = Router(RouterConfig(agent_order="longest_idle"))
    r.define_queue(QueueSpec("q", skills={"x": 1}), 0.0)
    r.define_agent(_agent("idle-long", x=1), 0.0)
    r.define_agent(_agent("expert", x=10), 0.0)
    r.set_presence("idle-long", "ready", 1.0)
    r.set_presence("expert", "ready", 2.0)
    r.enqueue(ContactSpec("c", "q"), 3.0)
    assert last_offer(r).agent_id == "idle-long"


def test_given_agent_without_skill_when_contact_waits_then_never_offered(router: Router) -> None:
    ready_agents(router, [_agent("sales", sales=9), _agent("low", billing=2)])
    router.enqueue(ContactSpec("c1", "billing"), 1.0)
    router.advance(500.0)
    assert offers(router) == []
    assert router.contact("c1")["state"] == "queued"


def test_given_chat_capacity_three_when_four_chats_arrive_then_fourth_waits(
    router: Router,
) -> None:
    ready_agents(router, [_agent("a", support=5)])
    for i in range(4):
        router.enqueue(ContactSpec(f"chat{i}", "support"), float(i))
    assert [o.contact_id for o in offers(router)] == ["chat0", "chat1", "chat2"]
    assert router.contact("chat3")["state"] == "queued"


def test_given_agent_on_a_chat_when_call_arrives_then_voice_waits_for_an_empty_agent(
    router: Router,
) -> None:
    ready_agents(router, [_agent("a", support=5, billing=5)])
    router.enqueue(ContactSpec("chat", "support"), 1.0)
    router.accept(last_offer(router).offer_id, 2.0)
    router.enqueue(ContactSpec("call", "billing"), 3.0)
    assert router.contact("call")["state"] == "queued"
    router.complete("chat", 4.0)  # support has no wrap-up: the chat slot frees at once
    assert last_offer(router).contact_id == "call"


def test_given_agent_on_a_call_when_chat_arrives_then_the_call_blocks_it(router: Router) -> None:
    ready_agents(router, [_agent("a", support=5, billing=5)])
    router.enqueue(ContactSpec("call", "billing"), 1.0)
    router.enqueue(ContactSpec("chat", "support"), 2.0)
    assert [o.contact_id for o in offers(router)] == ["call"]
    assert router.agent("a")["activity"] == "offered"


def test_given_many_queues_when_agent_serves_some_then_each_goes_to_eligible_only() -> None:
    r = Router()
    for q in ("a", "b", "c"):
        r.define_queue(QueueSpec(q, Channel.EMAIL, {q: 1}), 0.0)
    ready_agents(r, [AgentSpec("x", {"a": 1, "c": 1}, capacity={Channel.EMAIL: 5})])
    for i, q in enumerate("abcabc"):
        r.enqueue(ContactSpec(f"{q}{i}", q), float(i))
    assert sorted(o.contact_id for o in offers(r)) == ["a0", "a3", "c2", "c5"]
