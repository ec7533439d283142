"""Indexes of the case lists, kept by the case store next to the book (updated with each case
event in the command's transaction, rebuilt when the store loads).

Cases are numbered by opening order (their *rank*: 0, 1, ...), so "newest first" is
"highest rank first" and every posting list is an ``array`` of ranks kept ascending (4 bytes
a case; no per-case Python objects):

- by site and by customer (a case never moves site or customer): appended at opening;
- by owner, state and case type (these change): kept sorted by insertion and deletion,
  which at a reload (events in order) touch the end of the list.

A search with no other scope looks at the newest cases only (a window): their case-folded
titles and customer ids are joined per block of ranks into one string (titles and customer
ids never change), so a text of any language (Chinese has no spaces) is found by
``str.find`` without an index per character.

Columns by rank (site, state, type, owner and customer as small numbers) let the planner
check any filter of a candidate with an array read. Per rank the resolution clock's
deadline and the instant it stopped (``inf``: none; ``nan``: not computed since the case
last changed) are computed lazily, when a list first needs them. Times are seconds.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable

__all__ = ["BLOCK", "INF", "CaseListIndex", "Numbers", "Postings", "TextWindow"]

INF = math.inf
Due = Callable[[str], tuple[float | None, float | None]]
"""Case id → the resolution clock's deadline and stop instant (``None`` for none)."""
Floor = Callable[[str], float]
"""Case id → an instant its resolution deadline cannot precede (``inf``: it has none)."""
Entry = Callable[[int], str]
"""Rank → the case's searchable text: case-folded title, NUL, case-folded customer id."""
BLOCK = 1024
"""Ranks per joined block of the text window."""


class Numbers:
    """Small numbers for the distinct values of a column (0, 1, ... in order of arrival)."""

    def __init__(self) -> None:
        self.of: dict[str, int] = {}
        self.values: list[str] = []

    def number(self, value: str) -> int:
        """The number of ``value``, given one if new."""
        got = self.of.get(value)
        if got is None:
            got = self.of[value] = len(self.values)
            self.values.append(value)
        return got


class Postings:
    """A numbered column (``array`` of numbers by rank, -1 for none) and, per number, the
    ascending ranks having it."""

    def __init__(self) -> None:
        self.numbers = Numbers()
        self.column = array("i")
        self.ranks: list[array[int]] = []

    def append(self, value: str | None) -> int:
        """The column value of the next rank (the highest so far); its number."""
        if value is None:
            self.column.append(-1)
            return -1
        number = self.numbers.number(value)
        if number == len(self.ranks):
            self.ranks.append(array("i"))
        self.column.append(number)
        self.ranks[number].append(len(self.column) - 1)
        return number

    def move(self, rank: int, value: str | None) -> None:
        """The case of ``rank`` now has ``value``."""
        before = self.column[rank]
        if before >= 0:
            old = self.ranks[before]
            at = bisect_left(old, rank)
            if at < len(old) and old[at] == rank:
                del old[at]
        if value is None:
            self.column[rank] = -1
            return
        number = self.numbers.number(value)
        if number == len(self.ranks):
            self.ranks.append(array("i"))
        self.column[rank] = number
        new = self.ranks[number]
        if not new or new[-1] < rank:
            new.append(rank)
        else:
            insort(new, rank)

    def wanted(self, values: Iterable[str]) -> tuple[frozenset[int], list[array[int]]]:
        """The numbers of ``values`` (unknown ones left out) and their rank lists."""
        numbers = frozenset(n for v in values if (n := self.numbers.of.get(v)) is not None)
        return numbers, [self.ranks[n] for n in sorted(numbers)]

    def of(self, value: str) -> array[int]:
        """The ascending ranks with ``value`` (empty if none)."""
        number = self.numbers.of.get(value)
        return self.ranks[number] if number is not None else array("i")


class CaseListIndex:
    """Rank-ordered postings, columns and breach clocks of every case (see the module)."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        """Rank → case id."""
        self.site = Postings()
        self.customer = Postings()
        self.owner = Postings()
        self.state = Postings()
        self.kind = Postings()
        """By case type."""
        self.window = TextWindow()
        """Joined texts of the newest cases, for searches."""
        self.due = array("d")
        """Rank → resolution deadline (s; ``inf``: none; ``nan``: not computed)."""
        self.stop = array("d")
        """Rank → instant the resolution clock stopped (s; ``inf``: it runs)."""

    def __len__(self) -> int:
        return len(self.ids)

    def opened(
        self,
        case_id: str,
        site_id: str,
        customer_id: str | None,
        *,
        state: str,
        case_type: str,
        owner_id: str | None,
    ) -> int:
        """Index a new case; its rank."""
        rank = len(self.ids)
        self.ids.append(case_id)
        self.site.append(site_id)
        self.customer.append(customer_id)
        self.owner.append(owner_id)
        self.state.append(state)
        self.kind.append(case_type)
        self.due.append(math.nan)
        self.stop.append(INF)
        return rank

    def changed(self, rank: int) -> None:
        """The case changed: its clock is computed again when next read."""
        self.due[rank] = math.nan

    def forget_clocks(self) -> None:
        """Targets or calendars changed: every clock is computed again when next read."""
        self.due = array("d", [math.nan]) * len(self.ids)

    def clock(self, rank: int, compute: Due) -> tuple[float, float]:
        """The (deadline, stop) of the case of ``rank`` (``inf`` for none), computed by
        ``compute`` once after each change."""
        due = self.due[rank]
        if due != due:  # nan: not computed
            got, stopped = compute(self.ids[rank])
            due = INF if got is None else got
            self.due[rank] = due
            self.stop[rank] = INF if stopped is None else stopped
        return due, self.stop[rank]

    def breached(self, rank: int, now: float, compute: Due, floor: Floor) -> bool:
        """Whether the resolution clock is (or ended) past its deadline at ``now``;
        a clock not computed yet whose deadline cannot have passed (``floor``) is not."""
        if self.due[rank] != self.due[rank] and floor(self.ids[rank]) >= now:
            return False
        due, stop = self.clock(rank, compute)
        return due < (now if stop == INF else stop)


class TextWindow:
    """The searchable texts (:data:`Entry`) of blocks of :data:`BLOCK` ranks, each block
    joined by NUL into one string, built when first searched (the last block again when
    it grew); blocks older than the last search's window are dropped."""

    def __init__(self) -> None:
        self._blocks: dict[int, tuple[int, str, array[int]]] = {}
        """Block → (ranks in it, joined text, offset of each rank's text)."""

    def find(self, text: str, first: int, total: int, entry: Entry) -> list[int]:
        """Ranks in ``[first, total)`` (ascending) whose text contains ``text``
        (case-folded, without NUL)."""
        out: list[int] = []
        blocks = self._blocks
        for old in [b for b in blocks if b < first // BLOCK]:
            del blocks[old]
        for block in range(first // BLOCK, (total + BLOCK - 1) // BLOCK):
            low = block * BLOCK
            count = min(total, low + BLOCK) - low
            got = blocks.get(block)
            if got is None or got[0] != count:
                parts = [entry(rank) for rank in range(low, low + count)]
                starts, at = array("i"), 0
                for part in parts:
                    starts.append(at)
                    at += len(part) + 1
                got = blocks[block] = (count, "\0".join(parts), starts)
            _, joined, starts = got
            at = joined.find(text)
            while at >= 0:
                k = bisect_right(starts, at) - 1
                if low + k >= first:
                    out.append(low + k)
                if k + 1 >= count:
                    break
                at = joined.find(text, starts[k + 1])
        return out
