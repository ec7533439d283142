"""A deliberately naive KPI computation from an event log, to check the accumulator.

It replays the whole log per question (no incremental state), sweeping time instant by
instant; slow but obviously right.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from kefu.domain import events as ev


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def oracle(
    events: Sequence[ev.Event],
    *,
    interval_s: float,
    start: float,
    end: float,
    now: float,
    groups: Mapping[str, str],
) -> dict[str, Any]:
    """Per (queue, interval) counts, occupancy per (group, interval) and queue-length areas."""
    specs = {e.spec.queue_id: e.spec for e in events if isinstance(e, ev.QueueDefined)}
    stop = min(end, now)
    ks = range(int(start // interval_s), math.ceil(stop / interval_s)) if stop > start else range(0)

    def interval(t: float) -> int:
        return int(t // interval_s)

    counts: dict[tuple[str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    # Queue visits: (queue, entered, estimate) per contact.
    visit: dict[str, tuple[str, float, float | None, float | None]] = {}
    waiting_spans: list[tuple[str, float, float]] = []  # queue, from, to
    for e in events:
        if isinstance(e, ev.ContactQueued):
            visit[e.contact_id] = (e.queue_id, e.at, e.estimated_wait_s, None)
            if start <= e.at < end:
                counts[e.queue_id, interval(e.at)]["offered"] += 1
        elif isinstance(e, ev.ContactTransferred):
            q, entered, _, answered = visit[e.contact_id]
            if start <= entered < end and answered is not None:
                c = counts[q, interval(entered)]
                c["handled"] += 1
                c["handle_sum"] += e.at - answered
            target = e.to_queue_id or q
            visit[e.contact_id] = (target, e.at, None, None)
            if start <= e.at < end:
                counts[target, interval(e.at)]["offered"] += 1
        elif isinstance(e, ev.OfferAccepted):
            q, entered, est, _ = visit[e.contact_id]
            visit[e.contact_id] = (q, entered, est, e.at)
            waiting_spans.append((q, entered, e.at))
            if start <= entered < end:
                c = counts[q, interval(entered)]
                wait = e.at - entered
                c["answered"] += 1
                c["wait_sum"] += wait
                c["in_sl"] += wait <= specs[q].sl_threshold_s
                c["immediate"] += wait <= 0.0
                if est is not None:
                    c["pred_abs"] += abs(est - wait)
        elif isinstance(e, ev.ContactAbandoned):
            q, entered, _, _ = visit.pop(e.contact_id)
            waiting_spans.append((q, entered, e.at))
            if start <= entered < end:
                c = counts[q, interval(entered)]
                c["abandoned"] += 1
                c["short"] += e.at - entered < specs[q].short_abandon_s
        elif isinstance(e, ev.WrapupEnded):
            q, entered, _, answered = visit.pop(e.contact_id)
            if start <= entered < end and answered is not None:
                c = counts[q, interval(entered)]
                c["handled"] += 1
                c["handle_sum"] += e.at - answered
    for q, entered, _, answered in visit.values():
        if answered is None:
            waiting_spans.append((q, entered, now))
            # Still waiting no longer than T at ``now``: SL's outcome not known yet.
            if start <= entered < end and now - entered <= specs[q].sl_threshold_s:
                counts[q, interval(entered)]["waiting_within_sl"] += 1

    # Queue length: integrate each waiting span over each interval of the window; the peak
    # is the largest count held for some time (spans are [queued, answered or gone)).
    area: dict[tuple[str, int], float] = defaultdict(float)
    peak: dict[tuple[str, int], int] = defaultdict(int)
    for k in ks:
        lo, hi = max(k * interval_s, start), min((k + 1) * interval_s, stop)
        for q in [*specs, "*"]:
            spans = [(t0, t1) for p, t0, t1 in waiting_spans if q in (p, "*")]
            area[q, k] = sum(_overlap(t0, t1, lo, hi) for t0, t1 in spans)
            for t in [lo] + [t0 for t0, _ in spans if lo < t0 < hi]:
                held = sum(1 for t0, t1 in spans if t0 <= t < t1)
                peak[q, k] = max(peak[q, k], held)

    # Occupancy: each agent's category over time, from its own events.
    handling: dict[tuple[str, int], float] = defaultdict(float)
    idle: dict[tuple[str, int], float] = defaultdict(float)
    state: dict[str, dict[str, Any]] = {}
    for e in events:
        agent_id = getattr(e, "agent_id", None)
        if isinstance(e, ev.AgentDefined):
            agent_id = e.spec.agent_id
            state[agent_id] = {"ready": False, "offered": 0, "active": 0, "since": e.at}
            continue
        if isinstance(e, ev.ContactTransferred):
            agent_id = e.from_agent_id
        if agent_id is None or isinstance(e, ev.AgentStatePending | ev.ContactCompleted):
            continue
        if agent_id not in state:
            continue
        s = state[agent_id]
        _close(s, e.at, groups[agent_id], ks, interval_s, start, stop, handling, idle)
        if isinstance(e, ev.AgentStateChanged):
            s["ready"] = e.presence == "ready"
        elif isinstance(e, ev.OfferCreated):
            s["offered"] += 1
        elif isinstance(e, ev.OfferAccepted):
            s["offered"] -= 1
            s["active"] += 1
        elif isinstance(e, ev.OfferRejected | ev.OfferTimedOut | ev.OfferWithdrawn):
            s["offered"] -= 1
        elif isinstance(e, ev.WrapupEnded | ev.ContactTransferred):
            s["active"] -= 1
    for agent_id, s in state.items():
        _close(s, now, groups[agent_id], ks, interval_s, start, stop, handling, idle)
    return {
        "counts": counts,
        "area": area,
        "peak": peak,
        "handling": handling,
        "idle": idle,
        "ks": ks,
    }


def _close(
    s: dict[str, Any],
    at: float,
    group: str,
    ks: range,
    size: float,
    start: float,
    stop: float,
    handling: dict[tuple[str, int], float],
    idle: dict[tuple[str, int], float],
) -> None:
    target = None
    if s["active"]:
        target = handling
    elif s["ready"] and not s["offered"]:
        target = idle
    if target is not None:
        for k in ks:
            lo, hi = max(k * size, start), min((k + 1) * size, stop)
            target[group, k] += _overlap(s["since"], at, lo, hi)
    s["since"] = at
