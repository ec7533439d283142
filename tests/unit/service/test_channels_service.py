"""The channel service on the in-memory store: inbound messages linked to customers, filed
into conversations, routed as new contacts or joined; replies through the channel's gateway;
transfers with notes; wrap-up closing the conversation; restart from the stored log."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from kefu.bootstrap import channel_wing, routing_engine
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.errors import ValidationError
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.domain.routing import RouterConfig
from kefu.service import ServiceUnavailable
from kefu.service.channels import (
    ChannelUnavailable,
    ChannelUpdate,
    Inbound,
    NoQueueForChannel,
    NotHolder,
    OutboundReply,
    WaitInfo,
    read_conversation,
    read_customer_panel,
    wait_info,
)
from kefu.service.routing import commands as c
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock, ManualScheduler

EMAIL = Identifier(IdentifierKind.EMAIL, "Zhang.San@Example.com")
PHONE = Identifier(IdentifierKind.PHONE, "138 0013 8000")


class Outbox:
    """A reply gateway that keeps what it was asked to send (or fails)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.sent: list[OutboundReply] = []
        self.fail = False
        self.count = 0

    def new_external_id(self) -> str:
        self.count += 1
        return f"<{self.prefix}-{self.count}@kefu.test>"

    async def send(self, reply: OutboundReply) -> None:
        if self.fail:
            raise ConnectionError("relay down")
        self.sent.append(reply)


class Desk:
    """An engine and its channel service on one in-memory store (routing and channels)."""

    def __init__(self, store: InMemoryUnitOfWorkFactory | None = None, prefix: str = "k") -> None:
        self.store = store or InMemoryUnitOfWorkFactory()
        self.clock = ManualClock(1_700_000_000.0)
        counter = iter(range(1, 10_000))
        self.engine = routing_engine(
            self.store,
            self.clock,
            scheduler=ManualScheduler(),
            config=RouterConfig(offer_timeout_s=30.0),
            new_id=lambda: f"{prefix}{next(counter)}",
        )
        self.email = Outbox("mail")
        self.sms = Outbox("sms")
        self.channels = channel_wing(
            self.engine, gateways={Channel.EMAIL: self.email, Channel.SMS: self.sms}
        )
        self.updates: list[ChannelUpdate] = []

    async def start(self, *, seed: bool = True) -> None:
        await self.engine.start()
        await self.channels.start()
        self.channels.subscribe(self.updates.append)
        if not seed:
            return
        e = self.engine.execute
        await e(c.CreateSite("sh", "上海"))
        for spec in (
            QueueSpec("mail", Channel.EMAIL, aht_s=600),
            QueueSpec("chat-billing", Channel.CHAT, aht_s=120),
            QueueSpec("chat-tech", Channel.CHAT, aht_s=120),
            QueueSpec("sms", Channel.SMS, aht_s=120),
        ):
            await e(c.DefineQueue(spec, "sh"))
        for agent in ("a1", "a2"):
            await e(c.DefineAgent(AgentSpec(agent, site_id="sh", name=f"座席{agent}")))

    async def ready(self, agent_id: str) -> None:
        await self.engine.execute(c.SetAgentState(agent_id, "ready"))

    async def take(self, agent_id: str, contact_id: str) -> None:
        contact = self.engine.router.contacts[contact_id]
        assert contact.agent_id == agent_id and contact.offer_id is not None
        await self.engine.execute(c.AcceptOffer(contact_id, contact.offer_id, agent_id))

    async def settle(self) -> None:
        for _ in range(5):
            await asyncio.sleep(0)
        while self.channels._tasks:
            await asyncio.gather(*self.channels._tasks)


def run(scenario: Callable[[Desk], Awaitable[None]]) -> None:
    async def main() -> None:
        desk = Desk()
        await desk.start()
        try:
            await scenario(desk)
        finally:
            await desk.channels.stop()
            await desk.engine.stop()

    asyncio.run(main())


def mail(text: str, n: int, *, refs: tuple[str, ...] = (), at: float = 1_700_000_000.0) -> Inbound:
    return Inbound(
        Channel.EMAIL,
        (EMAIL,),
        text,
        at,
        f"<m{n}@customer.example>",
        sender_name="张三",
        subject="账单疑问 Bill question",
        thread_refs=refs,
    )


