"""Hand-off without re-verification: the agent's screen shows what the IVR learned at the top
of an offered and of a held contact, and never offers to ask a verified customer to verify."""

from __future__ import annotations

import asyncio

from ivr_world import account, chat_customer, open_center, simulation

from kefu.service import RoutingEngine
from kefu.service.channels import AnswerOffer
from kefu.service.desktop import DesktopScreen, desktop_view
from kefu.service.routing import commands as c


def test_given_a_chat_verified_by_the_ivr_when_offered_and_held_then_the_desktop_never_asks_to_verify() -> (  # noqa: E501
    None
):
    async def scenario() -> None:
        async with simulation() as sim:
            await open_center(sim)
            me, acct = chat_customer(sim, "tok-desk"), account()
            for text in ("您好", "1", acct.card, acct.pin, "账单", "人工"):
                await me.say(text)
            await sim.engine.execute(c.SetAgentState("a1", "ready"))

            def screen(engine: RoutingEngine) -> DesktopScreen:
                return desktop_view(engine, sim.channels.state, "a1")

            (offer,) = (await sim.engine.query(screen)).offers
            panel = offer.ivr
            assert panel is not None and panel.verified is not None
            assert panel.verified.method == "account_pin"
            assert panel.verified.identifier == "•••• " + acct.card[-4:]
            assert panel.path_text == "中文 > 账单解释 > 人工客服"
            assert panel.self_service == (("bill", "ok"),)
            assert panel.collected == {"account": "•••• " + acct.card[-4:]}
            assert panel.to_json()["self_service"] == [{"action": "bill", "outcome": "ok"}]
            assert offer.canned_hidden == ("verify",)

            contact = offer.contact
            assert contact.offer_id is not None
            await sim.engine.execute(AnswerOffer("a1", contact.contact_id, contact.offer_id))
            (held,) = (await sim.engine.query(screen)).contacts
            assert held.ivr == panel and held.canned_hidden == ("verify",)
            assert held.conversation is not None
            texts = [m.text for m in held.conversation.messages]
            assert acct.pin not in texts and "•" * len(acct.pin) in texts

    asyncio.run(scenario())


def test_given_a_chat_that_failed_verification_when_offered_then_the_agent_may_verify() -> None:
    async def scenario() -> None:
        async with simulation() as sim:
            await open_center(sim)
            me, acct = chat_customer(sim, "tok-wrong"), account()
            wrong = "000000" if acct.pin != "000000" else "111111"
            for text in ("hi", "2", acct.card, wrong, acct.card, wrong, acct.card, wrong):
                await me.say(text)
            await sim.engine.execute(c.SetAgentState("a1", "ready"))
            view = await sim.engine.query(lambda e: desktop_view(e, sim.channels.state, "a1"))
            (offer,) = view.offers
            assert offer.ivr is not None and offer.ivr.verified is None
            assert offer.ivr.reason == "verification_failed"
            assert offer.canned_hidden == ()

    asyncio.run(scenario())
