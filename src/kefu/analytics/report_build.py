"""Turn the accumulator's mutable tallies into immutable :class:`KpiReport` records."""

from __future__ import annotations

import math
from collections.abc import Iterable

from kefu.analytics.records import GroupOccupancy, IntervalKpi, KpiReport, QueueKpi
from kefu.analytics.tallies import Tally, TallySource
from kefu.analytics.timeline import Level

__all__ = ["build_intervals", "build_report", "queue_kpi"]


def queue_kpi(
    tallies: Iterable[Tally], bins: int, peak: int, area: float, period: float
) -> QueueKpi:
    """The record of ``tallies`` summed (any number: one interval, a queue, a report group),
    with a queue length peaking at ``peak`` and integrating to ``area`` contact-seconds over
    ``period`` seconds; ``bins`` is the number of wait histogram bins."""
    offered = answered = abandoned = short = balked = in_sl = handled = immediate = 0
    callbacks = transferred = overflowed = predicted = waiting_within_sl = 0
    wait_sum = handle_sum = longest = pred_abs = pred_err = 0.0
    talk_sum = hold_sum = wrapup_sum = 0.0
    hist_ans = [0] * bins
    hist_ab = [0] * bins
    for t in tallies:
        offered += t.offered
        answered += t.answered
        abandoned += t.abandoned
        short += t.short
        balked += t.balked
        immediate += t.immediate
        in_sl += t.in_sl
        handled += t.handled
        callbacks += t.callbacks
        transferred += t.transferred_out
        overflowed += t.overflowed
        predicted += t.predicted
        wait_sum += t.wait_sum
        handle_sum += t.handle_sum
        longest = max(longest, t.longest)
        pred_abs += t.pred_abs
        pred_err += t.pred_err
        talk_sum += t.talk_sum
        hold_sum += t.hold_sum
        wrapup_sum += t.wrapup_sum
        waiting_within_sl += t.waiting_within_sl
        for i in range(bins):
            hist_ans[i] += t.hist_answered[i]
            hist_ab[i] += t.hist_abandoned[i]
    return QueueKpi(
        offered=offered,
        answered=answered,
        abandoned=abandoned,
        short_abandons=short,
        balked=balked,
        answered_at_once=immediate,
        answered_within_sl=in_sl,
        handled=handled,
        callbacks=callbacks,
        transferred_out=transferred,
        overflowed=overflowed,
        wait_sum_s=wait_sum,
        handle_sum_s=handle_sum,
        longest_wait_s=longest,
        max_queue_length=peak,
        queue_length_area=area,
        period_s=period,
        predicted=predicted,
        predicted_abs_error_sum_s=pred_abs,
        predicted_error_sum_s=pred_err,
        wait_hist_answered=tuple(hist_ans),
        wait_hist_abandoned=tuple(hist_ab),
        talk_sum_s=talk_sum,
        hold_sum_s=hold_sum,
        wrapup_sum_s=wrapup_sum,
        waiting_within_sl=waiting_within_sl,
    )


def _level_over(level: Level, ks: range) -> tuple[int, float]:
    peak = max((level.peak.get(k, 0) for k in ks), default=0)
    return peak, sum(level.area.get(k, 0.0) for k in ks)


def build_intervals(acc: TallySource, ks: Iterable[int], stop: float) -> list[IntervalKpi]:
    """The records of the intervals ``ks`` of ``acc``, open time counted up to ``stop``
    (seconds)."""
    size = acc.interval_s
    bins = len(acc.wait_bins_s)
    queues = acc.queues
    intervals = []
    for k in ks:
        lo, hi = max(k * size, acc.start), min((k + 1) * size, stop)
        period = max(hi - lo, 0.0)
        per_queue = {}
        for name, queue in queues.items():
            tally = queue.tallies.get(k)
            per_queue[name] = queue_kpi(
                () if tally is None else (tally,),
                bins,
                queue.level.peak.get(k, 0),
                queue.level.area.get(k, 0.0),
                period,
            )
        tallies = [q.tallies[k] for q in queues.values() if k in q.tallies]
        total = queue_kpi(
            tallies, bins, acc.total.peak.get(k, 0), acc.total.area.get(k, 0.0), period
        )
        groups = {
            g: GroupOccupancy(acc.handling[g].get(k, 0.0), acc.idle[g].get(k, 0.0))
            for g in acc.handling
        }
        intervals.append(IntervalKpi(k * size, (k + 1) * size, per_queue, total, groups))
    return intervals


def build_report(acc: TallySource, now: float, waiting_at_end: int) -> KpiReport:
    """The report of ``acc`` with open time counted up to ``now`` (seconds)."""
    size = acc.interval_s
    bins = len(acc.wait_bins_s)
    stop = min(acc.end, now)
    if stop > acc.start:
        ks = range(int(acc.start // size), math.ceil(stop / size))
    else:
        ks = range(0)
        stop = acc.start
    queues = acc.queues
    intervals = build_intervals(acc, ks, stop)
    window = stop - acc.start
    overall = {}
    for name, queue in queues.items():
        peak, area = _level_over(queue.level, ks)
        overall[name] = queue_kpi(queue.tallies.values(), bins, peak, area, window)
    peak, area = _level_over(acc.total, ks)
    all_tallies = [t for q in queues.values() for t in q.tallies.values()]
    return KpiReport(
        start_s=acc.start,
        end_s=stop,
        interval_s=size,
        wait_bins_s=acc.wait_bins_s,
        queues=overall,
        total=queue_kpi(all_tallies, bins, peak, area, window),
        groups={
            g: GroupOccupancy(sum(acc.handling[g].values()), sum(acc.idle[g].values()))
            for g in acc.handling
        },
        intervals=tuple(intervals),
        waiting_at_end=waiting_at_end,
    )
