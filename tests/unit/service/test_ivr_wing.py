"""The IVR wing through the real handlers (simulated time): chat and SMS conversations are
greeted by the bank flow, verified against the demo bank, served by self-service, and handed
to an agent with what the IVR learned; the PIN is stored nowhere."""

from __future__ import annotations

import asyncio
import json

from ivr_world import Customer, account, chat_customer, contact_of, open_center, simulation

from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.model import Channel, ContactState
from kefu.service.channels import read_conversation
from kefu.service.ivr import read_ivr_panel


def test_given_a_chat_when_the_customer_verifies_checks_balance_and_asks_agent_then_queued_with_ivr_attributes() -> (  # noqa: E501
    None
):
    async def scenario() -> None:
        async with simulation() as sim:
            chat, _ = await open_center(sim)
            me, acct = chat_customer(sim), account()
            receipt = await me.say("hello")
            conv = receipt.conversation_id
            assert receipt.contact_id is None  # greeted by the flow, not queued
            assert "For English, press 2" in chat.texts(conv)[-1]
            await me.say("2")
            assert chat.texts(conv)[-1] == "Please enter your 16-digit card number."
            await me.say(acct.card)
            await me.say(acct.pin)
            assert chat.texts(conv)[-1] == "Please choose a service."
            await me.say("what is my balance?")
            yuan = f"{acct.balance_cents // 100}.{acct.balance_cents % 100:02d}"
            assert any(f"CNY {yuan}" in t for t in chat.texts(conv))
            assert await sim.engine.query(contact_of, conv, sim) is None
            await me.say("agent")

            contact = await sim.engine.query(contact_of, conv, sim)
            assert contact is not None and contact.state is ContactState.QUEUED
            a = contact.attributes
            assert a["ivr.flow"] == "bank@1" and a["channel"] == "chat"
            assert a["ivr.verified.method"] == "account_pin"
            assert a["ivr.verified.identifier"] == "•••• " + acct.card[-4:]
            assert a["ivr.verified.customer_id"] == acct.customer_id
            assert float(a["ivr.verified.at"]) == sim.clock.now()
            assert a["ivr.self_service"] == "balance=ok"
            assert a["ivr.path"] == "language:2>main:3>more:0"
            assert a["ivr.path.text"] == "English > Account balance > Agent"
            assert a["ivr.slot.account"] == "•••• " + acct.card[-4:]
            assert a["ivr.reason"] == "agent_requested"
            panel = read_ivr_panel(a)
            assert panel is not None and panel.verified is not None
            assert panel.verified.method == "account_pin"
            assert panel.self_service == (("balance", "ok"),)

            def directory_and_log() -> tuple[bool, str]:
                state = sim.channels.state
                customer = state.directory.find(Identifier(IdentifierKind.CHAT_COOKIE, "tok-ivr-1"))
                assert customer is not None
                account_id = Identifier(IdentifierKind.ACCOUNT, acct.customer_id)
                log = json.dumps([dict(r.data) for r in state.records], ensure_ascii=False)
                return account_id in customer.verified, log

            verified, log = directory_and_log()
            assert verified  # the customer store knows the account, verified by the IVR
            assert acct.pin not in log  # the PIN is stored nowhere (filed as dots)
            view = await sim.engine.query(
                lambda e: read_conversation(sim.channels.state, e.router, conv).to_json()
            )
            assert "•" * len(acct.pin) in [m["text"] for m in view["messages"]]

    asyncio.run(scenario())


