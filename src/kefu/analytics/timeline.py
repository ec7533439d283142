"""Time-weighted figures per reporting interval: queue lengths and agent activity.

Both keep the current interval's sums in plain attributes and touch the per-interval
dictionaries only when time crosses into another interval, so the common update (a
change inside the same interval) is a few arithmetic operations.
"""

from __future__ import annotations

import math

__all__ = ["AgentTime", "Level", "Window"]

INF = math.inf
OTHER, HANDLING, IDLE = 0, 1, 2


class Window:
    """The reporting window [start, end) seconds cut into intervals of ``size`` seconds
    counted from instant 0."""

    __slots__ = ("end", "size", "start")

    def __init__(self, start: float, end: float, size: float) -> None:
        self.start = start
        self.end = end
        self.size = size

    def accrue(self, bins: dict[int, float], t0: float, t1: float, weight: float) -> None:
        """Add ``weight`` × the part of [t0, t1) inside the window to the interval bins."""
        t0 = max(t0, self.start)
        t1 = min(t1, self.end)
        if t1 <= t0:
            return
        size = self.size
        k = int(t0 // size)
        while True:
            edge = (k + 1) * size
            if t1 <= edge:
                bins[k] = bins.get(k, 0.0) + weight * (t1 - t0)
                return
            bins[k] = bins.get(k, 0.0) + weight * (edge - t0)
            t0 = edge
            k += 1

    def covered(self, t0: float, t1: float) -> range:
        """Indexes of the intervals that overlap [t0, t1) inside the window."""
        lo, hi = max(t0, self.start), min(t1, self.end)
        if hi <= lo:
            return range(0)
        return range(int(lo // self.size), math.ceil(hi / self.size))

    def open_at(self, at: float) -> tuple[int, float]:
        """(interval index, its end clipped to the window) for an instant; index −1 and
        the instant the window opens (or infinity) outside the window."""
        if at < self.start:
            return -1, self.start
        if at >= self.end:
            return -1, INF
        k = int(at // self.size)
        return k, min((k + 1) * self.size, self.end)


class Level:
    """A count that changes by steps (contacts waiting): its time integral (``area``,
    count × seconds) and its peak per interval. A value held for no time (a contact
    queued and answered at the same instant) does not make a peak."""

    __slots__ = ("area", "cur_area", "cur_top", "edge", "k", "peak", "since", "value", "window")

    def __init__(self, window: Window) -> None:
        self.window = window
        self.value = 0
        self.since = -INF
        self.k = -1
        self.edge = -INF
        self.cur_area = 0.0
        self.cur_top = 0
        self.area: dict[int, float] = {}
        self.peak: dict[int, int] = {}

    def change(self, at: float, delta: int) -> None:
        """The count changes by ``delta`` at instant ``at`` (not before the last change)."""
        if at < self.edge:  # same interval as the last change
            value = self.value
            if at > self.since:
                self.cur_area += value * (at - self.since)
                if value > self.cur_top:
                    self.cur_top = value
            self.value = value + delta
            self.since = at
            return
        self._cross(at)
        self.value += delta
        self.since = at

    def _cross(self, at: float) -> None:
        value, since, window = self.value, self.since, self.window
        k = self.k
        if k >= 0:
            edge = self.edge
            if edge > since and value:
                self.cur_area += value * (edge - since)
                self.cur_top = max(self.cur_top, value)
            self._flush_open()
            since = edge
        if at > since and value:
            window.accrue(self.area, since, at, value)
            peak = self.peak
            for j in window.covered(since, at):
                if peak.get(j, 0) < value:
                    peak[j] = value
        self.k, self.edge = window.open_at(at)
        self.cur_area = 0.0
        self.cur_top = 0

    def _flush_open(self) -> None:
        k = self.k
        self.area[k] = self.area.get(k, 0.0) + self.cur_area
        if self.peak.get(k, 0) < self.cur_top:
            self.peak[k] = self.cur_top
        self.cur_area = 0.0

    def flush(self, at: float) -> None:
        """Count the time up to ``at`` into the per-interval dictionaries."""
        self.change(max(at, self.since), 0)
        if self.k >= 0:
            self._flush_open()


class AgentTime:
    """One agent's activity (handling, ready idle or other) and its time per interval,
    summed into its group's dictionaries."""

    __slots__ = (
        "active",
        "cat",
        "edge",
        "handling",
        "handling_s",
        "idle",
        "idle_s",
        "k",
        "offered",
        "ready",
        "since",
        "window",
    )

    def __init__(
        self, window: Window, at: float, handling: dict[int, float], idle: dict[int, float]
    ) -> None:
        self.window = window
        self.handling = handling  # the group's seconds per interval
        self.idle = idle
        self.ready = False
        self.offered = 0
        self.active = 0
        self.cat = OTHER
        self.since = at
        self.k, self.edge = window.open_at(at)
        self.handling_s = 0.0  # seconds so far in the open interval
        self.idle_s = 0.0

    def touch(self, at: float) -> None:
        """Account the time since the last change, then re-derive the activity."""
        if at < self.edge:
            cat = self.cat
            if cat == HANDLING:
                self.handling_s += at - self.since
            elif cat == IDLE:
                self.idle_s += at - self.since
        else:
            self._cross(at)
        self.since = at
        if self.active:
            self.cat = HANDLING
        elif self.ready and not self.offered:
            self.cat = IDLE
        else:
            self.cat = OTHER

    def _cross(self, at: float) -> None:
        since, cat = self.since, self.cat
        if self.k >= 0:
            edge = self.edge
            if cat == HANDLING:
                self.handling_s += edge - since
            elif cat == IDLE:
                self.idle_s += edge - since
            self._flush_open()
            since = edge
        if cat == HANDLING:
            self.window.accrue(self.handling, since, at, 1.0)
        elif cat == IDLE:
            self.window.accrue(self.idle, since, at, 1.0)
        self.k, self.edge = self.window.open_at(at)
        self.handling_s = self.idle_s = 0.0

    def _flush_open(self) -> None:
        k = self.k
        self.handling[k] = self.handling.get(k, 0.0) + self.handling_s
        self.idle[k] = self.idle.get(k, 0.0) + self.idle_s
        self.handling_s = self.idle_s = 0.0

    def flush(self, at: float) -> None:
        """Count the time up to ``at`` into the group's dictionaries."""
        self.touch(max(at, self.since))
        if self.k >= 0:
            self._flush_open()
