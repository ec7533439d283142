"""A chat in the middle of the bank flow across a restart of the platform on the same
database: the IVR's log restores the session (its question, its timer, what it collected)."""

from __future__ import annotations

import asyncio

from db_helpers import Database
from sqlalchemy import MetaData

from kefu.adapters.ivr.bank_actions import FakeBank
from kefu.adapters.storage import SqlUnitOfWorkFactory
from kefu.bootstrap import Platform, build_platform
from kefu.config import Settings
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.model import AgentSpec, Channel, ContactState, QueueSpec
from kefu.service.channels import Inbound, OutboundReply
from kefu.service.routing import commands as c
from kefu.testing import ManualClock, ManualScheduler

COOKIE = Identifier(IdentifierKind.CHAT_COOKIE, "tok-restart")


class Socket:
    def __init__(self) -> None:
        self.sent: list[OutboundReply] = []

    def new_external_id(self) -> str:
        return f"out-{len(self.sent)}-{len(self.sent) + 1}"

    async def send(self, reply: OutboundReply) -> None:
        self.sent.append(reply)


def test_given_a_chat_at_the_pin_question_when_the_platform_restarts_then_the_flow_goes_on(
    database: Database,
) -> None:
    clock = ManualClock(1_800_000_000.0)
    acct = next(iter(FakeBank().accounts.values()))

    def platform(prefix: str) -> tuple[Platform, Socket, ManualScheduler]:
        counter = iter(range(1, 10_000))
        scheduler = ManualScheduler()
        made = build_platform(
            Settings(env="test", ivr_flows="chat=bank"),
            uow_factory=SqlUnitOfWorkFactory(database.engine),
            clock=clock,
            scheduler=scheduler,
            new_id=lambda: f"{prefix}{next(counter)}",
        )
        socket = Socket()
        assert made.channels is not None
        made.channels.set_gateway(Channel.CHAT, socket)
        return made, socket, scheduler

    async def say(made: Platform, n: int, text: str) -> str:
        assert made.channels is not None
        inbound = Inbound(Channel.CHAT, (COOKIE,), text, clock.now(), f"chat:tok:{n}")
        receipt = await made.channels.receive(inbound)
        await made.channels.idle()
        assert receipt.contact_id is None or text == "0"
        return receipt.conversation_id

    def last_said(made: Platform, conv_id: str) -> str:
        """The flow's last line in the conversation (the chat socket pushes stored ones)."""
        assert made.channels is not None
        return made.channels.state.conversation(conv_id).messages[-1].text

    async def scenario() -> None:
        first, _, scheduler = platform("a")
        async with first.app.router.lifespan_context(first.app):
            e = first.engine.execute
            await e(c.CreateSite("sh", "上海"))
            await e(c.DefineQueue(QueueSpec("chat", Channel.CHAT, aht_s=120), "sh"))
            await e(c.DefineAgent(AgentSpec("a1", site_id="sh")))
            conv = await say(first, 1, "你好")
            await say(first, 2, "2")
            await say(first, 3, acct.card)
            assert last_said(first, conv) == "Please enter your 6-digit phone PIN."
            due = scheduler.due
            assert due is not None

        clock.advance(30.0)
        again, _, scheduler = platform("b")
        async with again.app.router.lifespan_context(again.app):
            assert scheduler.due == due  # the silence timer came back with the session
            # Only the card's last four were stored: the flow asks for the number again.
            await say(again, 4, acct.pin)
            assert last_said(again, conv) == "Please enter your 16-digit card number."
            await say(again, 5, acct.card)
            await say(again, 6, acct.pin)
            assert last_said(again, conv) == "Please choose a service."
            assert await say(again, 7, "0") == conv

            def contact() -> tuple[ContactState, dict[str, str]]:
                assert again.channels is not None
                contact_id = again.channels.state.contact_of[conv]
                record = again.engine.router.contacts[contact_id]
                return record.state, dict(record.attributes)

            state, attributes = await again.engine.query(lambda _e: contact())
            assert state is ContactState.QUEUED
            assert attributes["ivr.verified.method"] == "account_pin"
            assert attributes["ivr.path"] == "language:2>main:0"
            assert attributes["ivr.slot.account"] == "•••• " + acct.card[-4:]

        # No row of the database holds the full card number or the PIN.
        tables = MetaData(schema=database.schema)
        with database.engine.connect() as conn:
            tables.reflect(bind=conn)
            assert len(tables.sorted_tables) > 5
            for table in tables.sorted_tables:
                for row in conn.execute(table.select()):
                    text = repr(tuple(row))
                    assert acct.card not in text, table.name
                    assert acct.pin not in text, table.name

    asyncio.run(scenario())
