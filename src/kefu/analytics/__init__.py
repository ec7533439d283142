"""KPIs and reports computed from the routing event log (live and simulated alike).

Reads events only; depends on nothing but :mod:`kefu.domain`.
"""

from kefu.analytics.kpi import KpiAccumulator
from kefu.analytics.records import (
    DEFAULT_WAIT_BINS_S,
    GroupOccupancy,
    IntervalKpi,
    KpiReport,
    QueueKpi,
)
from kefu.analytics.running import RunningKpis

__all__ = [
    "DEFAULT_WAIT_BINS_S",
    "GroupOccupancy",
    "IntervalKpi",
    "KpiAccumulator",
    "KpiReport",
    "QueueKpi",
    "RunningKpis",
]
