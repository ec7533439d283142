"""The customer's value and segment (seeds 002 and 003: think in customer lifetime value;
segment by activity, status and value), from what the center itself knows of the customer:
its value tier, its contacts on every channel, its cases and its survey answers.

**Lifetime value.** The margin-retention formula (Gupta and Lehmann, *Customers as
Assets*, 2003), for an infinite horizon with margins at the end of each year::

    CLV = m · r / (1 + d − r)

``m`` is the yearly margin of the customer's value tier (:attr:`ValueModel.margins`, in the
center's currency; the center has no purchase data, so the tier stands for it), ``d`` the
yearly discount rate, and ``r`` the yearly retention, estimated from the base retention
adjusted by the customer's recent history (:meth:`ValueModel.retention`): each open
complaint −0.10, each reopened case −0.05 (at most three), each low survey score (≤ 2)
in the last 90 days −0.10, a mean survey score of 4 or more +0.05; kept in [0.05, 0.95].

**Segment.** The first :class:`SegmentRule` whose conditions all hold names the segment;
the rules are data (an admin reads them with :meth:`SegmentRule.describe`), the last one
catches everyone. Times are seconds.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType

from kefu.domain.errors import ValidationError

__all__ = [
    "DEFAULT_RULES",
    "METHOD",
    "CustomerFacts",
    "SegmentRule",
    "ValueModel",
    "segment_of",
    "top_share",
]

DAY_S = 86_400.0
METHOD = "CLV = m * r / (1 + d - r)"
_OPS: Mapping[str, Callable[[float, float], bool]] = MappingProxyType(
    {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}
)


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    """What the rules and the formula read of one customer at an instant.
    ``days_since_contact`` is ``None`` without any contact; ``survey_mean`` without any
    answer; ``age_days`` counts from the customer's creation."""

    value_tier: int
    age_days: float
    contacts_90d: int
    contacts_365d: int
    days_since_contact: float | None
    open_cases: int
    open_complaints: int
    reopened_cases: int
    low_scores_90d: int
    survey_mean: float | None

    def get(self, name: str) -> float | None:
        value = getattr(self, name)
        return None if value is None else float(value)


_FACTS = frozenset(f.name for f in fields(CustomerFacts))


@dataclass(frozen=True, slots=True)
class SegmentRule:
    """``segment`` when every condition ``fact op value`` holds (a fact that is ``None``
    fails its condition); no conditions: always."""

    segment: str
    conditions: tuple[tuple[str, str, float], ...] = ()

    def __post_init__(self) -> None:
        for fact, op, _value in self.conditions:
            if fact not in _FACTS or op not in _OPS:
                raise ValidationError(
                    f"a segment rule compares a customer fact ({', '.join(sorted(_FACTS))}) "
                    f"with {', '.join(_OPS)}: not {fact} {op}",
                    text_key="error.segment_rule",
                    fact=fact,
                    op=op,
                )

    def matches(self, facts: CustomerFacts) -> bool:
        for fact, op, value in self.conditions:
            seen = facts.get(fact)
            if seen is None or not _OPS[op](seen, value):
                return False
        return True

    def describe(self) -> str:
        """The rule as an admin reads it: ``at_risk: value_tier >= 1 and open_complaints >= 1``."""
        when = " and ".join(f"{f} {op} {v:g}" for f, op, v in self.conditions) or "always"
        return f"{self.segment}: {when}"


DEFAULT_RULES: tuple[SegmentRule, ...] = (
    SegmentRule("at_risk", (("value_tier", ">=", 1), ("open_complaints", ">=", 1))),
    SegmentRule("at_risk", (("value_tier", ">=", 1), ("low_scores_90d", ">=", 1))),
    SegmentRule("high_value", (("value_tier", ">=", 2),)),
    SegmentRule("new", (("age_days", "<", 30),)),
    SegmentRule("frequent", (("contacts_90d", ">=", 6),)),
    SegmentRule("dormant", (("days_since_contact", ">=", 180),)),
    SegmentRule("standard"),
)
"""At risk: a valuable customer with an open complaint or a low score (call them back);
high value: tier 2 and up (human service, current offers); new; frequent contacts (guide
to self-service); dormant; everyone else standard."""


def segment_of(facts: CustomerFacts, rules: tuple[SegmentRule, ...] = DEFAULT_RULES) -> SegmentRule:
    """The first rule that matches (the last rule should have no conditions)."""
    for rule in rules:
        if rule.matches(facts):
            return rule
    return SegmentRule("standard")


@dataclass(frozen=True, slots=True)
class ValueModel:
    """The formula's inputs: yearly margin per value tier (a tier above the highest
    listed takes the highest's), base yearly retention and yearly discount rate."""

    margins: Mapping[int, float] = field(
        default_factory=lambda: MappingProxyType({0: 200.0, 1: 1_000.0, 2: 5_000.0})
    )
    base_retention: float = 0.80
    discount: float = 0.10

    def margin(self, tier: int) -> float:
        known = [t for t in self.margins if t <= tier]
        return float(self.margins[max(known)] if known else min(self.margins.values()))

    def retention(self, facts: CustomerFacts) -> float:
        r = self.base_retention
        r -= 0.10 * facts.open_complaints
        r -= 0.05 * min(facts.reopened_cases, 3)
        r -= 0.10 * facts.low_scores_90d
        if facts.survey_mean is not None and facts.survey_mean >= 4:
            r += 0.05
        return min(0.95, max(0.05, r))

    def clv(self, facts: CustomerFacts) -> float:
        """The lifetime value (the module's formula), in the margins' currency."""
        m, r, d = self.margin(facts.value_tier), self.retention(facts), self.discount
        return m * r / (1 + d - r)


def top_share(values: Iterable[float], fraction: float = 0.2) -> float | None:
    """The share of the total held by the top ``fraction`` of the values (at least one;
    the 80/20 view: 0.8 when a fifth of the customers hold four fifths of the value);
    ``None`` when the total is not positive."""
    ranked = sorted(values, reverse=True)
    total = sum(ranked)
    if not ranked or total <= 0:
        return None
    top = max(1, math.ceil(fraction * len(ranked) - 1e-9))
    return sum(ranked[:top]) / total
