"""The value tiers' routing effects as data an admin changes (the tiers' labels are
phrases: :mod:`~kefu.service.desktop.phrases`).

A change is the command :class:`SetTierEffect`; its handler checks it
(:class:`~kefu.domain.tiers.TierEffect`), records it in the ``tier`` stream of the channel
log and in the audit log (who, when, before and after). :class:`TierBook` is a part of the
engine's transaction: loading replays the stream, so a restart routes as before; the
engine's :attr:`contact_class` is the book's, so the next contact created is routed by the
new effect (contacts already waiting keep the class they arrived with).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kefu.domain.tiers import TierEffect, TierRules
from kefu.service.channels.ports import ChannelRecord
from kefu.service.commands import Command
from kefu.service.ports import UnitOfWork
from kefu.service.transaction import Handler, Transaction

__all__ = ["TIER_STREAM", "SetTierEffect", "TierBook"]

TIER_STREAM = "tier"
Log = Callable[[float, str, str, str, dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class SetTierEffect(Command):
    """Set the routing effect of value tier ``tier`` (1–99): ``first`` (served before the
    lower tiers), ``boost`` (the standard class with ``boost``, 1–100, added to the
    priority) or ``none`` (as a standard customer)."""

    tier: int
    effect: str
    boost: int = 0


class TierBook:
    """The tiers' effects: the ``tier`` stream of the channel log (``log_record``), the last
    record of each tier winning."""

    def __init__(self, log_record: Log) -> None:
        self._log = log_record
        self.rules = TierRules()

    def handlers(self) -> dict[type[Command], Handler]:
        return {SetTierEffect: self.set}

    def contact_class(
        self, tier: int, priority: int, attributes: Mapping[str, str]
    ) -> tuple[int, int, Mapping[str, str]]:
        """The engine's :data:`~kefu.domain.tiers.ContactClass` (the rules of now)."""
        return self.rules.classify(tier, priority, attributes)

    async def set(self, tx: Transaction, cmd: SetTierEffect) -> dict[str, Any]:
        effect = TierEffect(cmd.tier, cmd.effect, cmd.boost)  # ValidationError: 422
        before = self.effect(cmd.tier)
        self.rules.effects[effect.tier] = effect
        data = effect.to_record()
        key = str(effect.tier)
        self._log(tx.now, TIER_STREAM, "set", key, data)
        tx.audit("tier.update", "tier", key, None, before.to_record(), data)
        return data

    # -- views ---------------------------------------------------------------------------
    def effect(self, tier: int) -> TierEffect:
        """The effect of ``tier`` (1–99): the one set, else served first."""
        return self.rules.effect(tier) or TierEffect(tier)

    def effects(self, tiers: Iterable[int]) -> list[TierEffect]:
        """The effect of each of ``tiers`` (tier 0, the standard class, left out)."""
        return [self.effect(t) for t in tiers if t >= 1]

    # -- the state part ------------------------------------------------------------------
    def fetch(self, uow: UnitOfWork) -> list[ChannelRecord]:
        return [r for r in uow.channels.read() if r.stream == TIER_STREAM]

    def load(self, records: Iterable[ChannelRecord]) -> None:
        """Each recorded effect in ``seq`` order (the last of a tier wins)."""
        self.rules = TierRules()
        for record in records:
            effect = TierEffect.from_record(record.data)
            self.rules.effects[effect.tier] = effect

    def reconcile(self, router: Any, now: float) -> None:
        del router, now  # the effects need no reconciling with the router

    def take_writes(self) -> list[Callable[[UnitOfWork], None]]:
        return []  # the records go with the channel log's
