"""The counting rules of the standard contact figures, and the accumulator's tallies.

:class:`Tally` holds the counters of one queue (or one report group) over one interval;
the live :class:`~kefu.analytics.KpiAccumulator` and the historical reports
(:mod:`kefu.analytics.history`) both count through its methods, so "answered within T",
"short abandon", "balked" and "still waiting within T" mean the same everywhere. The ratios
built on these counters are defined once, on :class:`~kefu.analytics.records.QueueKpi`.
:class:`QueueTallies` and :class:`TallySource` are what the report builder reads of the
accumulator, so building a report never reaches into it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from kefu.analytics.timeline import Level, Window
from kefu.domain import events as ev

__all__ = ["COUNTED_EVENTS", "QueueTallies", "Tally", "TallySource", "event_handlers"]


class Tally:
    """Mutable counters (counts, and sums in seconds) of one group in one interval."""

    __slots__ = (
        "abandoned",
        "answered",
        "balked",
        "callbacks",
        "handle_sum",
        "handled",
        "hist_abandoned",
        "hist_answered",
        "hold_sum",
        "immediate",
        "in_sl",
        "longest",
        "offered",
        "overflowed",
        "pred_abs",
        "pred_err",
        "predicted",
        "short",
        "talk_sum",
        "transferred_out",
        "wait_sum",
        "waiting_within_sl",
        "wrapup_sum",
    )

    def __init__(self, bins: int) -> None:
        self.offered = self.answered = self.abandoned = self.short = self.balked = 0
        self.in_sl = self.handled = self.callbacks = self.transferred_out = 0
        self.overflowed = self.predicted = self.immediate = self.waiting_within_sl = 0
        self.wait_sum = self.handle_sum = self.longest = self.pred_abs = self.pred_err = 0.0
        self.talk_sum = self.hold_sum = self.wrapup_sum = 0.0
        self.hist_answered = [0] * bins
        self.hist_abandoned = [0] * bins

    def answer(
        self, wait: float, sl_s: float, bins: tuple[float, ...], predicted: float | None
    ) -> None:
        """A visit answered after ``wait`` seconds; within SL when ``wait`` ≤ ``sl_s``."""
        self.answered += 1
        if wait <= 0.0:  # the common case in a well-staffed center: no wait at all
            self.in_sl += 1
            self.immediate += 1
            self.hist_answered[0] += 1
        else:
            self.wait_sum += wait
            if wait <= sl_s:
                self.in_sl += 1
            if wait > self.longest:
                self.longest = wait
            self.hist_answered[bisect_right(bins, wait) - 1] += 1
        if predicted is not None:
            self.predicted += 1
            self.pred_abs += abs(predicted - wait)
            self.pred_err += predicted - wait

    def abandon(self, wait: float, short_s: float, bins: tuple[float, ...]) -> None:
        """A visit abandoned after ``wait`` seconds: short when ``wait`` < ``short_s``,
        balked when the customer left the instant it queued."""
        self.abandoned += 1
        if wait < short_s:
            self.short += 1
        if wait <= 0.0:
            self.balked += 1
        if wait > self.longest:
            self.longest = wait
        self.hist_abandoned[bisect_right(bins, wait) - 1] += 1

    def handle(self, talk: float, hold: float, wrapup: float) -> None:
        """An answered visit's handling ended: talk, hold and wrap-up seconds."""
        self.handled += 1
        self.talk_sum += talk
        self.hold_sum += hold
        self.wrapup_sum += wrapup
        self.handle_sum += talk + hold + wrapup

    def still_waiting(self, wait: float, sl_s: float) -> None:
        """A visit still waiting (or ringing) when the report is made, for ``wait``
        seconds so far: while ``wait`` ≤ ``sl_s`` it may still be answered within T (the
        same bound as :meth:`answer`), so its outcome is not known and SL leaves it out;
        once past ``sl_s`` it counts as a failure."""
        if wait <= sl_s:
            self.waiting_within_sl += 1
        if wait > self.longest:
            self.longest = wait


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


COUNTED_EVENTS: tuple[tuple[type[ev.Event], str], ...] = (
    (ev.QueueDefined, "_queue_defined"),
    (ev.AgentDefined, "_agent_defined"),
    (ev.AgentStateChanged, "_agent_state"),
    (ev.ContactQueued, "_queued"),
    (ev.ContactOverflowed, "_overflowed"),
    (ev.OfferCreated, "_offer_created"),
    (ev.OfferAccepted, "_accepted"),
    (ev.OfferRejected, "_offer_returned"),
    (ev.OfferTimedOut, "_offer_returned"),
    (ev.OfferWithdrawn, "_offer_returned"),
    (ev.ContactAbandoned, "_abandoned"),
    (ev.CallbackRequested, "_callback"),
    (ev.ContactHeld, "_held"),
    (ev.ContactResumed, "_resumed"),
    (ev.ContactCompleted, "_completed"),
    (ev.ContactTransferred, "_transferred"),
    (ev.ContactTransferredOut, "_transferred_out"),
    (ev.WrapupEnded, "_wrapup_ended"),
)
"""The routing events the live KPIs and the historical visits both count, each with the
name of the method that counts it: one table, so the two counters cannot drift apart."""


def event_handlers(counter: object) -> dict[type[ev.Event], Callable[[Any], None]]:
    """``counter``'s method for each of :data:`COUNTED_EVENTS`."""
    return {kind: getattr(counter, name) for kind, name in COUNTED_EVENTS}
