"""Immutable KPI records: what :class:`kefu.analytics.KpiAccumulator` reports.

Standard definitions (docs: ARCHITECTURE.md, "Standard definitions"):

- offered: queue visits that started (a contact entering a queue; a transferred contact
  counts once more in the queue it is sent to);
- answered: visits that ended with an agent accepting the contact;
- abandoned: visits that ended with the customer leaving before being answered; short
  abandons are those that left within the queue's ``short_abandon_s`` (default 5 s) and
  balks (``balked``) those that left at the very instant they queued, i.e. on hearing the
  predicted wait; balks are therefore short abandons too;
- P(wait) = 1 − answered the instant they queued / offered;
- SL(T) = answered within T s / (offered − short abandons − still waiting within T),
  T = the queue's ``sl_threshold_s``: a contact counts once its outcome is known (answered,
  abandoned, or still waiting past T). ``waiting_within_sl`` are the contacts still
  waiting or ringing at the report's instant (live) or at the end of the events read
  (:mod:`kefu.analytics.history`) that have waited no longer than T: they may still be
  answered within T (live, at minute 1, a contact waiting 10 s is not a failure);
- ASA = mean wait (seconds) of answered contacts;
- AHT = talk + hold + wrap-up (seconds), mean over handled contacts; talk runs from the
  answer to the end of the conversation less the time on hold, wrap-up from there to the
  agent's release;
- abandon rate = (abandoned − short abandons) / (offered − short abandons);
- occupancy = handling time / (handling + ready idle time) per agent group;
- predicted-wait accuracy: mean absolute error (seconds) of the wait the router predicted
  when the contact queued against the wait it then had, over answered contacts.

A ratio whose denominator is zero is ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "DEFAULT_WAIT_BINS_S",
    "GroupOccupancy",
    "IntervalKpi",
    "KpiReport",
    "QueueKpi",
]

DEFAULT_WAIT_BINS_S: tuple[float, ...] = (
    0.0,
    5.0,
    10.0,
    20.0,
    30.0,
    45.0,
    60.0,
    90.0,
    120.0,
    180.0,
    300.0,
    600.0,
    900.0,
    1800.0,
    3600.0,
)
"""Left edges (seconds) of the wait histogram bins; the last bin is open-ended."""


@dataclass(frozen=True, slots=True)
class QueueKpi:
    """Contact KPIs of one queue (or all queues) over one interval (or the whole window).

    Counts are integers; times are seconds; ``*_sum_s`` fields keep the raw sums so records
    can be added up exactly (:meth:`merge`).
    """

    offered: int
    answered: int
    abandoned: int
    short_abandons: int
    balked: int
    answered_at_once: int
    answered_within_sl: int
    handled: int
    callbacks: int
    transferred_out: int
    overflowed: int
    wait_sum_s: float
    handle_sum_s: float
    longest_wait_s: float
    max_queue_length: int
    queue_length_area: float
    period_s: float
    predicted: int
    predicted_abs_error_sum_s: float
    predicted_error_sum_s: float
    wait_hist_answered: tuple[int, ...]
    wait_hist_abandoned: tuple[int, ...]
    talk_sum_s: float = 0.0
    hold_sum_s: float = 0.0
    wrapup_sum_s: float = 0.0
    waiting_within_sl: int = 0
    """Contacts still waiting or ringing, for no longer than T, at the report's instant."""

    @property
    def service_level(self) -> float | None:
        """SL(T) = answered within T / (offered − short abandons − waiting_within_sl): a
        contact counts once its outcome is known (answered, abandoned or waiting past T)."""
        base = self.offered - self.short_abandons - self.waiting_within_sl
        return self.answered_within_sl / base if base > 0 else None

    @property
    def p_wait(self) -> float | None:
        """Share of offered contacts that were not answered the instant they queued."""
        return 1.0 - self.answered_at_once / self.offered if self.offered else None

    @property
    def asa_s(self) -> float | None:
        """Average speed of answer: mean wait of answered contacts (seconds)."""
        return self.wait_sum_s / self.answered if self.answered else None

    @property
    def aht_s(self) -> float | None:
        """Average handle time: talk + hold + wrap-up, mean over handled contacts (s)."""
        return self.handle_sum_s / self.handled if self.handled else None

    @property
    def talk_s(self) -> float | None:
        """Mean talk time (seconds) over handled contacts, hold excluded."""
        return self.talk_sum_s / self.handled if self.handled else None

    @property
    def hold_s(self) -> float | None:
        """Mean hold time (seconds) over handled contacts."""
        return self.hold_sum_s / self.handled if self.handled else None

    @property
    def wrapup_s(self) -> float | None:
        """Mean wrap-up time (seconds) over handled contacts."""
        return self.wrapup_sum_s / self.handled if self.handled else None

    @property
    def abandon_rate(self) -> float | None:
        """(abandoned − short abandons) / (offered − short abandons)."""
        base = self.offered - self.short_abandons
        return (self.abandoned - self.short_abandons) / base if base > 0 else None

    @property
    def balk_rate(self) -> float | None:
        """Balked / offered: share of arrivals that left on hearing the predicted wait."""
        return self.balked / self.offered if self.offered else None

    @property
    def mean_queue_length(self) -> float | None:
        """Time-average number of contacts waiting to be answered."""
        return self.queue_length_area / self.period_s if self.period_s > 0 else None

    @property
    def predicted_wait_mae_s(self) -> float | None:
        """Mean absolute error (s) of the router's predicted wait, over answered contacts."""
        return self.predicted_abs_error_sum_s / self.predicted if self.predicted else None

    @property
    def predicted_wait_bias_s(self) -> float | None:
        """Mean of (predicted − actual) wait (s): > 0 when the router over-estimates."""
        return self.predicted_error_sum_s / self.predicted if self.predicted else None

    def merge(self, other: QueueKpi) -> QueueKpi:
        """Both sets of contacts over the same period (same wait bins): counts, sums and
        queue-length areas add, maxima take the larger. The peak length of several queues
        together is not the larger of their peaks; the accumulator tracks that itself."""
        return QueueKpi(
            offered=self.offered + other.offered,
            answered=self.answered + other.answered,
            abandoned=self.abandoned + other.abandoned,
            short_abandons=self.short_abandons + other.short_abandons,
            balked=self.balked + other.balked,
            answered_at_once=self.answered_at_once + other.answered_at_once,
            answered_within_sl=self.answered_within_sl + other.answered_within_sl,
            handled=self.handled + other.handled,
            callbacks=self.callbacks + other.callbacks,
            transferred_out=self.transferred_out + other.transferred_out,
            overflowed=self.overflowed + other.overflowed,
            wait_sum_s=self.wait_sum_s + other.wait_sum_s,
            handle_sum_s=self.handle_sum_s + other.handle_sum_s,
            longest_wait_s=max(self.longest_wait_s, other.longest_wait_s),
            max_queue_length=max(self.max_queue_length, other.max_queue_length),
            queue_length_area=self.queue_length_area + other.queue_length_area,
            period_s=max(self.period_s, other.period_s),
            predicted=self.predicted + other.predicted,
            predicted_abs_error_sum_s=self.predicted_abs_error_sum_s
            + other.predicted_abs_error_sum_s,
            predicted_error_sum_s=self.predicted_error_sum_s + other.predicted_error_sum_s,
            wait_hist_answered=_add(self.wait_hist_answered, other.wait_hist_answered),
            wait_hist_abandoned=_add(self.wait_hist_abandoned, other.wait_hist_abandoned),
            talk_sum_s=self.talk_sum_s + other.talk_sum_s,
            hold_sum_s=self.hold_sum_s + other.hold_sum_s,
            wrapup_sum_s=self.wrapup_sum_s + other.wrapup_sum_s,
            waiting_within_sl=self.waiting_within_sl + other.waiting_within_sl,
        )

    def metrics(self) -> dict[str, float | None]:
        """The headline figures by their standard names (ratios in 0–1, times in s)."""
        return {
            "offered": float(self.offered),
            "answered": float(self.answered),
            "abandoned": float(self.abandoned),
            "short_abandons": float(self.short_abandons),
            "balked": float(self.balked),
            "callbacks": float(self.callbacks),
            "transferred_out": float(self.transferred_out),
            "service_level": self.service_level,
            "p_wait": self.p_wait,
            "asa_s": self.asa_s,
            "aht_s": self.aht_s,
            "talk_s": self.talk_s,
            "hold_s": self.hold_s,
            "wrapup_s": self.wrapup_s,
            "abandon_rate": self.abandon_rate,
            "balk_rate": self.balk_rate,
            "max_queue_length": float(self.max_queue_length),
            "mean_queue_length": self.mean_queue_length,
            "longest_wait_s": self.longest_wait_s,
            "predicted_wait_mae_s": self.predicted_wait_mae_s,
            "predicted_wait_bias_s": self.predicted_wait_bias_s,
        }

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["wait_hist_answered"] = list(self.wait_hist_answered)
        out["wait_hist_abandoned"] = list(self.wait_hist_abandoned)
        out.update(self.metrics())
        return out


