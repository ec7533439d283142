"""Business hours of a site for the flows' hours nodes: opening hours per weekday in the
site's time zone, and holidays (dates) when it is closed all day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

__all__ = ["BusinessHours"]


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """Open from ``opens`` to ``closes`` (hours of the day, ``closes`` up to 24) on
    ``weekdays`` (0 = Monday) in ``timezone``, except on ``holidays`` (ISO dates)."""

    timezone: str = "Asia/Shanghai"
    opens: float = 0.0
    closes: float = 24.0
    weekdays: frozenset[int] = frozenset(range(7))
    holidays: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(
        cls,
        timezone: str,
        opens: float = 0.0,
        closes: float = 24.0,
        weekdays: Iterable[int] = range(7),
        holidays: Iterable[str] = (),
    ) -> BusinessHours:
        ZoneInfo(timezone)  # an unknown zone is refused here, not at the first call
        return cls(timezone, opens, closes, frozenset(weekdays), frozenset(holidays))

    def is_open(self, now: float) -> bool:
        """Whether the site is open at ``now`` (epoch seconds)."""
        local = dt.datetime.fromtimestamp(now, ZoneInfo(self.timezone))
        if local.weekday() not in self.weekdays or local.date().isoformat() in self.holidays:
            return False
        hour = local.hour + local.minute / 60 + local.second / 3600
        return self.opens <= hour < self.closes
