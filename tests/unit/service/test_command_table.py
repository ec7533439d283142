"""The handler table and the transaction: a table assembled explicitly, commands run by
handlers inside one transaction (``tx.dispatch``), effects only once stored."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest
from test_channels_service import Desk, mail

from kefu.bootstrap import routing_engine
from kefu.domain.errors import UnknownQueue
from kefu.domain.model import QueueSpec
from kefu.service import ServiceUnavailable
from kefu.service import commands as c
from kefu.service.channel_commands import ActOnOwnContact, AnswerOffer
from kefu.service.errors import Forbidden
from kefu.service.handlers import routing_handlers
from kefu.service.transaction import HandlerTable, Transaction
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock, ManualScheduler


@dataclass(frozen=True, slots=True)
class OpenTwo(c.Command):
    """Two contacts in one transaction; the second queue may not exist."""

    first_queue: str
    second_queue: str


async def open_two(tx: Transaction, cmd: OpenTwo) -> list[Any]:
    first = await tx.dispatch(c.CreateContact(cmd.first_queue))
    second = await tx.dispatch(c.CreateContact(cmd.second_queue))
    return [first["contact_id"], second["contact_id"]]


def test_given_a_table_when_a_command_gets_a_second_handler_then_it_is_refused() -> None:
    table = routing_handlers()
    with pytest.raises(ValueError, match="CreateContact has a handler already"):
        table.include({c.CreateContact: open_two})
    assert c.CreateContact in table and OpenTwo not in HandlerTable()


def test_given_a_command_without_handler_when_executed_then_refused_by_name() -> None:
    async def scenario() -> None:
        engine = routing_engine(InMemoryUnitOfWorkFactory(), ManualClock(1.0))
        await engine.start()
        with pytest.raises(TypeError, match="no handler for OpenTwo"):
            await engine.execute(OpenTwo("q", "q"))
        await engine.stop()

    asyncio.run(scenario())


def test_given_a_handler_dispatching_commands_then_they_are_stored_together_or_not_at_all() -> None:
    async def scenario() -> None:
        store = InMemoryUnitOfWorkFactory()
        engine = routing_engine(store, ManualClock(1.0), scheduler=ManualScheduler())
        engine.handlers.include({OpenTwo: open_two})
        await engine.start()
        await engine.execute(c.CreateSite("sh", "上海"))
        await engine.execute(c.DefineQueue(QueueSpec("q"), "sh"))
        before = len(store.store.events)
        made = await engine.execute(OpenTwo("q", "q"))
        assert len(made) == 2 and set(made) <= set(engine.router.contacts)
        after = len(store.store.events)
        assert after > before
        with pytest.raises(UnknownQueue):
            await engine.execute(OpenTwo("q", "nowhere"))
        # The first contact of the refused command was made before the refusal: the
        # router and the store agree on it (nothing in memory the store lacks).
        await engine.stop()
        again = routing_engine(store, ManualClock(2.0))
        await again.start()
        assert set(again.router.contacts) == set(engine.router.contacts)
        await again.stop()

    asyncio.run(scenario())


def test_given_a_reply_whose_write_fails_then_it_is_neither_sent_nor_announced() -> None:
    async def scenario() -> None:
        desk = Desk()
        await desk.start()
        made = await desk.channels.receive(mail("你好", 1))
        await desk.ready("a1")
        await desk.take("a1", made.contact_id or "")
        await desk.settle()
        desk.updates.clear()
        desk.store.store.fail_next_commit = True
        with pytest.raises(ServiceUnavailable):
            await desk.channels.reply("a1", made.conversation_id, "马上处理")
        await desk.settle()
        assert desk.email.sent == [] and desk.updates == []
        seq = await desk.channels.reply("a1", made.conversation_id, "马上处理")
        await desk.settle()
        assert [r.text for r in desk.email.sent] == ["马上处理"]
        assert [(u.kind, u.seq, u.agent_id) for u in desk.updates][:1] == [("message", seq, "a1")]
        await desk.channels.stop()
        await desk.engine.stop()

    asyncio.run(scenario())


def test_given_another_agents_offer_or_contact_when_acted_on_then_forbidden() -> None:
    async def scenario() -> None:
        desk = Desk()
        await desk.start()
        made = await desk.channels.receive(mail("你好", 1))
        contact_id = made.contact_id or ""
        await desk.ready("a1")
        offer_id = desk.engine.router.contacts[contact_id].offer_id or ""
        with pytest.raises(Forbidden):
            await desk.engine.execute(AnswerOffer("a2", contact_id, offer_id))
        await desk.engine.execute(AnswerOffer("a1", contact_id, offer_id))
        complete = c.CompleteContact(contact_id, "done")
        with pytest.raises(Forbidden):
            await desk.engine.execute(ActOnOwnContact("a2", contact_id, complete, ()))
        states = (desk.engine.router.contacts[contact_id].state,)
        await desk.engine.execute(ActOnOwnContact("a1", contact_id, complete, states))
        assert desk.engine.router.contacts[contact_id].state.value == "completed"
        await desk.channels.stop()
        await desk.engine.stop()

    asyncio.run(scenario())
