"""What a customer's value tier does to the routing of their contacts, as an admin sets it
(differentiated service by customer value).

The router orders a queue by ``(rank, priority, SL deadline)``, larger rank and priority
first; a contact's ``value_tier`` field in the router *is* that rank. Each tier 1–99 has an
effect, mapped to those two inputs once, when the contact is created (the router's hot
path never reads the configuration; transfers keep the class the contact arrived with):

- ``first`` ("served first", the default): rank = the tier, priority unchanged; every
  waiting contact of a lower tier is served after it, whatever its priority.
- ``boost``: rank 0 (the standard class), priority + ``boost`` (1–100): ahead of the
  standard contacts of the same or lower priority, behind the "served first" tiers.
- ``none``: rank 0 and priority unchanged, as a standard customer.

Tier 0 is the standard class and has no effect to set. When the effect changes what the
router is given, the contact's attributes keep the customer's own tier
(:data:`TIER_ATTRIBUTE`) and the boost applied (:data:`BOOST_ATTRIBUTE`), so reports,
cases, desktops and a hand-over to another domain see the customer's tier, not the rank
(:func:`customer_tier`, :func:`applied_boost`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kefu.domain.errors import ValidationError

__all__ = [
    "BOOST_ATTRIBUTE",
    "EFFECTS",
    "MAX_BOOST",
    "MAX_TIER",
    "TIER_ATTRIBUTE",
    "ContactClass",
    "TierEffect",
    "TierRules",
    "applied_boost",
    "as_given",
    "customer_tier",
]

EFFECTS = ("first", "boost", "none")
"""The routing effects of a tier, in the order the console offers them."""
MAX_TIER = 99
"""The highest tier (the tier labels' codes are 0–99)."""
MAX_BOOST = 100
"""The largest priority boost (a contact's own priority is -100 to 100)."""
TIER_ATTRIBUTE = "value_tier"
"""The contact attribute holding the customer's tier when the router's rank differs."""
BOOST_ATTRIBUTE = "tier_boost"
"""The contact attribute holding the priority added by a ``boost`` effect."""

ContactClass = Callable[[int, int, Mapping[str, str]], tuple[int, int, Mapping[str, str]]]
"""``(tier, priority, attributes) → (rank, priority, attributes)``: what the router is given
for a new contact of a customer of ``tier``."""


def as_given(
    tier: int, priority: int, attributes: Mapping[str, str]
) -> tuple[int, int, Mapping[str, str]]:
    """Every tier served first (the behaviour without configuration): unchanged."""
    return tier, priority, attributes


def _refuse(message: str, key: str, **details: Any) -> ValidationError:
    return ValidationError(message, text_key=key, **details)


@dataclass(frozen=True, slots=True)
class TierEffect:
    """The routing effect of ``tier`` (1–99): ``effect`` one of :data:`EFFECTS`;
    ``boost`` the priority added (1–100) for ``boost``, 0 otherwise."""

    tier: int
    effect: str = "first"
    boost: int = 0

    def __post_init__(self) -> None:
        if type(self.tier) is not int or not 1 <= self.tier <= MAX_TIER:
            raise _refuse(
                f"a tier with a routing effect is 1–{MAX_TIER} (0 is the standard class)",
                "error.tier_number",
                field="tier",
                value=str(self.tier)[:8],
            )
        if self.effect not in EFFECTS:
            raise _refuse(
                f"effect must be one of {', '.join(EFFECTS)}",
                "error.tier_effect",
                field="effect",
                value=str(self.effect)[:16],
            )
        if type(self.boost) is not int:
            raise _refuse("boost must be an integer", "error.tier_boost", field="boost")
        if self.effect == "boost" and not 1 <= self.boost <= MAX_BOOST:
            raise _refuse(
                f"a priority boost is 1–{MAX_BOOST}",
                "error.tier_boost",
                field="boost",
                value=str(self.boost)[:8],
            )
        if self.effect != "boost" and self.boost != 0:
            raise _refuse(
                "only the effect boost takes a boost",
                "error.tier_boost_unused",
                field="boost",
            )

    def routed(self, priority: int) -> tuple[int, int]:
        """The router's ``(rank, priority)`` for a contact of this tier with ``priority``."""
        if self.effect == "first":
            return self.tier, priority
        if self.effect == "boost":
            return 0, priority + self.boost
        return 0, priority

    def to_record(self) -> dict[str, Any]:
        """The JSON form the channel log and the audit log keep."""
        return {"tier": self.tier, "effect": self.effect, "boost": self.boost}

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> TierEffect:
        return cls(int(data["tier"]), str(data["effect"]), int(data.get("boost", 0)))


class TierRules:
    """The effect of each tier (a tier not set is served first): :meth:`classify` is the
    :data:`ContactClass` the engine applies to each new contact."""

    def __init__(self, effects: Mapping[int, TierEffect] | None = None) -> None:
        self.effects: dict[int, TierEffect] = dict(effects or {})

    def effect(self, tier: int) -> TierEffect | None:
        """The effect set for ``tier`` (None: not set, served first; tier 0: standard)."""
        return self.effects.get(tier)

    def classify(
        self, tier: int, priority: int, attributes: Mapping[str, str]
    ) -> tuple[int, int, Mapping[str, str]]:
        effect = self.effects.get(tier)
        stamped = TIER_ATTRIBUTE in attributes or BOOST_ATTRIBUTE in attributes
        if effect is None or effect.effect == "first":
            if not stamped:  # the common case: nothing to record, nothing copied
                return tier, priority, attributes
            rank, routed = tier, priority
        else:
            rank, routed = effect.routed(priority)
        # Attributes a caller sent (a hand-over from another domain) are replaced: they
        # described that domain's effect, not this one's.
        out = {k: v for k, v in attributes.items() if k not in (TIER_ATTRIBUTE, BOOST_ATTRIBUTE)}
        if rank != tier:
            out[TIER_ATTRIBUTE] = str(tier)
        if routed != priority:
            out[BOOST_ATTRIBUTE] = str(routed - priority)
        return rank, routed, out


def customer_tier(rank: int, attributes: Mapping[str, str]) -> int:
    """The customer's tier of a contact the router holds with ``rank``."""
    raw = attributes.get(TIER_ATTRIBUTE)
    if raw is None:
        return rank
    try:
        return int(raw)
    except ValueError:
        return rank


def applied_boost(attributes: Mapping[str, str]) -> int:
    """The priority a ``boost`` effect added to a contact (0: none)."""
    raw = attributes.get(BOOST_ATTRIBUTE)
    if raw is None:
        return 0
    try:
        return int(raw)
    except ValueError:
        return 0
