"""The customer's lifetime value (margin-retention formula) and rule-based segment: known
answers by hand, the effect of each history signal, rules read and refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.domain.customers.value import (
    DEFAULT_RULES,
    CustomerFacts,
    SegmentRule,
    ValueModel,
    segment_of,
    top_share,
)
from kefu.domain.errors import KefuError


def facts(**changes: float | int | None) -> CustomerFacts:
    base: dict[str, float | int | None] = {
        "value_tier": 1,
        "age_days": 400.0,
        "contacts_90d": 2,
        "contacts_365d": 5,
        "days_since_contact": 10.0,
        "open_cases": 0,
        "open_complaints": 0,
        "reopened_cases": 0,
        "low_scores_90d": 0,
        "survey_mean": None,
    }
    base.update(changes)
    return CustomerFacts(**base)  # type: ignore[arg-type]


def test_given_a_plain_tier_1_customer_then_clv_is_m_r_over_1_plus_d_minus_r() -> None:
    model = ValueModel()
    # m = 1000, r = 0.8, d = 0.1: 1000 * 0.8 / 0.3
    assert model.clv(facts()) == pytest.approx(2666.6667, abs=1e-3)
    # an open complaint and a low score: r = 0.6 -> 1000 * 0.6 / 0.5
    assert model.clv(facts(open_complaints=1, low_scores_90d=1)) == pytest.approx(1200.0)
    # a happy customer: r = 0.85 -> 1000 * 0.85 / 0.25
    assert model.clv(facts(survey_mean=4.5)) == pytest.approx(3400.0)
    assert model.margin(7) == 5000.0 and model.margin(0) == 200.0


@given(
    st.integers(0, 4),
    st.integers(0, 5),
    st.integers(0, 5),
    st.integers(0, 5),
)
def test_given_more_trouble_then_value_never_rises_and_a_higher_tier_never_lowers_it(
    tier: int, complaints: int, reopened: int, low: int
) -> None:
    model = ValueModel()
    here = facts(value_tier=tier, open_complaints=complaints, reopened_cases=reopened,
                 low_scores_90d=low)  # fmt: skip
    worse = facts(value_tier=tier, open_complaints=complaints + 1, reopened_cases=reopened,
                  low_scores_90d=low)  # fmt: skip
    richer = facts(value_tier=tier + 1, open_complaints=complaints, reopened_cases=reopened,
                   low_scores_90d=low)  # fmt: skip
    assert model.clv(worse) <= model.clv(here) <= model.clv(richer)
    assert 0.05 <= model.retention(worse) <= 0.95 and model.clv(here) > 0


def test_given_the_default_rules_then_the_first_match_names_the_segment() -> None:
    assert segment_of(facts(open_complaints=1)).segment == "at_risk"
    assert segment_of(facts(value_tier=0, open_complaints=1)).segment == "standard"
    assert segment_of(facts(value_tier=2)).segment == "high_value"
    assert segment_of(facts(age_days=3.0)).segment == "new"
    assert segment_of(facts(contacts_90d=8)).segment == "frequent"
    assert segment_of(facts(days_since_contact=200.0)).segment == "dormant"
    assert segment_of(facts(days_since_contact=None)).segment == "standard"
    assert DEFAULT_RULES[0].describe() == "at_risk: value_tier >= 1 and open_complaints >= 1"


def test_given_a_rule_on_an_unknown_fact_or_operator_then_it_is_refused() -> None:
    for bad in (("mood", ">=", 1.0), ("value_tier", "=~", 1.0)):
        with pytest.raises(KefuError) as refused:
            SegmentRule("x", (bad,))
        assert refused.value.error_id == "validation_error"


def test_given_values_then_top_share_is_the_top_fifths_part_of_the_total() -> None:
    assert top_share([100.0] + [1.0] * 9) == pytest.approx(101 / 109)  # top 2 of 10
    assert top_share([5.0, 5.0, 5.0, 5.0, 5.0]) == pytest.approx(0.2)  # top 1 of 5
    assert top_share([3.0]) == 1.0
    assert top_share([]) is None and top_share([0.0, 0.0]) is None


@given(st.lists(st.floats(0.0, 1e6), min_size=1, max_size=50))
def test_given_any_values_then_the_top_share_is_at_least_the_fraction(values: list[float]) -> None:
    share = top_share(values)
    if sum(values) > 0:
        assert share is not None and 0.2 - 1e-9 <= share <= 1.0 + 1e-9
