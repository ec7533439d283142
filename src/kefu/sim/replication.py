"""The result of one simulated run.

A module of its own, left out of the compiled build (see ``setup.py``): replications run in
parallel processes send it back pickled, and a frozen dataclass compiled by mypyc cannot be
unpickled.
"""

from __future__ import annotations

from dataclasses import dataclass

from kefu.analytics import KpiReport
from kefu.sim.trace import ContactTrace

__all__ = ["Replication"]


@dataclass(frozen=True, slots=True)
class Replication:
    """One run: its KPIs, size and cost. ``contacts``: arrivals simulated (with any initial
    backlog, without retrials); ``events``: router events logged; ``wall_s``: seconds of
    computer time. Per queue (scenario order), in the reporting window: ``attempts``
    (arrivals and retrials), ``blocked`` (all trunk lines busy) and ``retrials``;
    ``busyness``: the day's factor on arrival rates."""

    index: int
    report: KpiReport
    contacts: int
    events: int
    sim_end_s: float
    wall_s: float
    cpu_s: float
    trace: tuple[ContactTrace, ...] | None = None
    attempts: tuple[int, ...] = ()
    blocked: tuple[int, ...] = ()
    busyness: float = 1.0
    retrials: tuple[int, ...] = ()

    def blocking(self, queue: int) -> float | None:
        """Share of the arrivals at queue ``queue`` (scenario order) in the reporting window
        that found every trunk line busy; None without arrivals."""
        n = self.attempts[queue] if self.attempts else 0
        return self.blocked[queue] / n if n else None
