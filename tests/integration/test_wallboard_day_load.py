"""The wallboard's start reads today's events only (SQLite and PostgreSQL): the figures
equal those of a fold of the whole log, also for contacts that span midnight (answered,
completed, transferred or still waiting after it), and of the log before the day it reads
only the definitions and those contacts' events."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from db_helpers import Database

from kefu.adapters.storage import SqlUnitOfWorkFactory
from kefu.analytics import RunningKpis
from kefu.bootstrap import routing_engine
from kefu.domain import events as ev
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.engine import RoutingEngine
from kefu.service.ports import StoredEvent
from kefu.service.routing import commands as c
from kefu.service.wallboard.projection import SL_INTERVAL_S, WallboardProjection, day_start
from kefu.testing import ManualClock

MIDNIGHT = 1_780_000_000.0 - 1_780_000_000.0 % 86_400  # a UTC midnight (seconds)


class Day:
    """An engine on ``database`` with a clock the test moves, and a few helpers."""

    def __init__(self, database: Database) -> None:
        self.clock = ManualClock(MIDNIGHT - 3_600.0)  # yesterday, 23:00
        self.engine = routing_engine(SqlUnitOfWorkFactory(database.engine), self.clock)

    async def run(self, *commands: c.Command) -> dict[str, Any]:
        made: dict[str, Any] = {}
        for command in commands:
            made = await self.engine.execute(command)
        return made

    async def served(self, queue_id: str, agent_id: str, wait_s: float) -> str:
        """A contact offered at once to ``agent_id``, answered ``wait_s`` s later (left
        active)."""
        await self.run(c.SetAgentState(agent_id, "ready"))
        made = await self.run(c.CreateContact(queue_id))
        self.clock.advance(wait_s)
        await self.run(c.AcceptOffer(made["contact_id"], made["offer_id"], agent_id))
        return str(made["contact_id"])

    async def done(self, contact_id: str, agent_id: str) -> None:
        await self.run(c.CompleteContact(contact_id), c.SetAgentState(agent_id, "not_ready"))

    async def abandoned(self, queue_id: str, wait_s: float) -> str:
        made = await self.run(c.CreateContact(queue_id))
        self.clock.advance(wait_s)
        await self.run(c.AbandonContact(made["contact_id"]))
        return str(made["contact_id"])

    async def some_traffic(self, rounds: int) -> None:
        for i in range(rounds):
            served = await self.served("voice", "a1", 4.0 + 5 * (i % 3))  # SL 10 s: 2 of 3
            self.clock.advance(30.0)
            await self.done(served, "a1")
            await self.abandoned("voice", 3.0 + 7 * (i % 2))  # short abandons (5 s) and not
            self.clock.advance(20.0)


def _full(engine: RoutingEngine, day: float, log: list[StoredEvent]) -> WallboardProjection:
    """The projection as a fold of the whole log gives it."""
    projection = WallboardProjection(engine, "UTC")
    projection.day = day
    projection.kpis = RunningKpis(SL_INTERVAL_S, start=day)
    projection.consume(log)
    return projection


def test_given_yesterdays_log_when_the_wallboard_loads_then_it_reads_today_and_shows_a_full_fold(
    database: Database,
) -> None:
    async def scenario() -> None:
        day = Day(database)
        engine = day.engine
        await engine.start()
        try:
            await day.run(
                c.CreateSite("sh", "上海"),
                c.DefineQueue(QueueSpec("voice", sl_threshold_s=10.0, short_abandon_s=5.0), "sh"),
                c.DefineQueue(QueueSpec("vip", skills={"vip": 1}, sl_threshold_s=10.0), "sh"),
                c.DefineQueue(QueueSpec("back", skills={"back": 1}), "sh"),
                c.DefineQueue(QueueSpec("chat", Channel.CHAT), "sh"),
                *(c.DefineAgent(AgentSpec(a, site_id="sh")) for a in ("a1", "a2", "a3")),
                c.DefineAgent(AgentSpec("a4", skills={"vip": 1}, site_id="sh")),
            )
            await day.some_traffic(15)  # yesterday: about 20 minutes of it
            # Across midnight: served before it, completed after it; served before it and
            # transferred after it; answered after it; waiting through the load (vip: a4
            # only, who is offline until then).
            day.clock.set(MIDNIGHT - 60.0)
            completed_after = await day.served("voice", "a2", 6.0)
            transferred_after = await day.served("voice", "a3", 3.0)
            day.clock.set(MIDNIGHT - 5.0)
            waiting = (await day.run(c.CreateContact("vip")))["contact_id"]
            answered_after = await day.served("voice", "a1", 9.0)  # 4 s after midnight
            day.clock.advance(2.0)
            await day.done(answered_after, "a1")
            await day.done(completed_after, "a2")
            await day.run(c.TransferContact(transferred_after, to_queue_id="back"))
            await day.run(c.SetAgentState("a3", "not_ready"))
            day.clock.advance(60.0)
            await day.some_traffic(5)  # today
            await day.run(c.UpdateQueue("voice", {"sl_threshold_s": 30.0}))
            await day.some_traffic(3)

            log = await engine.read_store(lambda uow: list(uow.events.read()))
            loaded = WallboardProjection(engine, "UTC")
            engine.subscribe(loaded.consume)
            await loaded.load()
            assert loaded.day == MIDNIGHT == day_start(engine.now(), loaded.zone)
            full = _full(engine, MIDNIGHT, log)
            engine.subscribe(full.consume)

            # Read: the events from midnight on, and before it only the definitions and
            # the events of the four contacts that span it.
            spanning = {completed_after, transferred_after, answered_after, waiting}
            first_today = next(s.seq for s in log if s.event.at >= MIDNIGHT)
            before = [s for s in log if s.seq < first_today]
            needed = [
                s
                for s in before
                if isinstance(s.event, ev.QueueDefined | ev.AgentDefined)
                or getattr(s.event, "contact_id", None) in spanning
            ]
            assert loaded.loaded == len(log) - len(before) + len(needed)
            assert len(before) - len(needed) > 100, "yesterday's log is too short to tell"

            async def shown(projection: WallboardProjection) -> str:
                snapshot = await engine.query(lambda _e: projection.snapshots([None])[None])
                return json.dumps(snapshot.to_json(), sort_keys=True)

            now = await shown(full)
            assert await shown(loaded) == now
            voice = next(q for q in json.loads(now)["queues"] if q["queue_id"] == "voice")
            assert voice["offered"] > 0 and 0 < voice["service_level"] < 1  # figures to compare

            # The contact waiting since yesterday is answered after the load.
            await day.run(c.SetAgentState("a4", "ready"))
            offer = engine.router.contacts[waiting].offer_id
            assert offer is not None
            await day.run(c.AcceptOffer(waiting, offer, "a4"))
            await day.done(waiting, "a4")
            await day.some_traffic(2)
            assert await shown(loaded) == await shown(full)
        finally:
            await engine.stop()

    asyncio.run(scenario())
