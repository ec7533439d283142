"""Channel storage on SQLite and PostgreSQL: migration 0003, and customers, conversations,
messages, notes and contacts surviving a restart of the engine and channel service."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import command
from db_helpers import Database
from sqlalchemy import event, inspect

from kefu.adapters.storage import SqlUnitOfWorkFactory, current_revision, head_revision, upgrade
from kefu.adapters.storage.migrate import _config
from kefu.bootstrap import channel_wing, routing_engine
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service import RoutingEngine
from kefu.service.channels import (
    ChannelService,
    ConversationRow,
    Inbound,
    OutboundReply,
    read_conversation,
    read_customer_panel,
)
from kefu.service.routing import commands as c
from kefu.testing import ManualClock, ManualScheduler

CHANNEL_TABLES = {"customer_events", "conversation_events", "conversations", "seen_messages"}
COOKIE = Identifier(IdentifierKind.CHAT_COOKIE, "浏览器-cookie-1")
EMAIL = Identifier(IdentifierKind.EMAIL, "li.na@example.cn")


class Chat:
    """A chat gateway that keeps what it delivers."""

    def __init__(self) -> None:
        self.sent: list[OutboundReply] = []

    def new_external_id(self) -> str:
        return f"out-{len(self.sent) + 1}"

    async def send(self, reply: OutboundReply) -> None:
        self.sent.append(reply)


def _platform(database: Database) -> tuple[RoutingEngine, ChannelService]:
    counter = iter(range(1, 1000))
    engine = routing_engine(
        SqlUnitOfWorkFactory(database.engine),
        ManualClock(1_800_000_000.0),
        scheduler=ManualScheduler(),
        new_id=lambda: f"db{next(counter)}-{id(engine)}",
    )
    return engine, channel_wing(engine, gateways={Channel.CHAT: Chat()})


def test_given_the_head_revision_when_downgraded_to_0002_then_only_later_tables_go(
    database: Database,
) -> None:
    assert set(inspect(database.engine).get_table_names()) >= CHANNEL_TABLES
    assert current_revision(database.engine) == head_revision()
    command.downgrade(_config(database.engine), "0002")
    left = set(inspect(database.engine).get_table_names())
    assert not CHANNEL_TABLES & left and {"users", "events"} <= left
    upgrade(database.engine)
    assert set(inspect(database.engine).get_table_names()) >= CHANNEL_TABLES


def test_given_conversations_when_the_platform_restarts_then_they_come_back_whole(
    database: Database,
) -> None:
    async def first_run() -> tuple[str, str, dict[str, Any], dict[str, Any]]:
        engine, channels = _platform(database)
        await engine.start()
        await channels.start()
        await engine.execute(c.CreateSite("gz", "广州"))
        await engine.execute(c.DefineQueue(QueueSpec("chat", Channel.CHAT), "gz"))
        await engine.execute(c.DefineAgent(AgentSpec("a1", site_id="gz")))
        await engine.execute(c.SetAgentState("a1", "ready"))
        made = await channels.receive(
            Inbound(
                Channel.CHAT,
                (COOKIE,),
                "你好，我想改套餐",
                1.0,
                "chat:1",
                sender_name="李娜",
                claimed=(EMAIL,),
            )
        )
        contact = engine.router.contacts[made.contact_id or ""]
        await engine.execute(c.AcceptOffer(contact.contact_id, contact.offer_id or "", "a1"))
        await channels.reply("a1", made.conversation_id, "好的，请稍等")
        await channels.note("a1", made.conversation_id, "老客户")
        await asyncio.sleep(0.05)  # the delivery record
        view = await channels.read(
            lambda e, s: read_conversation(s, e.router, made.conversation_id).to_json()
        )
        panel = await channels.read(
            lambda e, s: read_customer_panel(s, e.router, made.customer_id).to_json()
        )
        await channels.stop()
        await engine.stop()
        return made.conversation_id, made.customer_id, view, panel

    async def second_run(conv_id: str, customer_id: str) -> tuple[dict[str, Any], ...]:
        engine, channels = _platform(database)
        await engine.start()
        await channels.start()
        view = await channels.read(lambda e, s: read_conversation(s, e.router, conv_id).to_json())
        panel = await channels.read(
            lambda e, s: read_customer_panel(s, e.router, customer_id).to_json()
        )
        joined = await channels.receive(
            Inbound(Channel.CHAT, (COOKIE,), "谢谢", 2.0, "chat:2", sender_name="李娜")
        )
        await channels.stop()
        await engine.stop()
        assert joined.joined and joined.conversation_id == conv_id
        return view, panel

    conv_id, customer_id, view, panel = asyncio.run(first_run())
    assert [m["text"] for m in view["messages"]] == ["你好，我想改套餐", "好的，请稍等"]
    assert view["messages"][1]["delivery"] == "sent"
    again, panel_again = asyncio.run(second_run(conv_id, customer_id))
    assert again == view
    assert panel_again == panel
    assert {i["value"] for i in panel["identifiers"]} == {"浏览器-cookie-1", "li.na@example.cn"}
    with SqlUnitOfWorkFactory(database.engine)() as uow:
        row = uow.channels.conversation(conv_id)
    assert row is not None and row.messages == 3 and row.contact_id is not None


def test_given_seen_message_keys_then_claims_are_once_only_and_released_keys_pass(
    database: Database,
) -> None:
    factory = SqlUnitOfWorkFactory(database.engine)
    with factory() as uow:
        assert uow.channels.claim_seen("sms:p:1", 10.0)
        assert not uow.channels.claim_seen("sms:p:1", 11.0)
        uow.commit()
    with factory() as uow:
        assert not uow.channels.claim_seen("sms:p:1", 12.0)
        uow.channels.release_seen("sms:p:1")
        assert uow.channels.claim_seen("sms:p:1", 13.0)
        assert uow.channels.claim_seen("sms:p:2", 5.0)
        assert uow.channels.purge_seen(before=10.0) == 1
        uow.commit()


def test_given_one_group_commit_when_commands_touch_conversations_then_one_statement_writes_them(
    database: Database,
) -> None:
    def row(conv_id: str, messages: int, outcome: str | None = None) -> ConversationRow:
        return ConversationRow(conv_id, "cust-1", "chat", None, 10.0, 10.0 + messages,
                               None, outcome, None, messages)  # fmt: skip

    statements: list[str] = []
    event.listen(database.engine, "after_cursor_execute", lambda *a: statements.append(str(a[2])))
    factory = SqlUnitOfWorkFactory(database.engine)
    with factory() as uow:  # three commands: a new conversation, it again, another new one
        uow.channels.upsert_conversations([row("conv-a", 1)])
        uow.channels.upsert_conversations([row("conv-a", 2)])
        assert uow.channels.conversation("conv-a") == row("conv-a", 2)
        uow.channels.upsert_conversations([row("conv-b", 1)])
        uow.commit()
    assert sum("conversations" in s for s in statements) == 1
    with factory() as uow:  # an existing row is updated
        uow.channels.upsert_conversations([row("conv-a", 3, "resolved")])
        uow.commit()
    with factory() as uow:
        assert uow.channels.conversation("conv-a") == row("conv-a", 3, "resolved")
        assert uow.channels.conversation("conv-b") == row("conv-b", 1)
