"""The demo center: one site with voice, VIP, chat and e-mail queues and eight agents.

Handle times are shortened (about a minute) so the wallboard moves from the first minute.
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
    "QUEUES",
    "SITE_ID",
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
)
TRAFFIC = {
    "billing": QueueTraffic(180, 50, 75),
    "vip": QueueTraffic(36, 70, 45),
    "chat": QueueTraffic(120, 90, 150),
    "email": QueueTraffic(50, 120, 3600),
}
AGENTS = (
    AgentSpec("zhang.min", {"billing": 8, "vip": 6}, name="张敏", site_id=SITE_ID),
    AgentSpec("li.qiang", {"billing": 6}, name="李强", site_id=SITE_ID),
    AgentSpec("emma", {"billing": 4, "support": 7}, name="Emma Brown", site_id=SITE_ID),
    AgentSpec("wang.lei", {"support": 8, "email": 6}, name="王磊", site_id=SITE_ID),
    AgentSpec("noah", {"support": 5, "email": 8}, name="Noah Wilson", site_id=SITE_ID),
    AgentSpec("zhao.li", {"vip": 9, "billing": 7}, name="赵丽", site_id=SITE_ID),
    AgentSpec("chen.jing", {"billing": 5, "support": 4}, name="陈静", site_id=SITE_ID),
    AgentSpec("olivia", {"billing": 4, "email": 5}, name="Olivia Chen", site_id=SITE_ID),
)


@dataclass(frozen=True, slots=True)
class DemoCredential:
    """A demo login to print: who, with which role and password."""

    username: str
    role: str
    password: str


async def seed(engine: RoutingEngine) -> bool:
    """Create the demo center unless it exists; returns True when it was created."""
    if SITE_ID in engine.sites:
        return False
    await engine.execute(c.CreateSite(SITE_ID, SITE_NAME))
    for spec in QUEUES:
        await engine.execute(c.DefineQueue(spec, SITE_ID, shared=spec.queue_id == "email"))
    for agent in AGENTS:
        await engine.execute(c.DefineAgent(agent))
    return True


DEMO_USERS = (
    ("admin", "admin", "管理员 Admin", None),
    ("supervisor", "supervisor", "主管 Supervisor", None),
    ("zhang.min", "agent", "张敏", "zhang.min"),
    ("emma", "agent", "Emma Brown", "emma"),
)
"""(username, role, display name, agent) of the demo logins; the agents are simulated too."""


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
    for username, role, name, agent_id in DEMO_USERS:
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
        made.append(DemoCredential(username, f"{role}, demo only 仅供演示", password))
    return made
