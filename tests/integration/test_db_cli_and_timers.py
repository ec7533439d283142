"""``kefu db upgrade`` / ``kefu db current`` on a SQLite file, and the live asyncio timer
driver expiring an offer on its own."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kefu.adapters.clock import SystemClock
from kefu.adapters.scheduler import AsyncioScheduler
from kefu.adapters.storage import head_revision
from kefu.bootstrap import routing_engine
from kefu.cli import app
from kefu.config import get_settings
from kefu.domain import events as ev
from kefu.domain.model import AgentSpec, QueueSpec
from kefu.domain.routing import RouterConfig
from kefu.service import commands as c
from kefu.testing import InMemoryUnitOfWorkFactory


def test_given_a_new_file_when_db_current_then_upgrade_then_current(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEFU_DB_PATH", str(tmp_path / "cli.sqlite3"))
    monkeypatch.delenv("KEFU_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        before = runner.invoke(app, ["db", "current"])
        assert before.exit_code == 1 and "kefu db upgrade" in before.output
        done = runner.invoke(app, ["db", "upgrade"])
        assert done.exit_code == 0 and head_revision() in done.output
        again = runner.invoke(app, ["db", "upgrade"])
        assert again.exit_code == 0 and "already" in again.output
        after = runner.invoke(app, ["db", "current"])
        assert after.exit_code == 0 and "up to date" in after.output
    finally:
        get_settings.cache_clear()


def test_given_the_asyncio_scheduler_when_an_offer_is_ignored_then_it_times_out_alone() -> None:
    async def scenario() -> list[str]:
        clock = SystemClock()
        scheduler = AsyncioScheduler(clock)
        store = InMemoryUnitOfWorkFactory()
        engine = routing_engine(
            store, clock, scheduler=scheduler, config=RouterConfig(offer_timeout_s=0.2)
        )
        scheduler.bind(engine.tick)
        await engine.start()
        await engine.execute(c.CreateSite("s", "s"))
        await engine.execute(c.DefineQueue(QueueSpec("q"), "s"))
        await engine.execute(c.DefineAgent(AgentSpec("a1", site_id="s")))
        await engine.execute(c.SetAgentState("a1", "ready"))
        await engine.execute(c.CreateContact("q"))
        assert scheduler.due is not None
        for _ in range(50):  # nobody calls tick: the scheduler must
            await asyncio.sleep(0.05)
            if any(isinstance(s.event, ev.OfferTimedOut) for s in store.store.events):
                break
        scheduler.close()
        await engine.stop()
        return [type(s.event).__name__ for s in store.store.events]

    names = asyncio.run(scenario())
    assert names[-2:] == ["OfferTimedOut", "AgentStateChanged"]
