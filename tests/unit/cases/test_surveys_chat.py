"""A chat's follow-up survey is its end screen: an open chat gets the question with the link
(filed in the chat, so the widget shows it); a chat closed before its case was resolved gets
no message (it cannot take one) but its status carries the survey's link until answered."""

from __future__ import annotations

import asyncio

from test_surveys import OTHER, PHONE, T0, Outbox

from kefu.adapters.channels.webchat import frames
from kefu.bootstrap import case_wing, channel_wing, routing_engine, survey_wing
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.domain.routing import RouterConfig
from kefu.service.cases import AnswerSurvey, MoveCase, OpenCase, SurveyOptions
from kefu.service.channels import Inbound
from kefu.service.routing import commands as c
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock, ManualScheduler

COOKIES = (
    Identifier(IdentifierKind.CHAT_COOKIE, "browser-1"),
    Identifier(IdentifierKind.CHAT_COOKIE, "browser-2"),
)
BASE = "https://kefu.example/survey"


def test_given_chats_when_cases_resolve_then_open_ones_get_the_link_closed_ones_a_status() -> None:
    async def scenario() -> None:
        clock = ManualClock(T0)
        engine = routing_engine(
            InMemoryUnitOfWorkFactory(), clock, scheduler=ManualScheduler(), config=RouterConfig()
        )
        chat = Outbox()
        channels = channel_wing(engine, gateways={Channel.CHAT: chat, Channel.SMS: Outbox()})
        cases = case_wing(channels)
        surveys = survey_wing(cases, SurveyOptions(link_base=BASE, quiet_period_s=0.0))
        surveys.secret_key = "k" * 32
        await engine.start()
        await channels.start()
        try:
            await engine.execute(c.CreateSite("sh", "上海"))
            await engine.execute(c.DefineQueue(QueueSpec("chat", Channel.CHAT), "sh"))
            await engine.execute(c.DefineAgent(AgentSpec("a1", site_id="sh", capacity={"chat": 2})))
            await engine.execute(c.SetAgentState("a1", "ready"))

            who = ((COOKIES[0], PHONE), (COOKIES[1], OTHER))

            async def case_of_chat(n: int) -> tuple[str, str]:
                clock.advance(60.0)
                got = await channels.receive(
                    Inbound(Channel.CHAT, who[n - 1], f"问题 {n}", clock.now(), f"chat:{n}")
                )
                assert got.contact_id is not None
                contact = engine.router.contacts[got.contact_id]
                assert contact.offer_id is not None
                await engine.execute(c.AcceptOffer(got.contact_id, contact.offer_id, "a1"))
                case = await engine.execute(
                    OpenCase("inquiry", f"咨询 {n}", by="a1", contact_id=got.contact_id)
                )
                return got.conversation_id, str(case.case_id)

            open_conv, open_case = await case_of_chat(1)
            await engine.execute(MoveCase(open_case, "resolved", by="a1", reason="ok"))
            await channels.idle()
            filed = channels.state.conversation(open_conv).messages[-1]
            assert filed.author == "kefu" and f"{BASE}/s1." in filed.text

            closed_conv, closed_case = await case_of_chat(2)
            await channels.wrap_up("a1", closed_conv, "resolved")
            await channels.idle()
            assert channels.state.conversation(closed_conv).is_closed
            before = len(channels.state.conversation(closed_conv).messages)
            await engine.execute(MoveCase(closed_case, "resolved", by="a1", reason="ok"))
            await channels.idle()
            assert surveys.book.surveys["s2"].sent.conversation_id == closed_conv
            assert len(channels.state.conversation(closed_conv).messages) == before

            def status(conv_id: str) -> frames.ChatStatus:
                return frames.status(engine, channels.state, conv_id, {}, None, surveys.chat_link)

            shown = await channels.read(lambda _e, _s: status(closed_conv))
            assert isinstance(shown, frames.ClosedStatus)
            assert str(shown.survey).startswith(f"{BASE}/s2.")
            assert shown.to_json()["survey"] == shown.survey
            await engine.execute(AnswerSurvey("s2", 5))
            after = await channels.read(lambda _e, _s: status(closed_conv))
            assert isinstance(after, frames.ClosedStatus) and after.survey is None
            assert "survey" not in after.to_json()
        finally:
            await channels.stop()
            await engine.stop()

    asyncio.run(scenario())
