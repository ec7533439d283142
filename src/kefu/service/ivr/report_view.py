"""What the supervisors' IVR report page shows: :func:`~kefu.analytics.ivr.ivr_report` of
the IVR events in the channel log (the rows ``kefu ivr report`` reads from the database),
for the contacts that started in a window, with the exits where contacts left the flows.

Coverage is set against seed 001's 78 % target and abandonment by menu depth against seed
001's curve (52 % beyond 4 levels, 87 % at 7). Instants are seconds.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import Any

from kefu.analytics.ivr import ivr_report
from kefu.domain.ivr import events as ev
from kefu.service.channels.ports import ChannelRecord
from kefu.service.ivr.sessions import STREAM

__all__ = ["TOP_EXITS", "ivr_report_view", "stored_ivr_events"]

TOP_EXITS = 10
_DRIVER_KINDS = frozenset({"opened", "asked"})
_EXIT_OF: dict[type[ev.IvrEvent], str] = {
    ev.Ended: "self_service",
    ev.HandedOff: "agent",
    ev.Abandoned: "abandoned",
    ev.FlowChained: "flow",
}


def stored_ivr_events(records: Iterable[ChannelRecord]) -> list[ev.IvrEvent]:
    """The IVR events among the channel log's records, in log order."""
    return [
        ev.ivr_event_from_dict(r.data)
        for r in records
        if r.stream == STREAM and r.kind not in _DRIVER_KINDS
    ]


def _exits(events: Iterable[ev.IvrEvent]) -> list[dict[str, Any]]:
    counts: Counter[tuple[str, str]] = Counter()
    for e in events:
        kind = _EXIT_OF.get(type(e))
        if kind is not None:
            counts[(getattr(e, "node_id", ""), kind)] += 1
    total = sum(counts.values())
    return [
        {"node_id": node, "exit": kind, "count": n, "share": n / total}
        for (node, kind), n in counts.most_common(TOP_EXITS)
    ]


def ivr_report_view(records: Iterable[ChannelRecord], since: float, until: float) -> dict[str, Any]:
    """The report of the contacts whose first IVR event is in [``since``, ``until``)."""
    events = stored_ivr_events(records)
    first: dict[str, float] = {}
    for e in events:
        first.setdefault(e.contact_id, e.at)
    keep = {cid for cid, at in first.items() if since <= at < until}
    chosen = [e for e in events if e.contact_id in keep]
    report = ivr_report(chosen).to_dict()
    for row in report["depth"]:
        for key in ("abandon_rate", "cumulative"):
            if isinstance(row[key], float) and math.isnan(row[key]):
                row[key] = None
    report["exits"] = _exits(chosen)
    report["since"], report["until"] = since, until
    return report
