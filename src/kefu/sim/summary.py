"""Means with 95 % confidence intervals across independent replications.

The interval is the Student-t one: mean ± t(0.975, n − 1) · s / √n, where s is the sample
standard deviation over the n replications in which the figure exists (ASA of an interval
without answered contacts does not exist, for instance).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kefu.analytics import GroupOccupancy, KpiReport, QueueKpi

__all__ = ["Estimate", "IntervalSummary", "Summary", "estimate", "summarize"]


@dataclass(frozen=True, slots=True)
class Estimate:
    """Mean of a figure over ``n`` replications and its 95 % confidence interval
    (``None`` bounds with fewer than 2 replications; ``None`` mean when n = 0)."""

    mean: float | None
    ci_low: float | None
    ci_high: float | None
    n: int

    @property
    def half_width(self) -> float | None:
        if self.ci_low is None or self.ci_high is None:
            return None
        return (self.ci_high - self.ci_low) / 2

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "ci_low": self.ci_low, "ci_high": self.ci_high, "n": self.n}


def estimate(values: Sequence[float | None], level: float = 0.95) -> Estimate:
    """Mean and Student-t confidence interval of the values that are not None."""
    xs = [float(v) for v in values if v is not None and not math.isnan(v)]
    n = len(xs)
    if n == 0:
        return Estimate(None, None, None, 0)
    mean = math.fsum(xs) / n
    if n < 2:
        return Estimate(mean, None, None, 1)
    from scipy import stats  # imported here: worker processes and the CLI start faster

    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (n - 1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return Estimate(mean, mean - half, mean + half, n)


def _metrics(kpis: Sequence[QueueKpi]) -> dict[str, Estimate]:
    rows = [k.metrics() for k in kpis]
    return {name: estimate([r[name] for r in rows]) for name in rows[0]}


def _occupancy(groups: Sequence[Mapping[str, GroupOccupancy]]) -> dict[str, Estimate]:
    names = list(groups[0])
    return {g: estimate([r[g].occupancy for r in groups]) for g in names}


@dataclass(frozen=True, slots=True)
class IntervalSummary:
    start_s: float
    end_s: float
    total: Mapping[str, Estimate]
    queues: Mapping[str, Mapping[str, Estimate]]
    occupancy: Mapping[str, Estimate]

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_s": self.start_s,
            "end_s": self.end_s,
            "total": {k: v.to_dict() for k, v in self.total.items()},
            "queues": {q: {k: v.to_dict() for k, v in m.items()} for q, m in self.queues.items()},
            "occupancy": {g: v.to_dict() for g, v in self.occupancy.items()},
        }


@dataclass(frozen=True, slots=True)
class Summary:
    """KPIs of several replications: overall, per queue, per agent group and per interval,
    each a mean with its 95 % confidence interval; wait histograms are mean counts."""

    replications: int
    total: Mapping[str, Estimate]
    queues: Mapping[str, Mapping[str, Estimate]]
    occupancy: Mapping[str, Estimate]
    intervals: tuple[IntervalSummary, ...]
    wait_bins_s: tuple[float, ...]
    wait_hist_answered: tuple[float, ...]
    wait_hist_abandoned: tuple[float, ...]
    waiting_at_end: Estimate

    def to_dict(self) -> dict[str, Any]:
        return {
            "replications": self.replications,
            "total": {k: v.to_dict() for k, v in self.total.items()},
            "queues": {q: {k: v.to_dict() for k, v in m.items()} for q, m in self.queues.items()},
            "occupancy": {g: v.to_dict() for g, v in self.occupancy.items()},
            "intervals": [i.to_dict() for i in self.intervals],
            "wait_bins_s": list(self.wait_bins_s),
            "wait_hist_answered": list(self.wait_hist_answered),
            "wait_hist_abandoned": list(self.wait_hist_abandoned),
            "waiting_at_end": self.waiting_at_end.to_dict(),
        }


def summarize(reports: Sequence[KpiReport]) -> Summary:
    """Combine replications of one scenario (same queues, groups and intervals)."""
    if not reports:
        raise ValueError("summarize needs at least one replication")
    first = reports[0]
    queues = {q: _metrics([r.queues[q] for r in reports]) for q in first.queues}
    intervals = []
    n_intervals = min(len(r.intervals) for r in reports)
    for k in range(n_intervals):
        items = [r.intervals[k] for r in reports]
        intervals.append(
            IntervalSummary(
                start_s=items[0].start_s,
                end_s=items[0].end_s,
                total=_metrics([i.total for i in items]),
                queues={q: _metrics([i.queues[q] for i in items]) for q in items[0].queues},
                occupancy=_occupancy([i.groups for i in items]),
            )
        )
    n = len(reports)
    bins = len(first.wait_bins_s)
    return Summary(
        replications=n,
        total=_metrics([r.total for r in reports]),
        queues=queues,
        occupancy=_occupancy([r.groups for r in reports]) if first.groups else {},
        intervals=tuple(intervals),
        wait_bins_s=first.wait_bins_s,
        wait_hist_answered=tuple(
            sum(r.total.wait_hist_answered[b] for r in reports) / n for b in range(bins)
        ),
        wait_hist_abandoned=tuple(
            sum(r.total.wait_hist_abandoned[b] for r in reports) / n for b in range(bins)
        ),
        waiting_at_end=estimate([float(r.waiting_at_end) for r in reports]),
    )