def test_given_an_sms_when_answered_with_digits_then_numbered_options_and_the_sms_queue() -> None:
    async def scenario() -> None:
        async with simulation() as sim:
            _, sms = await open_center(sim)
            me = Customer(sim, Channel.SMS, Identifier(IdentifierKind.PHONE, "13800138000"))
            acct = account()
            conv = (await me.say("查账")).conversation_id
            assert sms.texts(conv)[-1].endswith("\n1. 中文\n2. English")
            await me.say("1")
            await me.say(acct.card)
            await me.say(acct.pin)
            assert "\n1. 账单解释\n2. 银行卡挂失\n3. 查询余额\n4. 最近交易" in sms.texts(conv)[-1]
            await me.say("4")
            assert any(t.startswith("最近 3 笔交易") for t in sms.texts(conv))
            assert [r.text for r in sms.sent] == sms.texts(conv)  # SMS: each one sent
            await me.say("2")  # "talk to an agent" in the "anything else?" menu
            contact = await sim.engine.query(contact_of, conv, sim)
            assert contact is not None and contact.queue_id == "sms"
            assert contact.attributes["ivr.path"] == "language:1>main:4>more:2"
            assert contact.attributes["ivr.self_service"] == "transactions=ok"

    asyncio.run(scenario())


def test_given_chinese_keywords_when_typed_then_the_flow_follows_them() -> None:
    async def scenario() -> None:
        async with simulation() as sim:
            chat, _ = await open_center(sim)
            me, acct = chat_customer(sim, "tok-zh"), account()
            conv = (await me.say("你好")).conversation_id
            await me.say("说中文")
            assert chat.texts(conv)[-1] == "请输入您的 16 位银行卡号。"
            await me.say(acct.card)
            await me.say(acct.pin)
            await me.say("我的卡丢了")
            assert chat.texts(conv)[-1].startswith("确认挂失并冻结此卡请按 1")
            await me.say("确认")
            assert any("已冻结" in t for t in chat.texts(conv))
            await me.say("转人工")
            contact = await sim.engine.query(contact_of, conv, sim)
            assert contact is not None
            assert contact.attributes["ivr.path"] == "language:1>main:2>card_confirm:1>more:0"
            assert contact.attributes["ivr.self_service"] == "card_block=blocked"

    asyncio.run(scenario())


def test_given_the_card_prompt_when_the_customer_types_an_agent_word_then_filed_as_typed() -> None:
    async def scenario() -> None:
        async with simulation() as sim:
            chat, _ = await open_center(sim)
            me = chat_customer(sim, "tok-agent-word")
            conv = (await me.say("你好")).conversation_id
            await me.say("说中文")
            assert chat.texts(conv)[-1] == "请输入您的 16 位银行卡号。"
            await me.say("人工")  # no card number: the agent reads why the customer left
            contact = await sim.engine.query(contact_of, conv, sim)
            assert contact is not None and contact.state is ContactState.QUEUED
            view = await sim.engine.query(
                lambda e: read_conversation(sim.channels.state, e.router, conv).to_json()
            )
            texts = [m["text"] for m in view["messages"]]
            assert "人工" in texts and "••••" not in texts

    asyncio.run(scenario())


def test_given_silence_when_the_question_times_out_then_the_engine_timer_asks_again() -> None:
    async def scenario() -> None:
        async with simulation() as sim:
            chat, _ = await open_center(sim)
            me = chat_customer(sim, "tok-quiet")
            conv = (await me.say("hi")).conversation_id
            await me.say("2")
            asked = len(chat.texts(conv))
            assert sim.scheduler.due == sim.clock.now() + 20 * 6  # chat: 6 x the flow's 20 s
            await sim.step(119.0)
            assert len(chat.texts(conv)) == asked
            await sim.step(2.0)
            assert len(chat.texts(conv)) == asked + 1  # the same question, once more
            assert chat.texts(conv)[-1] == "Please enter your 16-digit card number."

    asyncio.run(scenario())


def test_given_the_end_of_self_service_when_the_customer_says_goodbye_then_closed_without_contact() -> (  # noqa: E501
    None
):
    async def scenario() -> None:
        async with simulation() as sim:
            chat, _ = await open_center(sim)
            me, acct = chat_customer(sim, "tok-bye"), account()
            conv = (await me.say("hi")).conversation_id
            for text in ("2", acct.card, acct.pin, "3", "3"):
                await me.say(text)
            assert chat.texts(conv)[-1] == "Thank you for calling. Goodbye."
            closed = await sim.engine.query(
                lambda _e: sim.channels.state.conversation(conv).outcome
            )
            assert closed == "self_service"
            assert await sim.engine.query(contact_of, conv, sim) is None

    asyncio.run(scenario())