@dataclass(frozen=True, slots=True)
class GroupOccupancy:
    """Time (seconds) an agent group spent handling contacts and idle while ready."""

    handling_s: float
    idle_s: float

    @property
    def occupancy(self) -> float | None:
        """Handling / (handling + ready idle)."""
        total = self.handling_s + self.idle_s
        return self.handling_s / total if total > 0 else None

    def merge(self, other: GroupOccupancy) -> GroupOccupancy:
        return GroupOccupancy(self.handling_s + other.handling_s, self.idle_s + other.idle_s)

    def to_dict(self) -> dict[str, Any]:
        return {
            "handling_s": self.handling_s,
            "idle_s": self.idle_s,
            "occupancy": self.occupancy,
        }


@dataclass(frozen=True, slots=True)
class IntervalKpi:
    """KPIs of the contacts that started a queue visit in [start_s, end_s).

    Queue lengths and occupancy cover the time of the interval itself.
    """

    start_s: float
    end_s: float
    queues: Mapping[str, QueueKpi]
    total: QueueKpi
    groups: Mapping[str, GroupOccupancy]

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_s": self.start_s,
            "end_s": self.end_s,
            "queues": {k: v.to_dict() for k, v in self.queues.items()},
            "total": self.total.to_dict(),
            "groups": {k: v.to_dict() for k, v in self.groups.items()},
        }


@dataclass(frozen=True, slots=True)
class KpiReport:
    """KPIs of a reporting window [start_s, end_s): overall, per queue, per interval."""

    start_s: float
    end_s: float
    interval_s: float
    wait_bins_s: tuple[float, ...]
    queues: Mapping[str, QueueKpi]
    total: QueueKpi
    groups: Mapping[str, GroupOccupancy]
    intervals: tuple[IntervalKpi, ...]
    waiting_at_end: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_s": self.start_s,
            "end_s": self.end_s,
            "interval_s": self.interval_s,
            "wait_bins_s": list(self.wait_bins_s),
            "queues": {k: v.to_dict() for k, v in self.queues.items()},
            "total": self.total.to_dict(),
            "groups": {k: v.to_dict() for k, v in self.groups.items()},
            "intervals": [i.to_dict() for i in self.intervals],
            "waiting_at_end": self.waiting_at_end,
        }


def _add(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    if len(a) != len(b):
        raise ValueError(f"wait histograms differ in bins ({len(a)} vs {len(b)})")
    return tuple(x + y for x, y in zip(a, b, strict=True))
