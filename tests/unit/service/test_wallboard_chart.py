"""The wallboard's chart is rebuilt at most every CHART_S seconds while the figures are
fresh at every snapshot."""

from __future__ import annotations

import asyncio

from test_routing_engine import Center

from kefu.service.routing import commands as c
from kefu.service.wallboard import QueueFigures, WallboardSnapshot
from kefu.service.wallboard.projection import CHART_S, WallboardProjection


def test_given_snapshots_within_chart_s_then_figures_move_and_the_chart_waits() -> None:
    async def scenario() -> None:
        center = Center()
        await center.setup()
        projection = WallboardProjection(center.engine, "UTC")
        center.engine.subscribe(projection.consume)
        await projection.load()
        await center.engine.execute(c.SetAgentState("a1", "ready"))

        def snapshot() -> WallboardSnapshot:
            return projection.snapshots([None])[None]

        first = await center.engine.query(lambda _e: snapshot())
        made = await center.engine.execute(c.CreateContact("voice"))
        await center.engine.execute(c.AcceptOffer(made["contact_id"], made["offer_id"], "a1"))
        center.clock.advance(CHART_S / 2)
        soon = await center.engine.query(lambda _e: snapshot())
        voice = soon.queue("voice").today
        assert voice.offered == 1 and voice.answered == 1  # the figures moved
        assert soon.history == first.history  # the chart did not, yet
        center.clock.advance(CHART_S)
        later = await center.engine.query(lambda _e: snapshot())
        assert later.history.sl[-1][1] == 1.0
        assert later.history != first.history

    asyncio.run(scenario())


def test_given_a_contact_ringing_at_minute_one_then_sl_today_waits_for_its_outcome() -> None:
    async def scenario() -> None:
        center = Center()
        await center.setup()
        projection = WallboardProjection(center.engine, "UTC")
        center.engine.subscribe(projection.consume)
        await projection.load()
        await center.engine.execute(c.SetAgentState("a1", "ready"))
        made = await center.engine.execute(c.CreateContact("voice"))  # offered to a1: ringing
        center.clock.advance(5.0)

        def voice() -> QueueFigures:
            return projection.snapshots([None])[None].queue("voice")

        ringing = await center.engine.query(lambda _e: voice())
        assert (ringing.today.offered, ringing.today.service_level) == (1, None)  # not 0 %
        await center.engine.execute(c.AcceptOffer(made["contact_id"], made["offer_id"], "a1"))
        answered = await center.engine.query(lambda _e: voice())
        assert answered.today.service_level == 1.0

    asyncio.run(scenario())
