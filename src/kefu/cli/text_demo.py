"""A short, accelerated text-mode demo of the router: a small center for two simulated hours.

Customers (Chinese and English names) call, chat and write; simulated agents accept, handle
and complete; a Rich live table shows queues and agents as the router sees them.
"""

from __future__ import annotations

import heapq
import random
import time
from collections import Counter
from dataclasses import dataclass

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from kefu.domain import events as ev
from kefu.domain.model import AgentSpec, Channel, ContactSpec, OverflowStep, QueueSpec
from kefu.domain.routing import Router, RouterConfig

__all__ = ["DemoSummary", "run_text_demo"]

NAMES = ["王芳", "李娜", "张伟", "刘洋", "陈静", "Alice Smith", "Bob Jones", "Maria Garcia"]
AGENTS = [
    AgentSpec("a1", {"billing": 8, "vip": 6}, name="张敏 Zhang Min"),
    AgentSpec("a2", {"billing": 5}, name="李强 Li Qiang"),
    AgentSpec("a3", {"billing": 4, "support": 7}, name="Emma Brown"),
    AgentSpec("a4", {"support": 8, "email": 6}, name="王磊 Wang Lei"),
    AgentSpec("a5", {"support": 5, "email": 8}, name="Noah Wilson"),
    AgentSpec("a6", {"vip": 9, "billing": 7}, name="赵丽 Zhao Li"),
]
QUEUES = [
    QueueSpec(
        "billing",
        Channel.VOICE,
        {"billing": 4},
        sl_threshold_s=20,
        wrapup_s=20,
        aht_s=240,
        name="账单 Billing",
        overflow=(OverflowStep(60, {"billing": 1}),),
    ),
    QueueSpec(
        "vip",
        Channel.VOICE,
        {"vip": 5},
        sl_threshold_s=10,
        wrapup_s=30,
        aht_s=300,
        name="贵宾 VIP",
        overflow=(OverflowStep(30, queue_id="billing"),),
    ),
    QueueSpec(
        "support", Channel.CHAT, {"support": 3}, sl_threshold_s=60, aht_s=420, name="在线支持 Chat"
    ),
    QueueSpec(
        "email", Channel.EMAIL, {"email": 3}, sl_threshold_s=3600, aht_s=600, name="邮件 Email"
    ),
]
# Arrivals per hour and mean handle time (seconds) per queue.
TRAFFIC = {"billing": (40, 240), "vip": (8, 300), "support": (30, 420), "email": (20, 600)}


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """Counts at the end of the demo, from the router's event log."""

    offered: int
    answered: int
    abandoned: int
    completed: int
    answered_within_threshold: int


