"""Idempotency keys between the store and the engine's lock.

A contact created with an ``Idempotency-Key`` must be looked up in the store first (a
retry may come after a restart). That read takes a database round trip, so it is made
*before* the engine's lock (:class:`KeyProbe`); under the lock the engine then only needs
to know whether the key was staged or committed while the read was on its way. The
:class:`KeyLedger` answers that: keys staged and not yet stored, keys committed lately
(with the number of the commit), and when it cannot vouch for a probe (it forgot keys
committed after the probe began, or the engine was rebuilt from the store since) it says
so, and the key is read again under the lock.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from kefu.service.ports import IdempotencyRecord

__all__ = ["UNSETTLED", "KeyLedger", "KeyProbe"]


class _Unsettled:
    def __repr__(self) -> str:
        return "UNSETTLED"


UNSETTLED: Final = _Unsettled()
""":meth:`KeyLedger.settle` cannot tell from a probe: read the store under the lock."""


@dataclass(frozen=True)
class KeyProbe:
    """What the store held for ``key`` when read outside the lock, and the ledger's
    ``epoch`` and ``commits`` count when the read began."""

    key: str
    stored: IdempotencyRecord | None
    epoch: int
    commits: int


class KeyLedger:
    """Keys staged (``pending``) and committed lately, for answering probes under the lock.

    ``remember`` keys committed lately: enough to cover the time a probe's read takes
    (2,000 keys is 10 s at 200 contacts per second, where a read takes milliseconds); a
    probe older than the keys forgotten is read again.
    """

    def __init__(self, remember: int = 2_000) -> None:
        self.pending: dict[str, IdempotencyRecord] = {}
        self._recent: OrderedDict[str, tuple[int, IdempotencyRecord]] = OrderedDict()
        self._remember = remember
        self._commits = 0
        self._epoch = 0
        self._forgotten_through = 0
        """The newest commit number of a key no longer remembered."""

    def known(self, key: str) -> IdempotencyRecord | None:
        """The record of ``key`` if it is staged or was committed lately."""
        found = self.pending.get(key)
        if found is None:
            recent = self._recent.get(key)
            found = recent[1] if recent is not None else None
        return found

    def mark(self) -> tuple[int, int]:
        """Take this just before reading the store for a probe."""
        return self._epoch, self._commits

    def staged(self, record: IdempotencyRecord) -> None:
        self.pending[record.key] = record

    def committed(self, records: Iterable[IdempotencyRecord]) -> None:
        """A batch holding ``records`` was committed."""
        self._commits += 1
        for record in records:
            self.pending.pop(record.key, None)
            self._recent[record.key] = (self._commits, record)
            self._recent.move_to_end(record.key)
        while len(self._recent) > self._remember:
            _, (number, _record) = self._recent.popitem(last=False)
            self._forgotten_through = max(self._forgotten_through, number)

    def reset(self) -> None:
        """The engine was rebuilt from the store: every earlier probe is unsettled."""
        self.pending.clear()
        self._recent.clear()
        self._epoch += 1

    def settle(self, probe: KeyProbe) -> IdempotencyRecord | _Unsettled | None:
        """Under the lock: the key's record, ``None`` if it is new, or :data:`UNSETTLED`."""
        found = self.known(probe.key)
        if found is not None:
            return found
        if probe.epoch != self._epoch:
            return UNSETTLED
        if probe.stored is not None:
            return probe.stored
        if self._forgotten_through > probe.commits:
            return UNSETTLED
        return None
