"""A contact's original arrival when it was handed over from another routing domain: the
attribute that carries it and how it is read (seconds since the epoch)."""

from __future__ import annotations

import math
from collections.abc import Mapping

__all__ = ["ARRIVED_AT", "original_arrival", "seconds"]

ARRIVED_AT = "handover.arrived_at"
"""The attribute of a contact handed over from another routing domain that holds its
first arrival there (seconds since the epoch): it keeps its place in line here."""


def original_arrival(attributes: Mapping[str, str], at: float) -> float:
    """The instant (seconds) a contact arriving at ``at`` counts as having arrived: its
    first arrival in another routing domain (``ARRIVED_AT``) when earlier, else ``at``
    (an unreadable or later value is ignored)."""
    found = seconds(attributes.get(ARRIVED_AT, ""))
    return found if found < at and math.isfinite(found) else at


def seconds(text: str) -> float:
    """``text`` as a float; NaN when it is none (NaN compares false, so it is ignored)."""
    try:
        return float(text)
    except ValueError:
        return math.nan
