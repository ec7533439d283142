"""Agent time summed over a group and a bucket, with the two ratios reports show."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AgentSeconds"]


@dataclass(frozen=True, slots=True)
class AgentSeconds:
    """Seconds agents spent handling contacts, idle while ready, and logged in (any
    presence but offline), summed over a group and a bucket."""

    handling_s: float
    idle_s: float
    staffed_s: float

    @property
    def occupancy(self) -> float | None:
        """Handling / (handling + ready idle), the standard definition."""
        busy = self.handling_s + self.idle_s
        return self.handling_s / busy if busy > 0 else None

    @property
    def utilisation(self) -> float | None:
        """Handling / logged-in time (not-ready time included in the base)."""
        return self.handling_s / self.staffed_s if self.staffed_s > 0 else None
