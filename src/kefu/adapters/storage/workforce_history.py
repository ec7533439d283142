"""The history a workforce plan starts from, read from the stored log.

:func:`arrival_history` asks the report source (the same figures as ``kefu report``) for
the contacts offered to some queues per interval over whole local days, and their mean
handle time. A day without any contact offered is missing data (NaN), never zeros: the
store was empty then or the center closed, and the forecast leaves such days out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from kefu.adapters.storage.report_source import ReportQuery, ReportSource
from kefu.domain.errors import ValidationError

__all__ = ["ArrivalHistory", "arrival_history", "local_midnight"]

DEFAULT_AHT_S = 300.0
"""Handle time assumed when the history has no handled contact, s."""


@dataclass(frozen=True, eq=False)
class ArrivalHistory:
    """Contacts offered per interval (naive local interval starts, NaN on missing days),
    the mean handle time (s, talk + hold + wrap-up) and the days without data."""

    contacts: pd.Series
    aht_s: float
    missing_days: tuple[dt.date, ...]


def local_midnight(day: dt.date, timezone: str) -> float:
    """Midnight starting ``day`` in ``timezone``, seconds since the epoch."""
    return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(timezone)).timestamp()


def arrival_history(
    source: ReportSource,
    queues: Collection[str],
    first: dt.date,
    last: dt.date,
    interval_minutes: int,
    timezone: str,
) -> ArrivalHistory:
    """Contacts offered to ``queues`` per interval from ``first`` to ``last`` (local dates,
    both included) on ``timezone``'s wall clock."""
    if not queues:
        raise ValidationError("pick at least one queue", text_key="error.plan_queues")
    if last < first:
        raise ValidationError("the period ends before it starts", text_key="error.period_order")
    if (last - first).days > 366:
        raise ValidationError("at most a year of history", text_key="error.plan_history_range")
    end = last + dt.timedelta(days=1)
    query = ReportQuery(
        local_midnight(first, timezone),
        local_midnight(end, timezone),
        period=f"interval:{interval_minutes}",
        timezone=timezone,
        group_by=("queue",),
    )
    report = source.run(query).report
    zone = ZoneInfo(timezone)
    index = pd.date_range(
        pd.Timestamp(first), pd.Timestamp(end), freq=f"{interval_minutes}min", inclusive="left"
    )
    counts = np.zeros(len(index))
    position = {t.to_pydatetime(): i for i, t in enumerate(index)}
    handled = 0
    handle_s = 0.0
    for row in report.rows:
        if row.group[0] not in queues:
            continue
        local = dt.datetime.fromtimestamp(row.start_s, zone).replace(tzinfo=None, fold=0)
        i = position.get(local)
        if i is not None:
            counts[i] += row.contacts.offered
        handled += row.contacts.handled
        handle_s += row.contacts.handle_sum_s
    days = index.normalize()
    totals = pd.Series(counts, index=index).groupby(days).sum()
    empty = pd.DatetimeIndex(totals.index[totals.to_numpy() <= 0])
    counts[np.asarray(days.isin(empty))] = np.nan
    values = pd.Series(counts, index=index)
    aht = handle_s / handled if handled else DEFAULT_AHT_S
    return ArrivalHistory(values, aht, tuple(d.date() for d in empty))
