"""The demo center: one site with voice, VIP, chat and e-mail queues, a branch hall with two
services, simulated agents and counter clerks, and two agents for people to log in as.

Handle times are shortened (about a minute) so the wallboard moves from the first minute.
The simulated agents serve only the synthetic customers (see
:mod:`kefu.adapters.demo.traffic`); :data:`HUMAN_AGENTS` are never simulated, so a chat or
an e-mail from a person waits for a person logged in as one of them.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass

from kefu.config import Settings
from kefu.domain.model import AgentSpec, Channel, OverflowStep, QueueSpec
from kefu.service import RoutingEngine
from kefu.service import commands as c
from kefu.service.security import Security, security_from_settings

__all__ = [
    "AGENTS",
    "DEMO_USERS",
    "HUMAN_AGENTS",
    "QUEUES",
    "SITE_ID",
    "SYNTHETIC",
    "TRAFFIC",
    "DemoCredential",
    "QueueTraffic",
    "create_demo_users",
    "seed",
]

SITE_ID = "demo"
SITE_NAME = "演示中心 Demo Center"


@dataclass(frozen=True, slots=True)
class QueueTraffic:
    """Arrivals per hour, mean handle time (s) and mean patience (s) of one queue."""

    per_hour: float
    handle_s: float
    patience_s: float


QUEUES = (
    QueueSpec(
        "billing",
        Channel.VOICE,
        {"billing": 3},
        sl_threshold_s=20,
        wrapup_s=5,
        aht_s=55,
        name="账单 Billing",
        overflow=(OverflowStep(40, {}),),
    ),
    QueueSpec(
        "vip",
        Channel.VOICE,
        {"vip": 5},
        sl_target=0.9,
        sl_threshold_s=10,
        wrapup_s=5,
        aht_s=75,
        name="贵宾 VIP",
        overflow=(OverflowStep(20, queue_id="billing"),),
    ),
    QueueSpec(
        "chat", Channel.CHAT, {"support": 3}, sl_threshold_s=30, aht_s=90, name="在线客服 Chat"
    ),
    QueueSpec(
        "email", Channel.EMAIL, {"email": 2}, sl_threshold_s=600, aht_s=120, name="邮件 Email"
    ),
    QueueSpec(
        "hall-cash",
        Channel.BRANCH,
        {"counter": 1},
        sl_threshold_s=600,
        aht_s=90,
        name="现金业务 Cash",
    ),
    QueueSpec(
        "hall-account",
        Channel.BRANCH,
        {"counter": 1},
        sl_threshold_s=900,
        aht_s=150,
        name="开户挂失 Accounts",
    ),
)
TRAFFIC = {
    "billing": QueueTraffic(180, 50, 75),
    "vip": QueueTraffic(36, 70, 45),
    "chat": QueueTraffic(120, 90, 150),
    "email": QueueTraffic(50, 120, 3600),
    "hall-cash": QueueTraffic(60, 80, 900),
    "hall-account": QueueTraffic(30, 140, 1200),
}
SYNTHETIC = ("synthetic", "demo")
"""The attribute (name, value) of the contacts the traffic generator makes: the only ones
simulated agents take."""
NO_COUNTER = {Channel.VOICE: 1, Channel.CALLBACK: 1, Channel.CHAT: 3, Channel.EMAIL: 2}
"""Capacity of the simulated phone, chat and e-mail agents: they never serve a counter."""
COUNTER = {Channel.BRANCH: 1}


def _agent(
    agent_id: str, skills: dict[str, int], name: str, capacity: dict[Channel, int]
) -> AgentSpec:
    return AgentSpec(agent_id, skills, capacity, name=name, site_id=SITE_ID)


AGENTS = (
    _agent("zhang.min", {"billing": 8, "vip": 6}, "张敏", NO_COUNTER),
    _agent("li.qiang", {"billing": 6}, "李强", NO_COUNTER),
    _agent("emma", {"billing": 4, "support": 7}, "Emma Brown", NO_COUNTER),
    _agent("noah", {"support": 5, "email": 8}, "Noah Wilson", NO_COUNTER),
    _agent("zhao.li", {"vip": 9, "billing": 7}, "赵丽", NO_COUNTER),
    _agent("chen.jing", {"billing": 5, "support": 4}, "陈静", NO_COUNTER),
    _agent("olivia", {"billing": 4, "email": 5}, "Olivia Chen", NO_COUNTER),
    _agent("sun.yan", {"counter": 6}, "孙燕", COUNTER),
    _agent("he.jun", {"counter": 5}, "何军", COUNTER),
)
"""The simulated agents (the last two are counter clerks, counters 1 and 2)."""
HUMAN_AGENTS = (
    _agent("wang.lei", {"support": 8, "email": 6}, "王磊", NO_COUNTER),
    _agent(
        "liu.fang",
        {"support": 6, "email": 7, "counter": 5},
        "刘芳",
        {Channel.CHAT: 3, Channel.EMAIL: 2, Channel.BRANCH: 1},
    ),
)
"""Agents for people to log in as: never simulated (liu.fang is also counter 3)."""


@dataclass(frozen=True, slots=True)
class DemoCredential:
    """A demo login to print: who, with which role and password."""

    username: str
    role: str
    password: str
    serves: str = ""
    """The channels this login takes (agents), in Chinese and English."""


async def seed(engine: RoutingEngine) -> bool:
    """Create the demo center, or what a center made by an earlier version lacks (queues
    and agents are added, never changed); returns True when the site was created."""
    created = SITE_ID not in engine.sites
    if created:
        await engine.execute(c.CreateSite(SITE_ID, SITE_NAME))
    queues, agents = await engine.query(lambda e: (set(e.router.queues), set(e.router.agents)))
    for spec in QUEUES:
        if spec.queue_id not in queues:
            shared = spec.queue_id == "email"
            await engine.execute(c.DefineQueue(spec, SITE_ID, shared=shared))
    for agent in (*AGENTS, *HUMAN_AGENTS):
        if agent.agent_id not in agents:
            await engine.execute(c.DefineAgent(agent))
    return created


DEMO_USERS = (
    ("admin", "admin", "管理员 Admin", None, ""),
    ("supervisor", "supervisor", "主管 Supervisor", None, ""),
    ("wang.lei", "agent", "王磊", "wang.lei", "chat 在线 · e-mail 邮件"),
    ("liu.fang", "agent", "刘芳", "liu.fang", "chat 在线 · e-mail 邮件 · counter 3 3号窗口"),
)
"""(username, role, display name, agent, what it serves) of the demo logins; their agents
are :data:`HUMAN_AGENTS`, never simulated."""


async def create_demo_users(
    engine: RoutingEngine, settings: Settings | None = None, password: str | None = None
) -> list[DemoCredential]:
    """Demo logins: an admin, a supervisor of the demo site and two agents. Their
    passwords are new random ones at every start (or ``password`` for all, e.g. from
    ``KEFU_DEMO_PASSWORD``), printed by the demo: demo use only."""
    settings = settings or Settings()
    security = security_from_settings(settings, engine.uow_factory, engine.clock)
    return await asyncio.to_thread(_demo_users, security, password or settings.demo_password)


def _demo_users(security: Security, fixed: str | None) -> list[DemoCredential]:
    made = []
    for username, role, name, agent_id, serves in DEMO_USERS:
        password = fixed or secrets.token_urlsafe(9)
        if security.users.find(username) is None:
            security.users.create(
                username=username,
                password=password,
                role=role,
                sites=[SITE_ID] if role == "supervisor" else [],
                agent_id=agent_id,
                display_name=name,
            )
        else:
            security.users.update(username, {"password": password, "active": True})
        made.append(DemoCredential(username, f"{role}, demo only 仅供演示", password, serves))
    return made
