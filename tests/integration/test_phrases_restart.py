"""The desktops' words across a restart on the same database (SQLite and PostgreSQL): the
phrase stream of the channel log restores every change over the shipped defaults, and a
refused change leaves nothing behind; a site's new time zone is stored."""

from __future__ import annotations

import asyncio

import pytest
from db_helpers import Database

from kefu.adapters.storage import SqlUnitOfWorkFactory
from kefu.bootstrap import Platform, build_platform
from kefu.config import Settings
from kefu.domain.errors import ValidationError
from kefu.domain.model import Channel, QueueSpec
from kefu.service.desktop import DefinePhrase, PhraseBook
from kefu.service.routing import commands as c
from kefu.testing import ManualClock, ManualScheduler


def test_given_changed_words_when_the_platform_restarts_then_the_desktops_keep_them(
    database: Database,
) -> None:
    clock = ManualClock(1_772_762_400.0)

    def platform() -> Platform:
        return build_platform(
            Settings(env="test"),
            uow_factory=SqlUnitOfWorkFactory(database.engine),
            clock=clock,
            scheduler=ManualScheduler(),
        )

    def book(p: Platform) -> PhraseBook:
        assert p.channel_site is not None
        return p.channel_site.desktops.phrases

    async def scenario() -> None:
        first = platform()
        async with first.app.router.lifespan_context(first.app):
            e = first.engine.execute
            await e(c.CreateSite("sh", "上海"))
            await e(c.UpdateSite("sh", timezone="Asia/Urumqi"))
            await e(c.DefineQueue(QueueSpec("loans", Channel.CHAT), "sh"))
            texts = {"en": "Hi {customer}", "zh": "{customer}您好"}
            await e(DefinePhrase("canned", "hi", texts, ("loans",), create=True))
            await e(DefinePhrase("reason", "lunch", {"en": "Lunch", "zh": "午饭"}, active=False))
            with pytest.raises(ValidationError):
                await e(DefinePhrase("canned", "bad", {"en": "x", "zh": "y"}, ("nowhere",)))
            before = book(first).vocabulary()
        second = platform()
        async with second.app.router.lifespan_context(second.app):
            assert second.engine.sites["sh"].timezone == "Asia/Urumqi"
            after = book(second).vocabulary()
            assert after == before
            assert [p.code for p in after.canned][-1] == "hi"
            assert after.canned[-1].queues == ("loans",)
            assert "lunch" not in {p.code for p in after.reasons}
            assert book(second).get("reason", "lunch") is not None
            assert book(second).get("canned", "bad") is None

    asyncio.run(scenario())
