"""Follow-up surveys across a restart on the same database (SQLite and PostgreSQL): the
survey stream of the channel log restores every survey, answer and consent, a subject
surveyed before the restart is not surveyed again, and an answer after it still counts."""

from __future__ import annotations

import asyncio
from typing import Any

from db_helpers import Database

from kefu.adapters.storage import SqlUnitOfWorkFactory
from kefu.bootstrap import Platform, build_platform
from kefu.config import Settings
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.cases import MoveCase, OpenCase
from kefu.service.channels import Inbound, OutboundReply
from kefu.service.routing import commands as c
from kefu.testing import ManualClock, ManualScheduler

PHONE = Identifier(IdentifierKind.PHONE, "+8613800138011")


class Outbox:
    def __init__(self) -> None:
        self.sent: list[OutboundReply] = []

    def new_external_id(self) -> str:
        return f"sms-{len(self.sent) + 1}"

    async def send(self, reply: OutboundReply) -> None:
        self.sent.append(reply)


def test_given_surveys_when_the_platform_restarts_then_none_is_sent_twice(
    database: Database,
) -> None:
    clock = ManualClock(1_772_762_400.0)

    def platform(outbox: Outbox) -> Platform:
        made = build_platform(
            Settings(env="test"),
            uow_factory=SqlUnitOfWorkFactory(database.engine),
            clock=clock,
            scheduler=ManualScheduler(),
        )
        assert made.channels is not None
        made.channels.set_gateway(Channel.SMS, outbox)
        return made

    async def sms(p: Platform, text: str, n: int) -> Any:
        assert p.channels is not None
        clock.set(clock.now() + 60)
        got = await p.channels.receive(Inbound(Channel.SMS, (PHONE,), text, clock.now(), f"m{n}"))
        await p.channels.idle()
        return got

    async def scenario() -> None:
        out1 = Outbox()
        first = platform(out1)
        async with first.app.router.lifespan_context(first.app):
            e = first.engine.execute
            await e(c.CreateSite("sh", "上海"))
            await e(c.DefineQueue(QueueSpec("sms", Channel.SMS), "sh"))
            await e(c.DefineAgent(AgentSpec("a1", site_id="sh")))
            await e(c.SetAgentState("a1", "ready"))
            got = await sms(first, "账单多扣了", 1)
            case = await e(OpenCase("inquiry", "账单", by="a1", contact_id=got.contact_id))
            offer = first.engine.router.contacts[got.contact_id].offer_id
            await e(c.AcceptOffer(got.contact_id, offer, "a1"))
            assert first.channels is not None
            await first.channels.wrap_up("a1", got.conversation_id, "refund")
            await e(MoveCase(case.case_id, "resolved", by="a1", reason="已退款"))
            await first.channels.idle()
            before = dict(first.app.state.surveys.book.surveys)
        assert len([r for r in out1.sent if "退订" in r.text]) == 1 and list(before) == ["s1"]
        out2 = Outbox()
        second = platform(out2)
        async with second.app.router.lifespan_context(second.app):
            book = second.app.state.surveys.book
            assert book.surveys == before and book.subjects == {f"case:{case.case_id}": "s1"}
            await second.engine.execute(MoveCase(case.case_id, "closed", by="a1", reason="完结"))
            answered = await sms(second, "5 谢谢", 2)
            assert answered.contact_id is None and book.surveys["s1"].score == 5
            assert [r for r in out2.sent if "退订" in r.text] == []  # not asked again
        third = platform(Outbox())
        async with third.app.router.lifespan_context(third.app):
            assert third.app.state.surveys.book.surveys["s1"].comment == "谢谢"

    asyncio.run(scenario())
