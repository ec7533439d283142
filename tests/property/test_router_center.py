"""The generated centers of the stateful router tests, and what is compared after each step.

:func:`centers` draws a small center: voice, chat and e-mail queues with skill requirements,
overflow steps that relax skills or move to another queue of the same channel, and agents
with random skills, levels, capacities and presences. :func:`state_of` is everything a caller
can observe; :func:`check_records` compares the router's records with the shadow.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st
from test_router_shadow import HELD, TERMINAL, Shadow

from kefu.domain import events as ev
from kefu.domain.model import AgentSpec, Channel, OverflowStep, QueueSpec
from kefu.domain.routing import Router, RouterConfig
from kefu.domain.routing.records import Bucket

__all__ = ["SKILLS", "Center", "centers", "check_records", "define", "state_of"]

SKILLS = ("billing", "tech", "粤语")


@dataclass(frozen=True)
class Center:
    config: RouterConfig
    queues: tuple[QueueSpec, ...]
    agents: tuple[AgentSpec, ...]
    presences: tuple[str, ...]
    agents_first: bool


@st.composite
def centers(draw: st.DrawFn) -> Center:
    """A few voice, chat and e-mail queues with skill overflow and moves, and 2–5 agents."""
    after = st.integers(1, 40).map(float)
    level = st.integers(1, 10)
    need = st.integers(1, 6)
    wrapup = st.sampled_from([0.0, 0.0, 3.0, 8.0])
    threshold = st.sampled_from([10.0, 20.0, 30.0])

    def steps(*candidates: OverflowStep) -> tuple[OverflowStep, ...]:
        return tuple(s for s in candidates if draw(st.booleans()))

    general = QueueSpec(
        "general", Channel.VOICE, {}, sl_threshold_s=draw(threshold), wrapup_s=draw(wrapup)
    )
    billing = QueueSpec(
        "billing",
        Channel.VOICE,
        {"billing": draw(need)},
        sl_threshold_s=draw(threshold),
        wrapup_s=draw(wrapup),
        overflow=steps(
            OverflowStep(draw(after), skills={"billing": 1}),
            OverflowStep(draw(after), queue_id="general"),
        ),
        name="账务 Billing",
    )
    support = QueueSpec(
        "support",
        Channel.CHAT,
        {"tech": draw(need), **({"粤语": draw(need)} if draw(st.booleans()) else {})},
        sl_threshold_s=draw(threshold),
        wrapup_s=draw(wrapup),
        overflow=steps(
            OverflowStep(draw(after), skills={"tech": 1}),
            OverflowStep(draw(after), skills={}),
        ),
        name="技术支持 Support",
    )
    vip_chat = QueueSpec(
        "vip_chat",
        Channel.CHAT,
        {"tech": draw(need), "billing": draw(need)},
        sl_threshold_s=draw(threshold),
        overflow=steps(OverflowStep(draw(after), queue_id="support")),
    )
    email = QueueSpec(
        "email",
        Channel.EMAIL,
        {"billing": draw(need)} if draw(st.booleans()) else {},
        sl_threshold_s=3600.0,
        wrapup_s=draw(wrapup),
        overflow=steps(OverflowStep(draw(after), skills={})),
    )
    agents = []
    for i in range(draw(st.integers(2, 5))):
        skills = draw(st.dictionaries(st.sampled_from(SKILLS), level, min_size=1, max_size=3))
        capacity = {
            Channel.VOICE: draw(st.sampled_from([1, 1, 0])),
            Channel.CHAT: draw(st.integers(0, 3)),
            Channel.EMAIL: draw(st.integers(0, 2)),
        }
        agents.append(AgentSpec(f"a{i}", skills, capacity, name=f"座席 {i}"))
    presences = tuple(
        draw(st.sampled_from(["ready"] * 4 + ["not_ready", "offline"])) for _ in agents
    )
    config = RouterConfig(
        offer_timeout_s=draw(st.sampled_from([8.0, 15.0, 30.0])),
        agent_order=draw(st.sampled_from(["skill_then_idle", "longest_idle"])),
        retain_closed=draw(st.sampled_from([True, True, False])),
    )
    queues = (general, billing, support, vip_chat, email)
    return Center(config, queues, tuple(agents), presences, draw(st.booleans()))


def state_of(router: Router) -> str:
    """Everything a caller can observe, as one comparable string."""
    return json.dumps(
        {
            "time": router.time,
            "next_due": router.next_due(),
            "contacts": {c: router.contact(c) for c in sorted(router.contacts)},
            "agents": {a: router.agent(a) for a in sorted(router.agents)},
            "queues": {q: router.queue_status(q) for q in sorted(router.queues)},
        },
        sort_keys=True,
        ensure_ascii=False,
    )


def check_records(router: Router, shadow: Shadow) -> None:
    """The router's records agree with the shadow: every contact accounted for once."""
    kept = [
        c for c, m in shadow.contacts.items() if router.retain_closed or m.state not in TERMINAL
    ]
    assert set(router.contacts) == set(kept), "contacts lost or kept after closing"
    buckets: list[Bucket] = [b for q in router.queues.values() for b in q.buckets]
    buckets += list(router._personal.values())
    live: dict[str, list[Bucket]] = defaultdict(list)
    for bucket in buckets:
        valid = 0
        for entry in bucket.contacts:
            record = entry[5]
            if entry[4] == record.version and record.state.value == "queued":
                assert entry[:4] == record.key, f"stale key in the heap of {bucket.name}"
                live[record.contact_id].append(bucket)
                valid += 1
        assert bucket.waiting == valid, f"{bucket.name} counts {bucket.waiting}, holds {valid}"
    holders: dict[str, list[str]] = defaultdict(list)
    for agent in router.agents.values():
        for contact_id in agent.held:
            holders[contact_id].append(agent.agent_id)
    for cid in kept:
        m = shadow.contacts[cid]
        record = router.contacts[cid]
        assert record.state.value == m.state, f"{cid}: router {record.state}, shadow {m.state}"
        if m.state == "queued":
            expected = (
                router._personal[(m.personal, m.channel)]
                if m.personal is not None
                else router.queues[m.queue_id].buckets[m.step]
            )
            assert live[cid] == [expected] and record.bucket is expected, f"{cid} misplaced"
            assert not holders[cid]
        elif m.state in HELD:
            assert holders[cid] == [m.agent_id] == [record.agent_id], f"{cid}: {holders[cid]}"
            assert not live[cid]
        else:
            assert not holders[cid] and not live[cid], f"terminal {cid} still routed"
    for agent_id, m_agent in shadow.agents.items():
        agent = router.agents[agent_id]
        assert agent.presence.value == m_agent.presence
        assert (agent.pending[0].value if agent.pending else None) == m_agent.pending
        assert set(agent.held) == set(m_agent.held)
        for channel in Channel:
            load = m_agent.load(channel)
            assert agent.load.get(channel, 0) == load <= agent.capacity.get(channel, 0)
        blocking = [c for c in m_agent.held.values() if c in agent.exclusive]
        assert agent.exclusive_held == len(blocking)
        assert not blocking or len(m_agent.held) == 1, f"{agent_id} holds voice and more"
    for queue_id, queue in router.queues.items():
        mine = Counter(
            (c.tier, c.priority)
            for c in shadow.waiting()
            if c.queue_id == queue_id and c.personal is None
        )
        assert {k: n for k, n in queue.class_counts.items() if n} == dict(mine)
        status = router.queue_status(queue_id)
        assert status["waiting"] == sum(mine.values())
        assert status["staffed"] == shadow.staffed(queue_id)
    dues = shadow.dues()
    assert router.next_due() == (min(dues) if dues else None)


def define(router: Router, center: Center) -> None:
    """Define the center's queues and agents at t = 0 and set the agents' presences."""
    defs: list[QueueSpec | AgentSpec] = list(center.queues)
    defs = [*center.agents, *defs] if center.agents_first else [*defs, *center.agents]
    for spec in defs:
        if isinstance(spec, QueueSpec):
            router.define_queue(spec, 0.0)
        else:
            router.define_agent(spec, 0.0)
    for agent, presence in zip(center.agents, center.presences, strict=True):
        router.set_presence(agent.agent_id, presence, 0.0)


@given(centers())
def test_given_any_center_when_defined_then_shadow_and_replay_agree(center: Center) -> None:
    router = Router(center.config)
    define(router, center)
    shadow = Shadow(center.config.offer_timeout_s)
    for event in router.log:
        shadow.apply(event)
    shadow.check_quiescent(router.time)
    check_records(router, shadow)
    replayed = Router.replay(router.log, center.config)
    assert ev.events_to_jsonl(replayed.log) == ev.events_to_jsonl(router.log)
    assert state_of(replayed) == state_of(router)
    for queue in center.queues:
        for step in queue.overflow:
            if step.queue_id is not None:
                assert router.queues[step.queue_id].spec.channel is queue.channel
