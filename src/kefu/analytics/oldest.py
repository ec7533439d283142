"""The oldest of a changing set of open items, without scanning them: a min-heap by
instant whose entries for items closed since are dropped when they come to the top."""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from itertools import count
from typing import Generic, TypeVar

__all__ = ["OldestFirst"]

V = TypeVar("V")


class OldestFirst(Generic[V]):
    """Instants of open items, each keyed and held as an object; an item is open while
    the live mapping given to :meth:`oldest` holds that very object under its key."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, str, V]] = []
        self._pushes = count()

    @classmethod
    def of(cls, items: Mapping[str, tuple[float, V]]) -> OldestFirst[V]:
        """One holding ``items`` (key → (instant, item))."""
        made: OldestFirst[V] = cls()
        made._heap = [(at, next(made._pushes), key, item) for key, (at, item) in items.items()]
        heapq.heapify(made._heap)
        return made

    def __len__(self) -> int:
        """Entries held, those of items closed but not yet dropped included."""
        return len(self._heap)

    def push(self, at: float, key: str, item: V, live: Mapping[str, V]) -> None:
        """``item`` opened at ``at`` (seconds) under ``key``. Entries of closed items
        are cleared out once they outnumber the ``live`` ones (plus a margin)."""
        heap = self._heap
        heapq.heappush(heap, (at, next(self._pushes), key, item))
        if len(heap) > 2 * len(live) + 1024:
            self._heap = [e for e in heap if live.get(e[2]) is e[3]]
            heapq.heapify(self._heap)

    def oldest(self, live: Mapping[str, V]) -> float | None:
        """The earliest instant of an item still open in ``live``; None when none is."""
        heap = self._heap
        while heap and live.get(heap[0][2]) is not heap[0][3]:
            heapq.heappop(heap)
        return heap[0][0] if heap else None
