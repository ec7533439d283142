"""A chat handed from one routing domain to another with its conversation, on the handlers
alone: two domains (north and south), each an engine with its channel service on an
in-memory store, the hop built as north's router builds it and run on south's engine, and
north's end of the hand-over run on north's. South holds the transcript, the customer and
the IVR's data; the customer's next message joins it there and is refused in north; the
same hop sent again is applied once; what cannot move is refused before anything changes;
both sides rebuild the same state from their logs."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from kefu.adapters.cluster.bus import decode_command, encode_command
from kefu.adapters.cluster.handover import handover_hop, router_principal
from kefu.bootstrap import channel_wing, routing_engine
from kefu.domain import events as ev
from kefu.domain.customers import AttachmentMeta, Direction, Identifier, IdentifierKind
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.domain.routing import RouterConfig
from kefu.service.channels import (
    AdoptConversation,
    ConversationChanged,
    ConversationMoved,
    Inbound,
    MoveConversationOut,
    OutboundReply,
    QueueOfAnotherChannel,
)
from kefu.service.errors import AttachmentsStay, ConversationStays, Forbidden
from kefu.service.ivr import read_ivr_panel
from kefu.service.routing import commands as c
from kefu.service.security import ROLE_SCOPES, Principal, Role, command_authorizer
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock, ManualScheduler

T0 = 1_700_000_000.0
TOKEN = Identifier(IdentifierKind.CHAT_COOKIE, "tok-甲")
EMAIL = Identifier(IdentifierKind.EMAIL, "zhang.san@example.com")


class ChatOutbox:
    """The chat's reply gateway: replies reach the widget through the updates."""

    def __init__(self) -> None:
        self.count = 0

    def new_external_id(self) -> str:
        self.count += 1
        return f"chat-out:{self.count}"

    async def send(self, reply: OutboundReply) -> None:
        del reply


class Domain:
    """One routing domain: an engine and its channel service on an in-memory store; its
    contact ids are c1, c2, ... as every domain's (the ids mean nothing elsewhere)."""

    def __init__(self, name: str, store: InMemoryUnitOfWorkFactory | None = None) -> None:
        self.name = name
        self.store = store or InMemoryUnitOfWorkFactory()
        self.clock = ManualClock(T0)
        counter = iter(range(1, 10_000))
        self.engine = routing_engine(
            self.store,
            self.clock,
            scheduler=ManualScheduler(),
            config=RouterConfig(offer_timeout_s=30.0),
            new_id=lambda: f"c{next(counter)}",
        )
        self.channels = channel_wing(self.engine, gateways={Channel.CHAT: ChatOutbox()})

    async def start(self, site: str | None = None, **queues: Channel) -> None:
        await self.engine.start()
        await self.channels.start()
        if site is None:
            return
        await self.engine.execute(c.CreateSite(site, site))
        for queue_id, channel in queues.items():
            await self.engine.execute(c.DefineQueue(QueueSpec(queue_id, channel), site))
        await self.engine.execute(c.DefineAgent(AgentSpec("a1", site_id=site, name="王磊")))

    async def stop(self) -> None:
        await self.channels.stop()
        await self.engine.stop()

    async def serve(self, contact_id: str) -> None:
        """a1 (ready) answers the contact offered to it."""
        await self.engine.execute(c.SetAgentState("a1", "ready"))
        contact = self.engine.router.contacts[contact_id]
        assert contact.agent_id == "a1" and contact.offer_id is not None
        await self.engine.execute(c.AcceptOffer(contact_id, contact.offer_id, "a1"))

    def hop(self, contact_id: str, to_queue_id: str, note: str = "") -> Any:
        """What this domain's router would send the other for the contact."""
        return self.engine.query(
            lambda engine: handover_hop(
                engine, self.channels, contact_id, to_queue_id, note, self.name
            )
        )

    def stored(self) -> list[ev.Event]:
        return [e.event for e in self.store.store.events]


def chat(text: str, n: int, at: float, topic: str = "web", **metadata: str) -> Inbound:
    """The customer's ``n``-th chat message; ``topic``: the queue the widget names (in the
    other domain, the gateway names the queue the conversation was adopted into)."""
    return Inbound(
        Channel.CHAT,
        (TOKEN,),
        text,
        at,
        f"chat:{TOKEN.value}:{n}",
        sender_name="张三",
        topic=topic,
        claimed=(EMAIL,),
        metadata=metadata,
    )


def run(scenario: Callable[[Domain, Domain], Awaitable[None]]) -> None:
    async def main() -> None:
        north, south = Domain("north"), Domain("south")
        await north.start("bj", web=Channel.CHAT, mail=Channel.EMAIL)
        await south.start("gz", loans=Channel.CHAT, phone=Channel.VOICE)
        try:
            await scenario(north, south)
        finally:
            await north.stop()
            await south.stop()

    asyncio.run(main())


