"""The router's settings.

A module of its own, left out of the compiled build (see ``setup.py``): a frozen dataclass
compiled with mypyc cannot be unpickled, and snapshots pickle the router with its settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kefu.domain.errors import ValidationError

__all__ = ["RouterConfig"]


@dataclass(frozen=True, slots=True)
class RouterConfig:
    """Router settings. ``offer_timeout_s``: seconds an agent has to accept an offer;
    ``retain_closed=False`` forgets finished contacts (long simulations)."""

    offer_timeout_s: float = 20.0
    missed_reason: str = "missed"
    agent_order: Literal["skill_then_idle", "longest_idle"] = "skill_then_idle"
    retain_closed: bool = True

    def __post_init__(self) -> None:
        if not self.offer_timeout_s > 0:
            raise ValidationError("offer_timeout_s must be > 0", value=self.offer_timeout_s)
        if self.agent_order not in ("skill_then_idle", "longest_idle"):
            raise ValidationError(f"unknown agent_order {self.agent_order!r}")
