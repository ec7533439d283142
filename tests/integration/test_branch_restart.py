"""The branch hall across a restart of the platform on the same database: ticket numbers
and "SMS instead of waiting" wishes are in the stored log, not only in memory."""

from __future__ import annotations

import asyncio

from db_helpers import Database

from kefu.adapters.storage import SqlUnitOfWorkFactory
from kefu.bootstrap import Platform, build_platform
from kefu.config import Settings
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.channels import OutboundReply
from kefu.service.routing import commands as c
from kefu.testing import ManualClock, ManualScheduler

PHONE = "13900001111"


class Sms:
    """A reply gateway keeping what it sends."""

    def __init__(self) -> None:
        self.sent: list[OutboundReply] = []

    def new_external_id(self) -> str:
        return f"sms-{len(self.sent) + 1}"

    async def send(self, reply: OutboundReply) -> None:
        self.sent.append(reply)


async def _settle(platform: Platform) -> None:
    """Let the background work (housekeeping commands, deliveries) run to its end."""
    channels = platform.channels
    assert channels is not None
    for _ in range(10):
        await asyncio.sleep(0)
        if channels._tasks:
            await asyncio.gather(*channels._tasks)


def test_given_tickets_and_an_sms_wish_when_the_platform_restarts_then_both_continue(
    database: Database,
) -> None:
    clock = ManualClock(1_800_000_000.0)

    def platform(prefix: str) -> tuple[Platform, Sms]:
        counter = iter(range(1, 10_000))
        made = build_platform(
            Settings(env="test"),
            uow_factory=SqlUnitOfWorkFactory(database.engine),
            clock=clock,
            scheduler=ManualScheduler(),
            new_id=lambda: f"{prefix}{next(counter)}",
        )
        sms = Sms()
        assert made.channels is not None
        made.channels.set_gateway(Channel.BRANCH, sms)
        return made, sms

    async def scenario() -> None:
        first, sms = platform("a")
        async with first.app.router.lifespan_context(first.app):
            e = first.engine.execute
            await e(c.CreateSite("hall", "营业厅"))
            await e(c.DefineQueue(QueueSpec("mobile", Channel.BRANCH, aht_s=300), "hall"))
            await e(c.DefineAgent(AgentSpec("counter-1", site_id="hall", name="1号窗口")))
            assert first.channel_site is not None
            branch = first.channel_site.branch
            for _ in range(8):
                await branch.issue("mobile")
            mine = await branch.issue("mobile", phone=PHONE, name="李女士")
            assert (mine.ticket, mine.ahead) == ("A009", 8)
            await branch.sms_instead(mine.contact_id, PHONE)
            await _settle(first)
            assert sms.sent == []  # 8 ahead: not yet

        again, sms = platform("b")
        async with again.app.router.lifespan_context(again.app):
            assert again.channel_site is not None
            branch = again.channel_site.branch
            assert (await branch.issue("mobile")).ticket == "A010"
            for _ in range(2):
                await branch.call_next("counter-1")
                await _settle(again)
            assert sms.sent == []  # 6 ahead
            await branch.call_next("counter-1")
            await _settle(again)
            (sent,) = [s for s in sms.sent if s.route.address == "+86" + PHONE]
            assert "A009" in sent.text and "前面还有 5 位" in sent.text

    asyncio.run(scenario())
