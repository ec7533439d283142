"""Flow versions survive a restart on the same database: the draft, publication and
rollback records rebuild the catalog (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml
from db_helpers import Database

from kefu.adapters.storage import SqlUnitOfWorkFactory
from kefu.bootstrap import Platform, build_platform
from kefu.config import Settings
from kefu.service.ivr import (
    DraftSaved,
    PublishIvrFlow,
    RollbackIvrFlow,
    SaveIvrDraft,
    flow_detail,
)
from kefu.testing import ManualClock, ManualScheduler

BANK = Path(__file__).resolve().parents[2] / "examples" / "ivr" / "bank.yaml"


def test_given_published_and_rolled_back_versions_when_restarted_then_the_same_catalog(
    database: Database,
) -> None:
    clock = ManualClock(1_800_000_000.0)
    source = BANK.read_text(encoding="utf-8").replace("欢迎致电", "欢迎再次致电")

    def platform() -> Platform:
        return build_platform(
            Settings(env="test"),
            uow_factory=SqlUnitOfWorkFactory(database.engine),
            clock=clock,
            scheduler=ManualScheduler(),
        )

    async def scenario() -> None:
        first = platform()
        async with first.app.router.lifespan_context(first.app):
            e = first.engine.execute
            saved = await e(SaveIvrDraft("bank", yaml.safe_load(source), source))
            assert saved == DraftSaved(version=2, issues=())
            await e(PublishIvrFlow("bank"))
            clock.advance(60.0)
            await e(SaveIvrDraft("bank", yaml.safe_load(source), "third"))
            await e(PublishIvrFlow("bank"))
            await e(RollbackIvrFlow("bank"))
            assert first.ivr is not None
            before = flow_detail(first.ivr.flows, "bank")

        again = platform()
        async with again.app.router.lifespan_context(again.app):
            assert again.ivr is not None
            catalog = again.ivr.catalog
            assert catalog.published("bank").version == 2
            assert "欢迎再次致电" in catalog.published("bank").nodes["welcome"].text["zh"]  # type: ignore[attr-defined]
            assert flow_detail(again.ivr.flows, "bank") == before
            assert before.versions[0].source == "third"
            assert before.changes[-1].kind == "rolled_back"

    asyncio.run(scenario())
