"""A value tier's routing effect mapped to the router's inputs (rank, priority): served
first, a priority boost, or none; each bad effect refused by field; the customer's tier
kept in the attributes when the rank differs; and the router serving in that order."""

from __future__ import annotations

from typing import Any

import pytest
from routing_helpers import last_offer, ready_agents

from kefu.domain.errors import ValidationError
from kefu.domain.model import AgentSpec, ContactSpec
from kefu.domain.routing import Router
from kefu.domain.tiers import (
    BOOST_ATTRIBUTE,
    TIER_ATTRIBUTE,
    TierEffect,
    TierRules,
    applied_boost,
    as_given,
    customer_tier,
)

RULES = TierRules(
    {
        1: TierEffect(1, "boost", 2),
        2: TierEffect(2, "none"),
        3: TierEffect(3, "first"),
    }
)
STAMPS_1 = {TIER_ATTRIBUTE: "1", BOOST_ATTRIBUTE: "2"}


@pytest.mark.parametrize(
    ("tier", "priority", "rank", "routed", "stamps"),
    [
        (0, 3, 0, 3, {}),  # the standard class
        (1, 0, 0, 2, STAMPS_1),
        (1, -5, 0, -3, STAMPS_1),
        (2, 4, 0, 4, {TIER_ATTRIBUTE: "2"}),
        (3, 1, 3, 1, {}),
        (4, 1, 4, 1, {}),  # not set: served first, as without configuration
    ],
)
def test_given_tier_effects_when_a_contact_is_classed_then_rank_priority_and_stamps_follow(
    tier: int, priority: int, rank: int, routed: int, stamps: dict[str, str]
) -> None:
    attributes = {"topic": "loan"}
    got_rank, got_priority, got = RULES.classify(tier, priority, attributes)
    assert (got_rank, got_priority) == (rank, routed)
    assert dict(got) == {"topic": "loan", **stamps}
    assert customer_tier(got_rank, got) == tier
    assert got_priority - applied_boost(got) == priority
    assert as_given(tier, priority, attributes) == (tier, priority, attributes)


def test_given_no_effect_to_apply_when_classed_then_the_attributes_are_not_copied() -> None:
    attributes = {"topic": "loan"}
    assert RULES.classify(3, 0, attributes)[2] is attributes
    assert RULES.classify(0, 0, attributes)[2] is attributes


def test_given_stamps_from_another_domain_when_classed_then_this_domains_effect_replaces_them() -> (
    None
):
    sent = {TIER_ATTRIBUTE: "1", BOOST_ATTRIBUTE: "7", "topic": "loan"}
    assert RULES.classify(3, 0, sent) == (3, 0, {"topic": "loan"})
    assert RULES.classify(1, 0, sent) == (0, 2, {"topic": "loan", **STAMPS_1})
    assert RULES.classify(2, 0, sent) == (0, 0, {"topic": "loan", TIER_ATTRIBUTE: "2"})


def test_given_unreadable_stamps_when_read_then_the_router_values_stand() -> None:
    assert customer_tier(2, {TIER_ATTRIBUTE: "gold"}) == 2
    assert applied_boost({BOOST_ATTRIBUTE: "x"}) == 0
    assert customer_tier(2, {}) == 2 and applied_boost({}) == 0


@pytest.mark.parametrize(
    ("args", "field", "key"),
    [
        ((0, "first"), "tier", "error.tier_number"),
        ((100, "first"), "tier", "error.tier_number"),
        (("1", "first"), "tier", "error.tier_number"),
        ((1, "vip"), "effect", "error.tier_effect"),
        ((1, "boost", 0), "boost", "error.tier_boost"),
        ((1, "boost", 101), "boost", "error.tier_boost"),
        ((1, "boost", 1.5), "boost", "error.tier_boost"),
        ((1, "none", 3), "boost", "error.tier_boost_unused"),
        ((1, "first", 3), "boost", "error.tier_boost_unused"),
    ],
)
def test_given_bad_effects_when_made_then_each_is_refused_on_its_field(
    args: tuple[Any, ...], field: str, key: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        TierEffect(*args)
    assert refused.value.details["field"] == field
    assert refused.value.text_key == key


def test_given_an_effect_when_recorded_then_it_reads_back_equal() -> None:
    for effect in RULES.effects.values():
        assert TierEffect.from_record(effect.to_record()) == effect


def test_given_classed_contacts_when_an_agent_frees_then_the_router_serves_by_the_effects(
    router: Router,
) -> None:
    # tier 3 served first; tier 1 (+2) between priority 3 and 1; tier 2 as standard.
    arrivals = [("std3", 0, 3), ("gold", 1, 0), ("std1", 0, 1), ("silver", 2, 0), ("vip", 3, 0)]
    for at, (contact_id, tier, priority) in enumerate(arrivals):
        rank, routed, attributes = RULES.classify(tier, priority, {})
        spec = ContactSpec(contact_id, "billing", rank, routed, attributes=attributes)
        router.enqueue(spec, float(at))
    ready_agents(router, [AgentSpec("a1", {"billing": 5})], now=10.0)
    served = []
    for t in range(11, 21, 2):
        offer = last_offer(router)
        served.append(offer.contact_id)
        router.accept(offer.offer_id, float(t))
        router.complete(offer.contact_id, t + 0.5)
        router.end_wrapup(offer.contact_id, t + 1.0)
    # Without configuration: vip, silver, gold, std3, std1.
    assert served == ["vip", "std3", "gold", "std1", "silver"]
