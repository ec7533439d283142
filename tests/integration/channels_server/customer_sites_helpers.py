"""Two sites for the customer-access tests: ``sh`` (the seeded center) and ``bj`` (a chat
queue and agent b1 with its user), a supervisor of each (``lead``, ``lead-bj``), one of both
(``lead-both``) and an admin (``root``); customers made by chats as a browser would."""

from __future__ import annotations

from dataclasses import dataclass

from channels_server_helpers import PASSWORD, Center, next_frame

from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service import commands as c
from kefu.service.access import ROLE_SCOPES, Role


@dataclass
class Customers:
    """Live ids: two customers of sh (``li``, ``wang``), one of bj (``han``)."""

    li: str
    wang: str
    han: str


def add_user(
    center: Center, username: str, role: str, sites: tuple[str, ...] = (), agent: str = ""
) -> None:
    security = center.platform.security
    security.users.create(
        username=username, password=PASSWORD, role=role, sites=sites, agent_id=agent or None
    )
    _, secret = security.credentials.issue_token(username, sorted(ROLE_SCOPES[Role(role)]))
    center.tokens[username] = {"Authorization": f"Bearer {secret}"}


def add_bj(center: Center) -> None:
    center.execute(c.CreateSite("bj", "北京中心"))
    center.execute(c.DefineQueue(QueueSpec("bj-chat", Channel.CHAT, aht_s=120, name="北京"), "bj"))
    spec = AgentSpec("b1", capacity={Channel.CHAT: 1}, site_id="bj", name="赵敏")
    center.execute(c.DefineAgent(spec))
    add_user(center, "b1", "agent", agent="b1")
    add_user(center, "lead-bj", "supervisor", ("bj",))
    add_user(center, "lead-both", "supervisor", ("sh", "bj"))
    add_user(center, "root", "admin")


def chat(center: Center, text: str, topic: str, **profile: str) -> tuple[str, str]:
    """A new chat customer writes to ``topic``; returns (live customer id, conversation id)."""
    with center.client.websocket_connect("/ws/chat") as ws:
        ws.send_json({"type": "hello"})
        next_frame(ws, "welcome")
        message = {"topic": topic, **profile}
        ws.send_json({"type": "message", "cseq": 1, "text": text, "profile": message})
        ack = next_frame(ws, "ack")
    state = center.channels.state
    conv_id = str(ack["conversation_id"])
    return state.directory.resolve(state.conversation(conv_id).customer_id), conv_id


def take(center: Center, agent: str) -> list[str]:
    """The agent goes ready and accepts what it is offered; returns the contact ids."""
    center.desktop(agent, "POST", "/state", {"presence": "ready"})
    taken = []
    for offer in center.screen(agent)["offers"]:
        body = {"offer_id": offer["offer_id"]}
        accepted = center.desktop(agent, "POST", f"/offers/{offer['contact_id']}/accept", body)
        assert accepted.status_code == 200, accepted.text
        taken.append(offer["contact_id"])
    return taken


def two_sites(center: Center) -> Customers:
    """Site bj beside sh; 李雷 (held by a1) and 王芳 (queued) at sh, 韩梅梅 at bj."""
    add_bj(center)
    li, _ = chat(center, "我的账单不对", "chat-billing", email="li@example.cn", name="李雷")
    assert take(center, "a1")
    wang, _ = chat(center, "想改套餐", "chat-billing", phone="13800138000", name="王芳")
    han, _ = chat(center, "北京这边的问题", "bj-chat", phone="13900139000", name="韩梅梅")
    return Customers(li, wang, han)
