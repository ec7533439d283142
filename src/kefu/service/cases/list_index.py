"""Indexes of the case lists, kept by the case store next to the book (updated with each case
event in the command's transaction, rebuilt when the store loads).

Cases are numbered by opening order (their *rank*: 0, 1, ...). Posting lists of ranks,
ascending because what they index never changes after the case opens:

- by site (a case never moves site);
- by token of the title and the customer id as recorded: each character and each pair of
  adjacent characters of the case-folded text (Chinese has no spaces, so a search term of
  any language is found through the rarest pair of characters it contains).

And per rank the resolution clock's deadline and the instant it stopped (``inf`` for none,
``nan`` while not computed since the case last changed), so a case's breach is read without
walking its history. Times are seconds.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Iterator, Sequence

__all__ = ["CaseListIndex", "tokens"]

INF = math.inf
Due = Callable[[str], tuple[float | None, float | None]]
"""Case id → the resolution clock's deadline and stop instant (``None`` for none)."""


def tokens(text: str) -> set[str]:
    """The index tokens of ``text`` (case-folded): its characters and adjacent pairs."""
    folded = text.casefold()
    out = set(folded)
    out.update(folded[i : i + 2] for i in range(len(folded) - 1))
    return out


class CaseListIndex:
    """Rank-ordered posting lists and breach columns of every case (see the module)."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        """Rank → case id."""
        self.by_site: dict[str, array[int]] = {}
        self.by_token: dict[str, array[int]] = {}
        self.due = array("d")
        """Rank → resolution deadline (s; ``inf``: none; ``nan``: not computed)."""
        self.stop = array("d")
        """Rank → instant the resolution clock stopped (s; ``inf``: it runs)."""

    def __len__(self) -> int:
        return len(self.ids)

    def opened(self, case_id: str, site_id: str, title: str, customer_id: str | None) -> int:
        """Index a new case; its rank."""
        rank = len(self.ids)
        self.ids.append(case_id)
        self.by_site.setdefault(site_id, array("i")).append(rank)
        words = tokens(title)
        if customer_id is not None:
            words |= tokens(customer_id)
        by_token = self.by_token
        for word in words:
            posting = by_token.get(word)
            if posting is None:
                by_token[word] = posting = array("i")
            posting.append(rank)
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

    def breached(self, rank: int, now: float, compute: Due) -> bool:
        """Whether the resolution clock is (or ended) past its deadline at ``now``."""
        due, stop = self.clock(rank, compute)
        return due < (now if stop == INF else stop)

    def warm(self, compute: Due) -> None:
        """Compute every clock not computed yet (after a load)."""
        due = self.due
        for rank in range(len(self.ids)):
            if due[rank] != due[rank]:
                self.clock(rank, compute)

    def text_candidates(self, text: str) -> array[int] | None:
        """Ranks (ascending) of every case whose title or recorded customer id may contain
        ``text`` (case-folded, not empty): a superset to check, ``None`` if none."""
        keys = [text] if len(text) < 2 else {text[i : i + 2] for i in range(len(text) - 1)}
        best: array[int] | None = None
        for key in keys:
            posting = self.by_token.get(key)
            if posting is None:
                return None
            if best is None or len(posting) < len(best):
                best = posting
        return best

    def newest(self, ranks: Sequence[int] | None) -> Iterator[int]:
        """``ranks`` (ascending; ``None``: every case) newest first."""
        if ranks is None:
            return iter(range(len(self.ids) - 1, -1, -1))
        return reversed(ranks)
