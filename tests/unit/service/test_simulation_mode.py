"""Simulation mode: a chat conversation walks through the very handlers that serve it live
(customer message → queued → offered → accepted → replies → wrap-up), in simulated time
stepped by the test: no server, no sleeping."""

from __future__ import annotations

import asyncio

from kefu.bootstrap import build_simulation
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.model import AgentSpec, Channel, ContactState, QueueSpec
from kefu.service import commands as c
from kefu.service.channel_commands import AnswerOffer
from kefu.service.channel_ports import Inbound, OutboundReply
from kefu.service.engine import RoutingEngine

COOKIE = Identifier(IdentifierKind.CHAT_COOKIE, "tok-sim-1")


class ChatSocket:
    """The customer's side of the chat: what the center sent."""

    def __init__(self) -> None:
        self.sent: list[OutboundReply] = []

    def new_external_id(self) -> str:
        return f"chat-out-{len(self.sent) + 1}"

    async def send(self, reply: OutboundReply) -> None:
        self.sent.append(reply)


def test_given_a_simulated_center_when_a_chat_walks_through_then_time_is_simulated() -> None:
    async def scenario() -> None:
        async with build_simulation(start=1_700_000_000.0) as sim:
            t0 = sim.clock.now()
            e = sim.engine.execute
            await e(c.CreateSite("sh", "上海"))
            await e(c.DefineQueue(QueueSpec("chat", Channel.CHAT, aht_s=120, wrapup_s=30), "sh"))
            await e(c.DefineAgent(AgentSpec("a1", site_id="sh", name="小王")))
            socket = ChatSocket()
            sim.channels.set_gateway(Channel.CHAT, socket)

            def contact(engine: RoutingEngine, contact_id: str) -> tuple[ContactState, str]:
                record = engine.router.contacts[contact_id]
                return record.state, record.offer_id or ""

            first = Inbound(Channel.CHAT, (COOKIE,), "你好，我的卡被锁了", t0, "chat:tok-sim-1:1")
            receipt = await sim.channels.receive(first)
            contact_id, conv_id = receipt.contact_id or "", receipt.conversation_id
            assert (await sim.engine.query(contact, contact_id))[0] is ContactState.QUEUED

            await sim.step(45.0)  # nobody is ready for 45 simulated seconds
            await e(c.SetAgentState("a1", "ready"))
            state, offer_id = await sim.engine.query(contact, contact_id)
            assert state is ContactState.OFFERED and offer_id

            await e(AnswerOffer("a1", contact_id, offer_id))
            assert (await sim.engine.query(contact, contact_id))[0] is ContactState.ACTIVE
            await sim.step(10.0)
            await sim.channels.reply("a1", conv_id, "您好，我来帮您解锁。")
            await sim.step(20.0)
            more = Inbound(Channel.CHAT, (COOKIE,), "谢谢", sim.clock.now(), "chat:tok-sim-1:2")
            assert (await sim.channels.receive(more)).joined
            await sim.channels.wrap_up("a1", conv_id, "resolved")
            assert (await sim.engine.query(contact, contact_id))[0] is ContactState.WRAPUP

            await sim.step(31.0)  # the wrap-up timer runs in simulated time
            assert (await sim.engine.query(contact, contact_id))[0] is ContactState.COMPLETED
            assert [r.text for r in socket.sent] == ["您好，我来帮您解锁。"]

            def outcome(engine: RoutingEngine) -> tuple[float | None, str | None, str]:
                record = engine.router.contacts[contact_id]
                conv = sim.channels.state.conversation(conv_id)
                deliveries = sim.channels.state.deliveries[conv_id]
                return record.answered_at, conv.outcome, deliveries["chat-out-1"]

            answered_at, conv_outcome, delivered = await sim.engine.query(outcome)
            assert answered_at == t0 + 45.0  # waited exactly the simulated 45 s
            assert (conv_outcome, delivered) == ("resolved", "sent")
            assert sim.clock.now() == t0 + 106.0

    asyncio.run(scenario())
