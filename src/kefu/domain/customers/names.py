"""An index of customers' names for searches: each character and each pair of adjacent
characters of the case-folded name → the customers having it (Chinese names have no
spaces, so a search of any language is looked up through its rarest pair).

Entries are only added: a name that changed leaves its old entries, so a lookup gives a
superset of the customers to check against their current names.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["NameIndex"]


def _keys(folded: str) -> set[str]:
    if len(folded) < 2:
        return set(folded)
    return {folded[i : i + 2] for i in range(len(folded) - 1)}


class NameIndex:
    """Characters and pairs of names → customer ids (see the module)."""

    def __init__(self) -> None:
        self._by: dict[str, list[str]] = {}

    def add(self, customer_id: str, name: str) -> None:
        """Index ``name`` as a name of ``customer_id`` (again: no harm)."""
        folded = name.casefold()
        by = self._by
        for key in set(folded) | _keys(folded):
            posting = by.get(key)
            if posting is None:
                by[key] = [customer_id]
            elif posting[-1] != customer_id:
                posting.append(customer_id)

    def candidates(self, text: str) -> Iterable[str]:
        """Customer ids (each once) whose name may contain ``text`` (case-folded, not
        empty): every one whose name does, and maybe others."""
        best: list[str] | None = None
        for key in _keys(text):
            posting = self._by.get(key)
            if posting is None:
                return ()
            if best is None or len(posting) < len(best):
                best = posting
        return dict.fromkeys(best or ())