def test_given_a_new_email_when_received_then_customer_conversation_and_contact_are_made() -> None:
    async def scenario(desk: Desk) -> None:
        receipt = await desk.channels.receive(mail("我的账单多扣了钱", 1))
        assert receipt.new_customer and not receipt.joined and not receipt.duplicate
        contact = desk.engine.router.contacts[receipt.contact_id or ""]
        assert contact.queue_id == "mail" and contact.customer_id == receipt.customer_id
        assert contact.attributes["conversation_id"] == receipt.conversation_id
        assert contact.attributes["customer"] == "张三"
        customer = desk.channels.state.directory.get(receipt.customer_id)
        assert [str(i) for i in customer.identifiers] == ["email:zhang.san@example.com"]
        kinds = [u.kind for u in desk.updates]
        assert kinds == ["contact", "message"]

    run(scenario)


def test_given_a_reply_in_the_thread_when_received_then_it_joins_without_a_new_contact() -> None:
    async def scenario(desk: Desk) -> None:
        first = await desk.channels.receive(mail("第一封", 1))
        second = await desk.channels.receive(mail("补充一下", 2, refs=("<m1@customer.example>",)))
        assert second.joined and second.conversation_id == first.conversation_id
        assert second.contact_id == first.contact_id
        assert len(desk.engine.router.contacts) == 1
        # A new mail without references is a new contact (e-mail joins by thread only).
        third = await desk.channels.receive(mail("另一个问题", 3))
        assert not third.joined and third.contact_id != first.contact_id

    run(scenario)


def test_given_the_same_message_twice_when_received_then_the_second_is_a_duplicate() -> None:
    async def scenario(desk: Desk) -> None:
        first = await desk.channels.receive(mail("hello", 1))
        records = len(desk.store.store.records)
        again = await desk.channels.receive(mail("hello", 1))
        assert again.duplicate and again.conversation_id == first.conversation_id
        assert len(desk.store.store.records) == records
        assert len(desk.engine.router.contacts) == 1

    run(scenario)


def test_given_a_chat_topic_when_received_then_the_topic_selects_the_queue() -> None:
    async def scenario(desk: Desk) -> None:
        cookie = Identifier(IdentifierKind.CHAT_COOKIE, "tok-1")
        made = await desk.channels.receive(
            Inbound(Channel.CHAT, (cookie,), "网络断了", 1.0, "chat:tok-1:1", topic="chat-tech")
        )
        assert desk.engine.router.contacts[made.contact_id or ""].queue_id == "chat-tech"
        # The next line of the same chat joins the open conversation.
        more = await desk.channels.receive(
            Inbound(Channel.CHAT, (cookie,), "还在吗", 2.0, "chat:tok-1:2", topic="chat-tech")
        )
        assert more.joined and more.contact_id == made.contact_id
        with pytest.raises(NoQueueForChannel):
            await desk.channels.receive(
                Inbound(Channel.CHAT, (cookie,), "x", 3.0, "chat:tok-1:3", topic="mail")
            )
        assert desk.channels.state.duplicate("chat:tok-1:3") is None

    run(scenario)


def test_given_bad_inbound_when_received_then_refused_and_nothing_is_stored() -> None:
    async def scenario(desk: Desk) -> None:
        records = len(desk.store.store.records)
        empty = Inbound(Channel.EMAIL, (EMAIL,), "  ", 1.0, "<empty@customer.example>")
        with pytest.raises(ValidationError):
            await desk.channels.receive(empty)
        with pytest.raises(ValidationError):
            await desk.channels.receive(mail("x" * 20_001, 2))
        social = Identifier(IdentifierKind.SOCIAL, "weibo:@张三")
        with pytest.raises(NoQueueForChannel):
            await desk.channels.receive(Inbound(Channel.SOCIAL, (social,), "hi", 1.0, "p1"))
        assert len(desk.store.store.records) == records
        assert list(desk.channels.state.directory.customers()) == []

    run(scenario)


def test_given_a_waiting_customer_then_position_and_predicted_wait_follow_the_queue() -> None:
    async def scenario(desk: Desk) -> None:
        await desk.ready("a1")
        ids = []
        for n in range(5):
            cookie = Identifier(IdentifierKind.CHAT_COOKIE, f"tok-{n}")
            inbound = Inbound(
                Channel.CHAT, (cookie,), "在吗", 1.0, f"chat:{n}:1", topic="chat-tech"
            )
            ids.append((await desk.channels.receive(inbound)).contact_id or "")
        # a1 takes 3 chats at once; the 4th and 5th wait: 1 staffed agent of 3 slots.
        router = desk.engine.router
        assert wait_info(router, ids[0]) is None
        fourth, fifth = wait_info(router, ids[3]), wait_info(router, ids[4])
        assert fourth == WaitInfo(1, 0, pytest.approx(40.0))
        assert fifth is not None and (fifth.position, fifth.ahead) == (2, 1)
        assert fifth.estimated_wait_s == pytest.approx(80.0)

    run(scenario)


