"""The channel side of a web node's read-only copy: the leader's customers, conversations
and messages reach it from the store (each record once); a command given to it goes to
the leader for its caller and the copy catches up before answering; typing goes to the
bus. The channel and desktop commands travel as JSON and come back equal, and the router
runs them only for the rightful caller: a customer's message only from a web node's
channel, an agent's action only as that agent."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kefu.adapters.cluster.bus import decode_command, encode_command
from kefu.adapters.cluster.channel_codec import channel_result
from kefu.bootstrap import channel_wing, routing_engine
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.errors import ValidationError
from kefu.domain.model import AgentSpec, Channel, ContactState, QueueSpec
from kefu.service.channels import (
    ActOnOwnContact,
    ChannelUpdate,
    Inbound,
    Receipt,
    ReceiveInbound,
    Reply,
    TransferConversation,
)
from kefu.service.commands import Command
from kefu.service.errors import Forbidden
from kefu.service.replica import ReplicaChannels, ReplicaEngine
from kefu.service.routing import commands as c
from kefu.service.security import ROLE_SCOPES, Principal, Role, command_authorizer
from kefu.service.security.command_rights import CHANNEL_CALLER
from kefu.service.transaction import HandlerTable
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock

AGENT_A1 = Principal("u-a1", "wang", Role.AGENT, frozenset({"sh"}), "a1", ROLE_SCOPES[Role.AGENT])
AGENT_A2 = Principal("u-a2", "li", Role.AGENT, frozenset({"sh"}), "a2", ROLE_SCOPES[Role.AGENT])


def _inbound(text: str, n: int) -> Inbound:
    token = Identifier(IdentifierKind.CHAT_COOKIE, "tok-1")
    return Inbound(
        Channel.CHAT,
        (token,),
        text,
        1_000.0 + n,
        f"chat:tok-1:{n}",
        sender_name="张三",
        topic="chat",
        claimed=(Identifier(IdentifierKind.PHONE, "13800138000"),),
        metadata={"site_id": "sh"},
    )


def test_given_channel_commands_as_json_when_decoded_then_equal_or_refused() -> None:
    commands: list[Command] = [
        ReceiveInbound(_inbound("你好", 1)),
        Reply("a1", "conv-1", "您好"),
        TransferConversation("a1", "conv-1", to_queue_id="chat", note="请跟进"),
        ActOnOwnContact("a1", "c1", c.HoldContact("c1"), (ContactState.ACTIVE,)),
    ]
    for command in commands:
        assert decode_command(encode_command(command)) == command
    bad = b'{"type": "ActOnOwnContact", "fields": {"agent_id": "a1", "contact_id": "c1", '
    bad += b'"action": {"type": "CreateSite", "fields": {}}, "states": []}}'
    with pytest.raises(ValidationError):
        decode_command(bad)  # the action must travel too
    receipt = {"customer_id": "k1", "conversation_id": "v1", "contact_id": None, "joined": False}
    assert channel_result(commands[0], receipt) == Receipt("k1", "v1", None, False)


def test_given_callers_when_channel_commands_are_checked_then_only_the_rightful_pass() -> None:
    async def scenario() -> None:
        engine = routing_engine(InMemoryUnitOfWorkFactory(), ManualClock(1_000.0))
        await engine.start()
        await engine.execute(c.CreateSite("sh", "上海"))
        await engine.execute(c.DefineAgent(AgentSpec("a1", site_id="sh")))
        inbound = ReceiveInbound(_inbound("你好", 1))
        command_authorizer(CHANNEL_CALLER, inbound)(engine)
        with pytest.raises(Forbidden):  # a user's call is not a customer's message
            command_authorizer(AGENT_A1, inbound)(engine)
        reply = Reply("a1", "conv-1", "您好")
        command_authorizer(AGENT_A1, reply)(engine)
        for caller in (AGENT_A2, CHANNEL_CALLER):  # another agent, a customer
            with pytest.raises(Forbidden):
                command_authorizer(caller, reply)(engine)
        await engine.stop()

    asyncio.run(scenario())


def test_given_a_replica_when_the_leader_stores_messages_then_it_follows_and_forwards() -> None:
    async def scenario() -> None:
        store = InMemoryUnitOfWorkFactory()
        clock = ManualClock(1_000.0)
        leader = routing_engine(store, clock)
        leader_channels = channel_wing(leader)
        await leader.start()
        await leader.execute(c.CreateSite("sh", "上海"))
        await leader.execute(c.DefineQueue(QueueSpec("chat", Channel.CHAT), "sh"))
        first = await leader_channels.receive(_inbound("你好", 1))

        replica = ReplicaEngine(store, clock, handlers=HandlerTable())
        channels = ReplicaChannels(replica)
        replica.attach(channels.state)
        await replica.start()
        conv_id = first.conversation_id
        assert [m.text for m in channels.state.conversation(conv_id).messages] == ["你好"]

        await leader_channels.receive(_inbound("我的订单", 2))
        await replica.follow_parts()
        await replica.follow_parts()  # nothing new: nothing applied twice
        texts = [m.text for m in channels.state.conversation(conv_id).messages]
        assert texts == ["你好", "我的订单"]
        assert channels.state.seq == leader_channels.state.seq

        sent: list[tuple[Command, Principal | None]] = []

        async def remote(command: Command, actor: Principal | None) -> Any:
            sent.append((command, actor))
            return await leader.execute(command)

        replica.remote = remote
        replica.sync = replica.follow_parts
        await channels.receive(_inbound("还在吗", 3))  # a customer: no actor
        assert sent == [(ReceiveInbound(_inbound("还在吗", 3)), None)]
        last = channels.state.conversation(conv_id).messages[-1]
        assert last.text == "还在吗"  # caught up before answering

        relayed: list[ChannelUpdate] = []
        heard: list[ChannelUpdate] = []
        channels.subscribe(heard.append)

        async def relay(update: ChannelUpdate) -> None:
            relayed.append(update)

        channels.relay = relay
        await channels.typing(conv_id, "customer")
        assert [(u.kind, u.conversation_id, u.who) for u in relayed] == [
            ("typing", conv_id, "customer")
        ]
        assert heard == []  # shown when the bus brings it back
        await leader.stop()
        await replica.stop()

    asyncio.run(scenario())