def run_text_demo(
    *, hours: float = 2.0, speed: float = 900.0, seed: int = 7, console: Console | None = None
) -> DemoSummary:
    """Simulate ``hours`` of traffic, ``speed`` simulated seconds per real second."""
    console = console or Console()
    rng = random.Random(seed)
    router = Router(RouterConfig(offer_timeout_s=20.0))
    for queue in QUEUES:
        router.define_queue(queue, 0.0)
    for agent in AGENTS:
        router.define_agent(agent, 0.0)
        router.set_presence(agent.agent_id, "ready", 0.0)

    horizon = hours * 3600.0
    todo: list[tuple[float, int, str, str]] = []  # (time, seq, action, contact or agent id)
    seq = 0

    def at(t: float, action: str, ref: str) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(todo, (t, seq, action, ref))

    for queue_id, (per_hour, _) in TRAFFIC.items():
        t = rng.expovariate(per_hour / 3600.0)
        while t < horizon:
            at(t, "arrive", queue_id)
            t += rng.expovariate(per_hour / 3600.0)
    at(horizon * 0.5, "break", "a2")
    at(horizon * 0.5 + 900.0, "back", "a2")

    counts: Counter[str] = Counter()
    waits: dict[str, float] = {}
    threshold = {q.queue_id: q.sl_threshold_s for q in QUEUES}
    started = time.monotonic()
    next_frame = 0.0
    with Live(console=console, refresh_per_second=8, transient=False) as live:
        while todo or router.next_due() is not None:
            due = router.next_due()
            if todo and (due is None or todo[0][0] <= due):
                now, _, action, ref = heapq.heappop(todo)
            else:
                now, action, ref = float(due or 0.0), "tick", ""
            if now > horizon * 1.5:
                break
            _sleep_until(started, now / speed)
            router.advance(now)
            if action == "arrive":
                counts["contacts"] += 1
                cid = f"{ref}-{counts['contacts']}"
                name = rng.choice(NAMES)
                tier = 2 if ref == "vip" else int(rng.random() < 0.2)
                router.enqueue(
                    ContactSpec(cid, ref, value_tier=tier, attributes={"name": name}), now
                )
                if ref in ("billing", "vip"):
                    at(now + rng.expovariate(1 / 180.0), "patience", cid)
            elif action == "patience":
                state = router.contacts[ref].state.value
                if state in ("queued", "offered"):
                    if rng.random() < 0.3 and state == "queued":
                        router.request_callback(ref, now)
                    else:
                        router.abandon(ref, now)
            elif action == "accept":
                contact = router.contacts[ref]
                if contact.offer_id is not None:
                    router.accept(contact.offer_id, now)
                    mean = TRAFFIC[contact.queue_id][1]
                    at(now + rng.expovariate(1 / mean), "complete", ref)
            elif action == "complete":
                router.complete(ref, now)
            elif action == "break":
                router.set_presence(ref, "not_ready", now, reason="lunch 午餐")
            elif action == "back":
                router.set_presence(ref, "ready", now)
            for event in router.drain():
                _count(event, counts, waits, threshold)
                if isinstance(event, ev.OfferCreated):
                    at(event.at + rng.uniform(1.0, 6.0), "accept", event.contact_id)
            if now >= next_frame:
                live.update(_render(router, now, counts))
                next_frame = now + 60.0
        live.update(_render(router, router.time, counts))
    return DemoSummary(
        offered=counts["offered"],
        answered=counts["answered"],
        abandoned=counts["abandoned"],
        completed=counts["completed"],
        answered_within_threshold=counts["within"],
    )


def _sleep_until(started: float, real_offset: float) -> None:
    delay = started + real_offset - time.monotonic()
    if delay > 0:
        time.sleep(min(delay, 0.25))


def _count(
    event: ev.Event, counts: Counter[str], waits: dict[str, float], threshold: dict[str, float]
) -> None:
    if isinstance(event, ev.ContactQueued):
        counts["offered"] += 1
        waits[event.contact_id] = event.at
    elif isinstance(event, ev.OfferAccepted):
        counts["answered"] += 1
        queued_at = waits.pop(event.contact_id, event.at)
        queue_id = event.contact_id.rsplit("-", 1)[0]
        if event.at - queued_at <= threshold.get(queue_id, 20.0):
            counts["within"] += 1
    elif isinstance(event, ev.ContactAbandoned):
        counts["abandoned"] += 1
        waits.pop(event.contact_id, None)
    elif isinstance(event, ev.WrapupEnded):
        counts["completed"] += 1


def _render(router: Router, now: float, counts: Counter[str]) -> Group:
    clock = f"{int(now // 3600):02d}:{int(now % 3600 // 60):02d}"
    queues = Table(title=f"kefu 队列 Queues — simulated time 模拟时间 {clock}")
    for header in (
        "Queue 队列",
        "Waiting 等待",
        "Longest 最长等待 (s)",
        "Predicted 预计等待 (s)",
        "Staffed 在岗",
    ):
        queues.add_column(header, justify="right" if "Queue" not in header else "left")
    for queue in QUEUES:
        status = router.queue_status(queue.queue_id)
        eta = status["estimated_wait_s"]
        queues.add_row(
            queue.name,
            str(status["waiting"]),
            f"{status['longest_wait_s']:.0f}",
            "—" if eta is None else f"{eta:.0f}",
            str(status["staffed"]),
        )
    agents = Table(title="座席 Agents")
    for header in ("Agent 座席", "State 状态", "Contacts 处理中"):
        agents.add_column(header)
    for spec in AGENTS:
        view = router.agent(spec.agent_id)
        state = view["activity"] if view["pending"] is None else f"{view['activity']} → pending"
        agents.add_row(spec.name, state, ", ".join(view["contacts"]))
    totals = Table.grid(padding=(0, 2))
    totals.add_row(
        f"offered 进线 {counts['offered']}",
        f"answered 接通 {counts['answered']}",
        f"abandoned 放弃 {counts['abandoned']}",
        f"completed 完成 {counts['completed']}",
    )
    return Group(queues, agents, totals)