def test_given_an_agent_when_replying_then_the_reply_goes_out_threaded_and_is_recorded() -> None:
    async def scenario(desk: Desk) -> None:
        await desk.ready("a1")
        made = await desk.channels.receive(mail("我的账单多扣了钱", 1))
        conv_id, contact_id = made.conversation_id, made.contact_id or ""
        with pytest.raises(NotHolder):  # offered, not accepted yet
            await desk.channels.reply("a1", conv_id, "您好")
        await desk.take("a1", contact_id)
        with pytest.raises(NotHolder):
            await desk.channels.reply("a2", conv_id, "我不是持有人")
        number = await desk.channels.reply("a1", conv_id, "您好，已为您退款。")
        await desk.settle()
        assert number == 2
        (sent,) = desk.email.sent
        assert sent.route.address == "zhang.san@example.com" and sent.thread == (
            "<m1@customer.example>",
        )
        view = read_conversation(desk.channels.state, desk.engine.router, conv_id).to_json()
        assert [m["direction"] for m in view["messages"]] == ["inbound", "outbound"]
        assert view["messages"][1]["delivery"] == "sent"
        # The customer's answer citing kefu's reply joins the same conversation.
        answer = await desk.channels.receive(mail("谢谢", 2, refs=(sent.external_id,)))
        assert answer.joined and answer.conversation_id == conv_id

    run(scenario)


def test_given_a_failing_relay_when_replying_then_the_failure_is_recorded_for_the_agent() -> None:
    async def scenario(desk: Desk) -> None:
        await desk.ready("a1")
        made = await desk.channels.receive(mail("hello", 1))
        await desk.take("a1", made.contact_id or "")
        desk.email.fail = True
        await desk.channels.reply("a1", made.conversation_id, "reply")
        await desk.settle()
        view = read_conversation(
            desk.channels.state, desk.engine.router, made.conversation_id
        ).to_json()
        assert view["messages"][-1]["delivery"] == "failed"

    run(scenario)


def test_given_no_gateway_when_replying_on_chat_then_channel_unavailable() -> None:
    async def scenario(desk: Desk) -> None:
        await desk.ready("a1")
        cookie = Identifier(IdentifierKind.CHAT_COOKIE, "tok")
        made = await desk.channels.receive(Inbound(Channel.CHAT, (cookie,), "hi", 1.0, "chat:1"))
        await desk.take("a1", made.contact_id or "")
        with pytest.raises(ChannelUnavailable):
            await desk.channels.reply("a1", made.conversation_id, "hello")

    run(scenario)


def test_given_a_transfer_with_a_note_then_the_next_agent_sees_history_note_and_wraps_up() -> None:
    async def scenario(desk: Desk) -> None:
        await desk.ready("a1")
        made = await desk.channels.receive(mail("退款问题", 1))
        conv_id, contact_id = made.conversation_id, made.contact_id or ""
        await desk.take("a1", contact_id)
        await desk.channels.note("a1", conv_id, "客户已核实身份")
        await desk.channels.transfer("a1", conv_id, to_agent_id="a2", note="请处理退款")
        await desk.ready("a2")
        await desk.take("a2", contact_id)
        view = read_conversation(desk.channels.state, desk.engine.router, conv_id).to_json()
        assert view["agent_id"] == "a2"
        assert [(n["kind"], n["text"]) for n in view["notes"]] == [
            ("note", "客户已核实身份"),
            ("transfer", "请处理退款"),
        ]
        await desk.channels.wrap_up("a2", conv_id, "resolved")
        assert desk.channels.state.conversation(conv_id).outcome == "resolved"
        panel = read_customer_panel(
            desk.channels.state, desk.engine.router, made.customer_id
        ).to_json()
        (entry,) = panel["timeline"]
        assert entry["outcome"] == "resolved" and entry["channel"] == "email"

    run(scenario)


