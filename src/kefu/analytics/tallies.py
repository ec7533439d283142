"""The accumulator's mutable tallies, and what the report builder reads of it
(:class:`TallySource`), so building a report never reaches into the accumulator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from kefu.analytics.timeline import Level, Window

__all__ = ["QueueTallies", "Tally", "TallySource"]


class Tally:
    """Mutable counters of one queue in one interval."""

    __slots__ = (
        "abandoned",
        "answered",
        "balked",
        "callbacks",
        "handle_sum",
        "handled",
        "hist_abandoned",
        "hist_answered",
        "immediate",
        "in_sl",
        "longest",
        "offered",
        "overflowed",
        "pending",
        "pred_abs",
        "pred_err",
        "predicted",
        "short",
        "transferred_out",
        "wait_sum",
    )

    def __init__(self, bins: int) -> None:
        self.offered = self.answered = self.abandoned = self.short = self.balked = 0
        self.in_sl = self.handled = self.callbacks = self.transferred_out = 0
        self.overflowed = self.predicted = self.immediate = self.pending = 0
        self.wait_sum = self.handle_sum = self.longest = self.pred_abs = self.pred_err = 0.0
        self.hist_answered = [0] * bins
        self.hist_abandoned = [0] * bins


class QueueTallies:
    """One queue's tallies per interval index and its time-weighted length."""

    __slots__ = ("level", "name", "short_s", "sl_s", "tallies")

    def __init__(self, name: str, sl_s: float, short_s: float, window: Window) -> None:
        self.name = name
        self.sl_s = sl_s
        self.short_s = short_s
        self.tallies: dict[int, Tally] = {}
        self.level = Level(window)


class TallySource(Protocol):
    """What :mod:`kefu.analytics.report_build` reads: the window [``start``, ``end``)
    seconds cut in intervals of ``interval_s``, the wait bins, each queue's tallies, the
    total queue length and each group's handling and idle seconds per interval index."""

    interval_s: float
    start: float
    end: float
    wait_bins_s: tuple[float, ...]

    @property
    def queues(self) -> Mapping[str, QueueTallies]: ...

    @property
    def total(self) -> Level: ...

    @property
    def handling(self) -> Mapping[str, dict[int, float]]: ...

    @property
    def idle(self) -> Mapping[str, dict[int, float]]: ...