async def _served_chat(north: Domain) -> tuple[str, str]:
    """A chat in north (IVR data among its attributes) served by a1, who answered it:
    its contact and conversation."""
    ivr = {"ivr.flow": "bank", "ivr.path": "main:2", "ivr.verified.method": "sms"}
    first = await north.channels.receive(chat("你好，我想办房贷", 1, T0, **ivr))
    assert first.contact_id is not None
    await north.serve(first.contact_id)
    await north.channels.reply("a1", first.conversation_id, "您好，请问贷款金额？")
    await north.channels.receive(chat("五十万", 2, T0 + 5))
    await north.channels.note("a1", first.conversation_id, "客户已验证身份")
    return first.contact_id, first.conversation_id


async def _move(north: Domain, south: Domain, contact_id: str, note: str = "") -> dict[str, Any]:
    """The whole hand-over: the hop on south, then north's end of it; south's answer."""
    hop = await north.hop(contact_id, "loans", note)
    assert isinstance(hop, AdoptConversation)
    remote: dict[str, Any] = await south.engine.execute(hop, actor=router_principal("north"))
    carried = len(hop.conversation.messages)
    end = MoveConversationOut(
        contact_id, "south", "loans", remote["contact_id"], remote["conversation_id"], carried
    )
    await north.engine.execute(end)
    return remote


def test_given_a_served_chat_when_handed_over_then_south_holds_it_and_north_ends_it() -> None:
    async def scenario(north: Domain, south: Domain) -> None:
        contact_id, conv_id = await _served_chat(north)
        remote = await _move(north, south, contact_id, "转广州贷款组")
        assert remote["replayed"] is False

        there = south.channels.state
        moved = there.conversation(remote["conversation_id"])
        assert [(m.direction, m.text) for m in moved.messages] == [
            (Direction.INBOUND, "你好，我想办房贷"),
            (Direction.OUTBOUND, "您好，请问贷款金额？"),
            (Direction.INBOUND, "五十万"),
        ]
        customer = there.directory.get(moved.customer_id)
        assert customer.name == "张三" and set(customer.identifiers) == {TOKEN, EMAIL}
        assert {m.author for m in moved.messages} == {moved.customer_id, "a1@north"}
        assert [(n.author, n.text) for n in there.notes[moved.conversation_id]] == [
            ("a1@north", "客户已验证身份")
        ]
        contact = south.engine.router.contacts[remote["contact_id"]]
        assert (contact.queue_id, contact.customer_id) == ("loans", moved.customer_id)
        assert contact.attributes["conversation_id"] == moved.conversation_id
        panel = read_ivr_panel(contact.attributes)  # what south's desktop shows
        assert panel is not None, "the IVR's data came along"
        assert (panel.flow, panel.path) == ("bank", ("main:2",))
        assert panel.verified is not None and panel.verified.method == "sms"
        assert contact.attributes["handover.from_conversation"] == conv_id
        assert contact.attributes["handover.note"] == "转广州贷款组"
        assert there.conversation_of[remote["contact_id"]] == moved.conversation_id

        here = north.channels.state
        left = here.conversation(conv_id)
        assert (left.is_closed, left.outcome) == (True, "transferred_out")
        gone = here.moves.moved[conv_id]
        assert (gone.domain, gone.conversation_id) == ("south", moved.conversation_id)
        assert north.engine.router.contacts[contact_id].state.value == "transferred_out"
        assert north.engine.router.agent("a1")["contacts"] == []

        # The customer's next message joins the conversation in south, a message already
        # carried sent again is a duplicate there, and north refuses the next one.
        joined = await south.channels.receive(chat("什么时候能批？", 3, T0 + 60, "loans"))
        assert joined.joined and joined.conversation_id == moved.conversation_id
        again = await south.channels.receive(chat("五十万", 2, T0 + 61, "loans"))
        assert again.duplicate and again.conversation_id == moved.conversation_id
        before = len(north.store.store.records)
        with pytest.raises(ConversationMoved) as refused:
            await north.channels.receive(chat("还在吗", 4, T0 + 62))
        assert refused.value.details == {
            "domain": "south",
            "conversation_id": moved.conversation_id,
        }
        assert len(north.store.store.records) == before, "the refused message left no trace"
        await south.serve(remote["contact_id"])
        await south.channels.reply("a1", moved.conversation_id, "三个工作日内")
        texts = [m.text for m in there.conversation(moved.conversation_id).messages]
        assert texts[3:] == ["什么时候能批？", "三个工作日内"]

    run(scenario)


