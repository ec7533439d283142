"""Snapshots of the channel, branch and IVR state parts on SQLite and PostgreSQL: a start
from a snapshot taken mid-way (a chat in the middle of the bank flow, tickets, an SMS
wish) plus the logs' tails holds exactly the state of a start that replays every log; a
snapshot made by other code is ignored, and one whose parts cannot be read leaves those
parts to their whole logs. The snapshot holds no card number or PIN."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import functools
import types
from collections.abc import Mapping
from typing import Any

from db_helpers import Database

from kefu.adapters.ivr.bank_actions import FakeBank
from kefu.adapters.storage import SqlUnitOfWorkFactory
from kefu.adapters.storage.snapshots import SqlSnapshots
from kefu.bootstrap import Platform, build_platform
from kefu.config import Settings
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.channels import Inbound, OutboundReply
from kefu.service.routing import commands as c
from kefu.service.snapshots import (
    Snapshot,
    SnapshotPolicy,
    Snapshotter,
    dump_router,
    fingerprint,
    open_snapshot,
    pickled,
)
from kefu.testing import ManualClock, ManualScheduler

PARTS = ("channels", "ivr_sessions")
NOT_STATE = {"_policy", "_identities_override", "_pending", "_touched", "_log", "_position"}


class Socket:
    def __init__(self) -> None:
        self.sent: list[OutboundReply] = []

    def new_external_id(self) -> str:
        return f"out-{len(self.sent) + 1}"

    async def send(self, reply: OutboundReply) -> None:
        self.sent.append(reply)


def canon(x: Any) -> Any:
    """A comparable form of a state's object graph: mappings and sets sorted, objects by
    their fields, functions left out."""
    if x is None or isinstance(x, str | int | float | bool | bytes):
        return x
    if isinstance(x, enum.Enum):
        return x.value
    if isinstance(x, types.MethodType | types.FunctionType | functools.partial):
        return "<function>"
    if isinstance(x, Mapping):
        return sorted(((canon(k), canon(v)) for k, v in x.items()), key=repr)
    if isinstance(x, set | frozenset):
        return sorted((canon(i) for i in x), key=repr)
    if isinstance(x, list | tuple):
        return [canon(i) for i in x]
    names = set(vars(x)) if hasattr(x, "__dict__") else set()
    for kind in type(x).__mro__:
        names.update(getattr(kind, "__slots__", ()))
    if dataclasses.is_dataclass(x):
        names.update(f.name for f in dataclasses.fields(x))
    names -= NOT_STATE
    return (type(x).__name__, [(n, canon(getattr(x, n))) for n in sorted(names) if hasattr(x, n)])


def digest(platform: Platform) -> Any:
    assert platform.channels is not None and platform.ivr is not None
    sessions = platform.ivr.sessions
    return (
        canon(platform.channels.state),
        canon(sessions.sessions),
        canon(sessions._history),
        sorted(sessions._timers),
    )


def test_given_a_snapshot_mid_way_when_started_from_it_then_the_parts_equal_a_full_replay(
    database: Database,
) -> None:
    clock = ManualClock(1_800_000_000.0)
    acct = next(iter(FakeBank().accounts.values()))

    def platform(prefix: str, snapshots: bool) -> Platform:
        counter = iter(range(1, 10_000))
        keeper = Snapshotter(SqlSnapshots(), SnapshotPolicy(every=0, keep=5))
        made = build_platform(
            Settings(env="test", ivr_flows="chat=bank"),
            uow_factory=SqlUnitOfWorkFactory(database.engine),
            clock=clock,
            scheduler=ManualScheduler(),
            new_id=lambda: f"{prefix}{next(counter)}",
            snapshots=keeper if snapshots else None,
        )
        assert made.channels is not None
        made.channels.set_gateway(Channel.CHAT, Socket())
        made.channels.set_gateway(Channel.BRANCH, Socket())
        return made

    async def say(made: Platform, cookie: str, n: int, text: str) -> None:
        assert made.channels is not None
        who = (Identifier(IdentifierKind.CHAT_COOKIE, cookie),)
        await made.channels.receive(Inbound(Channel.CHAT, who, text, clock.now(), f"{cookie}:{n}"))
        await made.channels.idle()
        clock.advance(1.0)

    async def started(made: Platform) -> tuple[Any, int | None, tuple[str, ...]]:
        async with made.app.router.lifespan_context(made.app):
            snaps = made.engine.snapshots
            return digest(made), snaps and snaps.restored_from, made.engine.parts_restored

    async def scenario() -> None:
        first = platform("a", snapshots=True)
        async with first.app.router.lifespan_context(first.app):
            e = first.engine.execute
            await e(c.CreateSite("sh", "上海"))
            await e(c.DefineQueue(QueueSpec("chat", Channel.CHAT, aht_s=120), "sh"))
            await e(c.DefineQueue(QueueSpec("mobile", Channel.BRANCH, aht_s=300), "sh"))
            await e(c.DefineAgent(AgentSpec("a1", site_id="sh")))
            assert first.channel_site is not None
            branch = first.channel_site.branch
            await say(first, "tok-1", 1, "你好")
            await say(first, "tok-1", 2, "2")
            await say(first, "tok-1", 3, acct.card)  # asked for the PIN: mid-flow
            await say(first, "tok-2", 1, "你好")
            await branch.issue("mobile")
            mine = await branch.issue("mobile", phone="13900001111", name="李女士")
            await branch.sms_instead(mine.contact_id, "13900001111")
            taken = await first.engine.snapshot()
            assert taken is not None
            # The tail: the flow goes on, a new chat starts, a ticket more, a note.
            await say(first, "tok-1", 4, acct.pin)
            await say(first, "tok-3", 1, "你好")
            await say(first, "tok-2", 2, "1")
            await branch.issue("mobile")
        held = [*pickled(taken.data), *open_snapshot(taken.data)[1].values()]
        assert not [data for data in held if acct.card.encode() in data]

        restored, since, parts = await started(platform("b", snapshots=True))
        assert (since, parts) == (taken.seq, PARTS)
        replayed, since, parts = await started(platform("c", snapshots=False))
        assert (since, parts) == (None, ())
        assert restored == replayed

        # Another code's snapshot, newer: ignored. One of this code whose parts cannot
        # be read: the router from it, the parts from their whole logs.
        router, _parts = open_snapshot(taken.data)
        broken = dump_router(router, {"channels": b"not a pickle", "ivr_sessions": b"\x80"})
        factory = SqlUnitOfWorkFactory(database.engine)
        with factory() as uow:
            store = SqlSnapshots()
            store.save(uow, Snapshot(taken.seq + 5, 1.0, "other-code", b"garbage"), keep=5)
            store.save(uow, Snapshot(taken.seq, 2.0, fingerprint(), broken), keep=5)
            uow.commit()
        fallback, since, parts = await started(platform("d", snapshots=True))
        assert (since, parts) == (taken.seq, ())
        assert fallback == replayed

    asyncio.run(scenario())