def test_given_an_abandoned_contact_then_its_conversation_closes() -> None:
    async def scenario(desk: Desk) -> None:
        made = await desk.channels.receive(mail("hello", 1))
        await desk.engine.execute(c.AbandonContact(made.contact_id or ""))
        await desk.settle()
        assert desk.channels.state.conversation(made.conversation_id).outcome == "abandoned"
        again = await desk.channels.receive(mail("anyone?", 2, refs=("<m1@customer.example>",)))
        assert not again.joined and again.contact_id != made.contact_id
        conv = desk.channels.state.conversation(again.conversation_id)
        assert conv.follows == made.conversation_id

    run(scenario)


def test_given_claimed_identifiers_then_free_ones_are_added_and_taken_ones_suggested() -> None:
    async def scenario(desk: Desk) -> None:
        owner = await desk.channels.receive(mail("hello", 1))
        cookie = Identifier(IdentifierKind.CHAT_COOKIE, "browser-2")
        chat = await desk.channels.receive(
            Inbound(Channel.CHAT, (cookie,), "hi", 2.0, "chat:b2:1", claimed=(EMAIL, PHONE))
        )
        assert chat.customer_id != owner.customer_id  # never merged on a typed claim
        customer = desk.channels.state.directory.get(chat.customer_id)
        assert {str(i) for i in customer.identifiers} == {
            "chat_cookie:browser-2",
            "phone:+8613800138000",
        }
        view = read_conversation(
            desk.channels.state, desk.engine.router, chat.conversation_id
        ).to_json()
        assert view["suggestions"] == [
            {"kind": "email", "value": "zhang.san@example.com", "customer_id": owner.customer_id}
        ]

    run(scenario)


def test_given_a_restart_then_customers_and_conversations_come_back_from_the_store() -> None:
    async def scenario() -> None:
        desk = Desk()
        await desk.start()
        await desk.ready("a1")
        made = await desk.channels.receive(mail("第一封", 1))
        await desk.take("a1", made.contact_id or "")
        await desk.channels.reply("a1", made.conversation_id, "收到")
        await desk.channels.note("a1", made.conversation_id, "备注")
        await desk.settle()
        before = read_conversation(
            desk.channels.state, desk.engine.router, made.conversation_id
        ).to_json()
        await desk.channels.stop()
        await desk.engine.stop()

        again = Desk(desk.store, prefix="r")
        await again.start(seed=False)
        after = read_conversation(
            again.channels.state, again.engine.router, made.conversation_id
        ).to_json()
        assert after == before
        joined = await again.channels.receive(mail("补充", 2, refs=("<m1@customer.example>",)))
        assert joined.joined and joined.contact_id == made.contact_id
        await again.channels.stop()
        await again.engine.stop()

    asyncio.run(scenario())


def test_given_a_failed_store_write_then_the_channel_state_is_rebuilt_from_the_store() -> None:
    async def scenario(desk: Desk) -> None:
        await desk.channels.receive(mail("stored", 1))
        desk.store.store.fail_next_commit = True
        with pytest.raises(ServiceUnavailable):
            await desk.channels.receive(mail("lost", 2))
        # The next command finds the rebuilt router and reloads what was stored.
        await desk.channels.receive(mail("after", 3))
        state = desk.channels.state
        assert state.duplicate("<m2@customer.example>") is None
        assert state.duplicate("<m3@customer.example>") is not None
        assert len(desk.engine.router.contacts) == 2

    run(scenario)


def test_given_a_waiting_sms_customer_then_an_sms_tells_the_position_and_wait() -> None:
    async def scenario(desk: Desk) -> None:
        await desk.ready("a1")
        phones = [Identifier(IdentifierKind.PHONE, f"1380013800{n}") for n in range(5)]
        texts = ["流量不够用"] * 4 + ["My data plan ran out"]
        for n, (phone, text) in enumerate(zip(phones, texts, strict=True)):
            await desk.channels.receive(Inbound(Channel.SMS, (phone,), text, 1.0, f"s{n}"))
        await desk.settle()
        # a1 takes three SMS at once; the fourth and fifth wait (one agent of 3 slots), each
        # told in the language of their message only.
        assert [r.route.address for r in desk.sms.sent] == ["+8613800138003", "+8613800138004"]
        assert desk.sms.sent[0].text == "您排在第 1 位，前面还有 0 位，预计等待约 1 分钟。"
        assert desk.sms.sent[1].text == "You are number 2 (1 ahead of you), about 1 minute."
        assert desk.sms.sent[0].author == "kefu"

    run(scenario)