def test_given_the_same_hop_again_when_a_message_came_in_between_then_it_moves_once_with_it() -> (
    None
):
    async def scenario(north: Domain, south: Domain) -> None:
        contact_id, conv_id = await _served_chat(north)
        hop = await north.hop(contact_id, "loans")
        first = await south.engine.execute(hop, actor=router_principal("north"))
        # The customer writes in north before north ends its side: that end is refused,
        # with nothing changed, and the copy taken again carries the message.
        await north.channels.receive(chat("还有一个问题", 3, T0 + 30))
        stale = MoveConversationOut(
            contact_id, "south", "loans", first["contact_id"], first["conversation_id"], 3
        )
        seq = north.engine.last_seq
        with pytest.raises(ConversationChanged):
            await north.engine.execute(stale)
        assert north.engine.last_seq == seq
        assert not north.channels.state.conversation(conv_id).is_closed

        hop = await north.hop(contact_id, "loans")
        again = await south.engine.execute(hop, actor=router_principal("north"))
        assert again["replayed"] is True
        assert (again["contact_id"], again["conversation_id"]) == (
            first["contact_id"],
            first["conversation_id"],
        )
        twice = await south.engine.execute(hop, actor=router_principal("north"))
        assert twice["contact_id"] == first["contact_id"]
        texts = [
            m.text for m in south.channels.state.conversation(first["conversation_id"]).messages
        ]
        assert texts == ["你好，我想办房贷", "您好，请问贷款金额？", "五十万", "还有一个问题"]
        queued = [e for e in south.stored() if isinstance(e, ev.ContactQueued)]
        assert len(queued) == 1, "the hop sent three times made one contact"
        adoptions = [r for r in south.store.store.records if r.kind == "adopted"]
        assert len(adoptions) == 1

        end = MoveConversationOut(
            contact_id, "south", "loans", first["contact_id"], first["conversation_id"], 4
        )
        await north.engine.execute(end)
        assert north.channels.state.conversation(conv_id).is_closed

    run(scenario)


def test_given_what_cannot_move_when_asked_then_it_is_refused_and_nothing_changes() -> None:
    async def scenario(north: Domain, south: Domain) -> None:
        mail = Inbound(Channel.EMAIL, (EMAIL,), "账单有误", T0, "<m1@example.com>", topic="mail")
        made = await north.channels.receive(mail)
        with pytest.raises(ConversationStays) as stays:
            await north.hop(made.contact_id or "", "loans")
        assert (stays.value.error_id, stays.value.details["channel"]) == (
            "handover_conversation",
            "email",
        )
        photo = AttachmentMeta("receipt.png", "image/png", 2048, "k1")
        other = Identifier(IdentifierKind.CHAT_COOKIE, "tok-乙")
        shown = Inbound(
            Channel.CHAT, (other,), "看图", T0, "chat:tok-乙:1", topic="web", attachments=(photo,)
        )
        with_file = await north.channels.receive(shown)
        with pytest.raises(AttachmentsStay):
            await north.hop(with_file.contact_id or "", "loans")

        contact_id, _ = await _served_chat(north)
        hop = await north.hop(contact_id, "phone")  # a voice queue of south
        records, events = len(south.store.store.records), len(south.store.store.events)
        with pytest.raises(QueueOfAnotherChannel):
            await south.engine.execute(hop, actor=router_principal("north"))
        assert (len(south.store.store.records), len(south.store.store.events)) == (
            records,
            events,
        ), "a refused hop wrote nothing"

    run(scenario)


def test_given_a_user_when_it_sends_a_conversation_then_only_a_router_may() -> None:
    async def scenario(north: Domain, south: Domain) -> None:
        contact_id, _ = await _served_chat(north)
        hop = await north.hop(contact_id, "loans")
        admin = Principal(
            "u-admin", "admin", Role.ADMIN, frozenset(), scopes=ROLE_SCOPES[Role.ADMIN]
        )
        with pytest.raises(Forbidden):
            await south.engine.execute(hop, authorize=command_authorizer(admin, hop))
        router = router_principal("north")
        made = await south.engine.execute(
            hop, actor=router, authorize=command_authorizer(router, hop)
        )
        assert made["replayed"] is False
        # The command travels between routers as JSON and comes back the same.
        assert decode_command(encode_command(hop)) == hop

    run(scenario)


def test_given_both_domains_restarted_when_their_logs_replay_then_the_move_is_as_it_was() -> None:
    async def main() -> None:
        north, south = Domain("north"), Domain("south")
        await north.start("bj", web=Channel.CHAT)
        await south.start("gz", loans=Channel.CHAT)
        contact_id, conv_id = await _served_chat(north)
        remote = await _move(north, south, contact_id)
        await north.stop()
        await south.stop()

        north, south = Domain("north", north.store), Domain("south", south.store)
        await north.start()
        await south.start()
        try:
            moved = south.channels.state.moves.adopted[remote["conversation_id"]]
            assert (moved.from_domain, moved.from_conversation, moved.carried) == (
                "north",
                conv_id,
                3,
            )
            assert (
                north.channels.state.moves.moved[conv_id].conversation_id
                == (remote["conversation_id"])
            )
            joined = await south.channels.receive(chat("我回来了", 3, T0 + 90, "loans"))
            assert joined.conversation_id == remote["conversation_id"] and joined.joined
            with pytest.raises(ConversationMoved):
                await north.channels.receive(chat("我回来了", 3, T0 + 90))
        finally:
            await north.stop()
            await south.stop()

    asyncio.run(main())
