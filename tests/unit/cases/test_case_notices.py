"""Customer notices at case changes: the opening, waiting on the customer, resolution,
closure and reopening are told once each on the customer's last channel (an open chat, else
SMS, else e-mail) in their language, consent is respected, every notice (or why none went)
is in the log, and a restart sends nothing again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from kefu.bootstrap import case_wing, channel_wing, routing_engine
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.model import Channel, QueueSpec
from kefu.domain.routing import RouterConfig
from kefu.service.cases import (
    CaseNotifier,
    CaseWing,
    MoveCase,
    NoticeItem,
    OpenCase,
    customer_timeline,
)
from kefu.service.channels import Inbound, OutboundReply, SetContactConsent, UpdateCustomer
from kefu.service.routing import commands as c
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock, ManualScheduler

PHONE = Identifier(IdentifierKind.PHONE, "+8613800138000")
MAIL = Identifier(IdentifierKind.EMAIL, "amy@example.com")
T0 = 1_780_000_000.0


class Outbox:
    """A reply gateway that keeps what it is given (the channels' outbound port)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list[OutboundReply] = []

    def new_external_id(self) -> str:
        return f"{self.name}-{len(self.sent) + 1}"

    async def send(self, reply: OutboundReply) -> None:
        self.sent.append(reply)


class Center:
    """Routing, channels (SMS, e-mail, chat) and cases on one in-memory store."""

    def __init__(self, store: InMemoryUnitOfWorkFactory | None = None) -> None:
        self.store = store or InMemoryUnitOfWorkFactory()
        self.clock = ManualClock(T0)
        self.engine = routing_engine(
            self.store, self.clock, scheduler=ManualScheduler(), config=RouterConfig()
        )
        self.out = {ch: Outbox(ch.value) for ch in (Channel.SMS, Channel.EMAIL, Channel.CHAT)}
        self.channels = channel_wing(self.engine, gateways=dict(self.out))
        self.cases: CaseWing = case_wing(self.channels)
        assert self.cases.notifier is not None
        self.notifier: CaseNotifier = self.cases.notifier
        self.n = 0

    async def start(self, *, seed: bool = True) -> None:
        await self.engine.start()
        await self.channels.start()
        if seed:
            await self.engine.execute(c.CreateSite("sh", "上海"))
            for ch in (Channel.SMS, Channel.EMAIL, Channel.CHAT):
                await self.engine.execute(c.DefineQueue(QueueSpec(ch.value, ch), "sh"))

    async def stop(self) -> None:
        await self.channels.stop()
        await self.engine.stop()

    async def message(self, channel: Channel, who: Identifier, text: str) -> str:
        """A customer's message; returns the contact it made."""
        self.n += 1
        self.clock.advance(60.0)
        got = await self.channels.receive(
            Inbound(channel, (who,), text, self.clock.now(), f"in-{self.n}", topic=channel.value)
        )
        await self.channels.idle()
        assert got.contact_id is not None
        return str(got.contact_id)

    async def move(self, case_id: str, to: str, **extra: str) -> None:
        self.clock.advance(60.0)
        await self.engine.execute(MoveCase(case_id, to, by="a1", reason="r", **extra))
        await self.channels.idle()

    def texts(self, channel: Channel) -> list[str]:
        """The case notices sent on ``channel`` (not the queue's acknowledgements)."""
        return [r.text for r in self.out[channel].sent if "#" in r.text]


def run(body: Callable[[Center], Awaitable[None]]) -> None:
    async def main() -> None:
        center = Center()
        await center.start()
        try:
            await body(center)
        finally:
            await center.stop()

    asyncio.run(main())


def test_given_an_sms_customer_when_the_case_moves_then_each_change_is_told_once_in_chinese() -> (
    None
):
    async def body(center: Center) -> None:
        contact = await center.message(Channel.SMS, PHONE, "我的信用卡被多扣了年费")
        case = await center.engine.execute(OpenCase("inquiry", "年费", by="a1", contact_id=contact))
        await center.channels.idle()
        for to in ("open", "waiting_on_customer", "open", "resolved", "reopened", "resolved"):
            await center.move(case.case_id, to)
        await center.move(case.case_id, "closed")
        texts = center.texts(Channel.SMS)
        assert [t.split("，")[0][:6] for t in texts] == [
            "我们已受理您", "您的请求（工", "您的请求（工", "您的请求（工", "您的请求（工",
            "您的请求（工",
        ]  # fmt: skip
        assert "需要您补充信息" in texts[1] and "已重新打开" in texts[3] and "已关闭" in texts[5]
        assert all(f"#{case.case_id}" in t and "request" not in t for t in texts)
        notices = center.notifier.of_case(case.case_id)
        assert [(n.event, n.channel, n.language) for n in notices] == [
            (event, "sms", "zh_Hans")
            for event in ("opened", "waiting_on_customer", "resolved", "reopened", "resolved",
                          "closed")
        ]  # fmt: skip
        assert center.texts(Channel.EMAIL) == center.texts(Channel.CHAT) == []

    run(body)


def test_given_an_open_chat_and_an_older_sms_then_the_notice_goes_to_the_chat_in_english() -> None:
    async def body(center: Center) -> None:
        await center.message(Channel.SMS, PHONE, "hello, my card is blocked")
        chat = await center.message(Channel.CHAT, PHONE, "Hi, any news about my card?")
        case = await center.engine.execute(OpenCase("fault", "card", by="a1", contact_id=chat))
        await center.channels.idle()
        assert center.texts(Channel.SMS) == []
        [text] = center.texts(Channel.CHAT)
        assert text.startswith("We have registered your request as case #")
        conv_id = center.channels.state.conversation_of[chat]
        filed = center.channels.state.conversation(conv_id).messages[-1]
        assert (filed.author, filed.text) == ("kefu", text)  # in the chat, seen by the agent
        assert center.notifier.of_case(case.case_id)[0].channel == "chat"
        live = center.channels.state.conversation(conv_id).customer_id
        story = customer_timeline(
            center.engine, center.channels.state, center.cases.store, live,
            notices=center.notifier.notices.values(),
        )  # fmt: skip
        told = [i for i in story if isinstance(i, NoticeItem)]
        assert [(i.case_id, i.event, i.channel) for i in told] == [(case.case_id, "opened", "chat")]

    run(body)


def test_given_no_consent_or_no_channel_then_nothing_is_sent_and_the_reason_is_recorded() -> None:
    async def body(center: Center) -> None:
        center.notifier.may_contact = lambda _customer, channel: channel is not Channel.SMS
        contact = await center.message(Channel.SMS, PHONE, "我要投诉")
        case = await center.engine.execute(OpenCase("inquiry", "x", by="a1", contact_id=contact))
        mail = await center.message(Channel.EMAIL, MAIL, "Where is my refund?")
        other = await center.engine.execute(OpenCase("inquiry", "y", by="a1", contact_id=mail))
        await center.channels.idle()
        assert center.texts(Channel.SMS) == []
        assert center.notifier.of_case(case.case_id)[0].reason == "no_consent"
        assert len(center.texts(Channel.EMAIL)) == 1  # e-mail is allowed
        assert center.notifier.of_case(other.case_id)[0].language == "en"
        walk_in = await center.engine.execute(
            OpenCase("inquiry", "z", by="a1", site_id="sh", customer_id=None)
        )
        assert center.notifier.of_case(walk_in.case_id) == []  # no customer: nobody to tell

    run(body)


def test_given_sms_refused_or_english_chosen_in_the_record_then_notices_follow_it() -> None:
    async def body(center: Center) -> None:
        contact = await center.message(Channel.SMS, PHONE, "我的卡被吞了")
        conv_id = center.channels.state.conversation_of[contact]
        live = center.channels.state.conversation(conv_id).customer_id
        await center.engine.execute(SetContactConsent(live, "sms", False, by="a1"))
        refused = await center.engine.execute(OpenCase("fault", "x", by="a1", contact_id=contact))
        await center.channels.idle()
        assert center.texts(Channel.SMS) == []
        assert center.notifier.of_case(refused.case_id)[0].reason == "no_consent"
        await center.engine.execute(SetContactConsent(live, "sms", True, by="a1"))
        await center.engine.execute(UpdateCustomer(live, by="a1", role="agent", language="en"))
        told = await center.engine.execute(OpenCase("fault", "y", by="a1", contact_id=contact))
        await center.channels.idle()
        [text] = center.texts(Channel.SMS)  # written in Chinese, but the record says English
        assert text.startswith("We have registered your request as case #")
        assert center.notifier.of_case(told.case_id)[0].language == "en"

    run(body)


def test_given_notices_sent_when_the_platform_restarts_then_none_is_sent_again() -> None:
    async def main() -> None:
        first = Center()
        await first.start()
        contact = await first.message(Channel.SMS, PHONE, "账单有问题")
        case = await first.engine.execute(OpenCase("inquiry", "账单", by="a1", contact_id=contact))
        await first.move(case.case_id, "resolved")
        await first.stop()
        assert len(first.texts(Channel.SMS)) == 2
        again = Center(first.store)
        again.clock.set(first.clock.now())
        await again.start(seed=False)
        assert again.notifier.of_case(case.case_id) == first.notifier.of_case(case.case_id)
        await again.move(case.case_id, "closed")
        await again.stop()
        assert len(again.texts(Channel.SMS)) == 1 and "已关闭" in again.texts(Channel.SMS)[0]
        with first.store() as uow:
            stored = [r for r in uow.channels.read() if r.stream == "case_notice"]
        assert [r.data["event"] for r in stored] == ["opened", "resolved", "closed"]

    asyncio.run(main())
