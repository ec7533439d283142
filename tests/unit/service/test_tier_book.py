"""The value tiers' routing effects as a command: a change is audited with before and after,
routes the contacts created after it (those waiting keep their place), survives a restart
through the channel log, and a refusal changes nothing; views, cases and a hand-over see
the customer's tier, not the router's rank."""

from __future__ import annotations

import asyncio

import pytest

from kefu.adapters.cluster.handover import _creation
from kefu.bootstrap import Platform, build_platform, build_test
from kefu.config import Settings
from kefu.domain.errors import ValidationError
from kefu.domain.model import Channel, QueueSpec
from kefu.service.cases import OpenCase
from kefu.service.desktop import SetTierEffect, TierBook
from kefu.service.routing import commands as c
from kefu.service.routing import views
from kefu.service.security import AuditFilter
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock, ManualScheduler


def _restarted(store: InMemoryUnitOfWorkFactory) -> Platform:
    """A second server on the same store (its contact ids r1, r2, ...)."""
    counter = iter(range(1, 1 << 30))
    return build_platform(
        Settings(env="test"),
        uow_factory=store,
        clock=ManualClock(1_700_000_100.0),
        scheduler=ManualScheduler(),
        new_id=lambda: f"r{next(counter)}",
    )


def _tiers(platform: Platform) -> TierBook:
    assert platform.channel_site is not None
    return platform.channel_site.desktops.tiers


async def _contact(platform: Platform, tier: int, priority: int = 0) -> str:
    made = await platform.engine.execute(
        c.CreateContact("loans", value_tier=tier, priority=priority)
    )
    return str(made["contact_id"])


def _waiting(platform: Platform) -> list[str]:
    page = views.waiting_contacts(platform.engine, "loans")
    return [str(item["contact_id"]) for item in page.items]


def test_given_tier_effects_when_contacts_arrive_then_the_queue_serves_them_by_the_effects() -> (
    None
):
    store = InMemoryUnitOfWorkFactory()
    platform = build_test(uow_factory=store)
    e = platform.engine.execute

    async def scenario() -> None:
        await platform.engine.start()
        await e(c.CreateSite("sh", "上海"))
        await e(c.DefineQueue(QueueSpec("loans", Channel.CHAT, priority=10), "sh"))
        before = await _contact(platform, 1)  # tier 1 served first: today's behaviour
        await e(SetTierEffect(1, "boost", 2))
        await e(SetTierEffect(2, "none"))
        std3 = await _contact(platform, 0, 3)
        gold = await _contact(platform, 1)
        std1 = await _contact(platform, 0, 1)
        silver = await _contact(platform, 2)
        vip = await _contact(platform, 3)
        assert _waiting(platform) == [vip, before, std3, gold, std1, silver]
        shown = views.contact_view(platform.engine, gold)
        assert (shown["value_tier"], shown["rank"], shown["priority"]) == (1, 0, 12)
        shown = views.contact_view(platform.engine, vip)
        assert (shown["value_tier"], shown["rank"], shown["priority"]) == (3, 3, 10)
        # A case opened from the contact and a hand-over carry the customer's tier and
        # their own priority (the queue's and the boost are this domain's).
        case = await e(OpenCase("inquiry", "利率", by="a1", site_id="sh", contact_id=gold))
        assert case.value_tier == 1
        await e(c.DefineQueue(QueueSpec("cards", Channel.CHAT), "sh"))
        sent = _creation(platform.engine, gold, "cards", "", "bj")
        assert (sent.value_tier, sent.priority) == (1, 0)

        entries, _ = platform.security.audit_page(AuditFilter(action="tier."), 10)
        first = next(x for x in entries if x.target_id == "1")
        assert first.before == {"tier": 1, "effect": "first", "boost": 0}
        assert first.after == {"tier": 1, "effect": "boost", "boost": 2}
        await e(SetTierEffect(1, "none"))
        entries, _ = platform.security.audit_page(AuditFilter(action="tier."), 10)
        assert entries[0].before == {"tier": 1, "effect": "boost", "boost": 2}
        await platform.engine.stop()

        again = _restarted(store)
        await again.engine.start()
        assert _tiers(again).effect(1).effect == "none"
        assert _tiers(again).effect(2).effect == "none"
        assert _tiers(again).effect(3).effect == "first"
        assert _waiting(again) == [vip, before, std3, gold, std1, silver]
        late = await _contact(again, 1, 2)
        assert _waiting(again)[-3:] == [late, std1, silver]  # priority 2, as standard
        await again.engine.stop()

    asyncio.run(scenario())


REFUSED = [
    (SetTierEffect(0, "first"), "tier"),
    (SetTierEffect(100, "none"), "tier"),
    (SetTierEffect(1, "vip"), "effect"),
    (SetTierEffect(1, "boost"), "boost"),
    (SetTierEffect(1, "boost", 500), "boost"),
    (SetTierEffect(1, "none", 5), "boost"),
]


def test_given_bad_effects_when_set_then_each_is_refused_by_field_and_nothing_changes() -> None:
    platform = build_test()

    async def scenario() -> None:
        await platform.engine.start()
        await platform.engine.execute(SetTierEffect(1, "boost", 3))
        for command, field in REFUSED:
            with pytest.raises(ValidationError) as refused:
                await platform.engine.execute(command)
            assert refused.value.details["field"] == field, command
            assert (refused.value.text_key or "").startswith("error.tier_"), command
        assert _tiers(platform).rules.effects == {1: _tiers(platform).effect(1)}
        assert _tiers(platform).effect(1).boost == 3
        entries, _ = platform.security.audit_page(AuditFilter(action="tier."), 10)
        assert len(entries) == 1
        await platform.engine.stop()

    asyncio.run(scenario())
