"""Staffing plans: required and scheduled agents per interval and queue.

From per-interval volumes (contacts and mean handle time per queue), each interval's
arrival rate is ``contacts / interval length`` (per second) and its traffic is
``rate × aht`` (Erlangs). The fewest agents on the phone meeting the targets come from
:func:`kefu.workforce.erlang.required_agents_array` (Erlang C, or Erlang A with a
patience); shrinkage (breaks, training, absence: paid time not available for contacts)
turns them into agents to schedule: ``scheduled = ceil(required / (1 − shrinkage))``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from kefu.workforce.erlang_abandon import erlang_a_array
from kefu.workforce.erlang_bc import average_speed_of_answer_array, service_level_array
from kefu.workforce.required import StaffingTarget, required_agents_array

__all__ = [
    "HIGH_ABANDON",
    "PlanRow",
    "StaffingPlan",
    "VolumeRow",
    "build_plan",
    "infer_interval_seconds",
    "pooling_notes",
]

HIGH_ABANDON = 0.05
"""Above this predicted abandonment a met service-level target deserves a warning."""


@dataclass(frozen=True, slots=True)
class VolumeRow:
    """Contacts offered to ``queue`` in the interval starting at ``interval_start``.

    ``aht`` is the mean handle time in seconds (talk + hold + wrap-up).
    """

    interval_start: datetime
    queue: str
    contacts: float
    aht: float


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One interval of one queue in a staffing plan.

    ``arrival_rate`` per second; ``traffic`` in Erlangs; ``required`` agents on the phone;
    ``scheduled`` agents after shrinkage; predicted ``service_level`` (fraction answered
    within the threshold, over all arrivals under Erlang A), ``asa`` (s, mean wait of
    answered contacts), ``occupancy`` (fraction) and ``abandon`` (fraction of arrivals,
    ``None`` without a patience).
    """

    interval_start: datetime
    queue: str
    contacts: float
    aht: float
    arrival_rate: float
    traffic: float
    required: int
    scheduled: int
    service_level: float
    asa: float
    occupancy: float
    abandon: float | None


@dataclass(frozen=True, slots=True)
class StaffingPlan:
    """A plan: rows sorted by queue then interval, with the inputs that produced them."""

    rows: tuple[PlanRow, ...]
    interval_seconds: float
    target: StaffingTarget
    shrinkage: float
    notes: tuple[str, ...] = ()

    def high_abandon_rows(self, limit: float = HIGH_ABANDON) -> list[PlanRow]:
        """Rows whose predicted abandonment exceeds ``limit`` (Erlang A plans only)."""
        return [r for r in self.rows if r.abandon is not None and r.abandon > limit]


def infer_interval_seconds(rows: Iterable[VolumeRow]) -> float:
    """The interval length in seconds: the smallest gap between starts of one queue."""
    starts: dict[str, set[datetime]] = {}
    for row in rows:
        starts.setdefault(row.queue, set()).add(row.interval_start)
    gaps = [
        (b - a).total_seconds()
        for times in starts.values()
        for a, b in zip(sorted(times), sorted(times)[1:], strict=False)
    ]
    if not gaps:
        raise ValueError(
            "cannot infer the interval length: every queue has a single interval; "
            "give the interval length explicitly"
        )
    return min(gaps)


def pooling_notes(queues: Iterable[str], groups: Mapping[str, str]) -> list[str]:
    """Notes for agent groups that serve several of ``queues`` (bilingual)."""
    present = set(queues)
    members: dict[str, list[str]] = {}
    for queue, group in groups.items():
        if queue in present:
            members.setdefault(group, []).append(queue)
    notes = []
    for group, shared in sorted(members.items()):
        if len(shared) > 1:
            names = ", ".join(sorted(shared))
            names_zh = "、".join(sorted(shared))
            notes.append(
                f"Queues {names} share agent group {group}: each is staffed here as if it "
                "had its own agents (an upper bound); the pooling gain will be measured by "
                f"the simulator. 队列 {names_zh} 共用座席组 {group}：此处按独立队列计算"
                "（上限），合并排队的效益由仿真测量。"
            )
    return notes


def _check_rows(rows: Sequence[VolumeRow]) -> None:
    seen: set[tuple[str, datetime]] = set()
    for row in rows:
        key = (row.queue, row.interval_start)
        if key in seen:
            raise ValueError(f"queue {row.queue!r} has two rows for {row.interval_start}")
        seen.add(key)
        if not (math.isfinite(row.contacts) and row.contacts >= 0.0):
            raise ValueError(f"contacts must be >= 0, got {row.contacts} for {key}")
        if not (math.isfinite(row.aht) and row.aht >= 0.0):
            raise ValueError(f"aht must be >= 0 seconds, got {row.aht} for {key}")
        if row.contacts > 0.0 and row.aht == 0.0:
            raise ValueError(f"aht must be > 0 seconds when there are contacts, for {key}")


def build_plan(
    volumes: Sequence[VolumeRow],
    target: StaffingTarget,
    *,
    shrinkage: float = 0.0,
    interval_seconds: float | None = None,
    groups: Mapping[str, str] | None = None,
) -> StaffingPlan:
    """Required and scheduled agents for every row of ``volumes`` (see module doc).

    ``shrinkage`` is the fraction of paid time unavailable for contacts, in [0, 1);
    ``interval_seconds`` defaults to :func:`infer_interval_seconds`; ``groups`` maps queues
    to agent groups, to note where queues share agents.
    """
    if not volumes:
        raise ValueError("no volumes to staff")
    if not (math.isfinite(shrinkage) and 0.0 <= shrinkage < 1.0):
        raise ValueError(f"shrinkage must be in [0, 1), got {shrinkage}")
    _check_rows(volumes)
    if interval_seconds is None:
        interval_seconds = infer_interval_seconds(volumes)
    if not (math.isfinite(interval_seconds) and interval_seconds > 0.0):
        raise ValueError(f"interval length must be > 0 seconds, got {interval_seconds}")
    ordered = sorted(volumes, key=lambda r: (r.queue, r.interval_start))
    contacts = np.array([r.contacts for r in ordered])
    aht = np.array([r.aht if r.contacts > 0.0 else 1.0 for r in ordered])
    rate = contacts / interval_seconds
    traffic = rate * aht
    required = required_agents_array(
        rate,
        aht,
        service_level=target.service_level,
        threshold=target.threshold,
        asa=target.asa,
        abandon=target.abandon,
        patience=target.patience,
        max_occupancy=target.max_occupancy,
    )
    scheduled = np.ceil(required / (1.0 - shrinkage) - 1e-9).astype(np.int64)
    sl, asa, occ, abandon = _predict(target, rate, aht, traffic, required)
    rows = tuple(
        PlanRow(
            interval_start=r.interval_start,
            queue=r.queue,
            contacts=r.contacts,
            aht=r.aht,
            arrival_rate=float(rate[i]),
            traffic=float(traffic[i]),
            required=int(required[i]),
            scheduled=int(scheduled[i]),
            service_level=float(sl[i]),
            asa=float(asa[i]),
            occupancy=float(occ[i]),
            abandon=None if abandon is None else float(abandon[i]),
        )
        for i, r in enumerate(ordered)
    )
    notes = pooling_notes((r.queue for r in ordered), groups or {})
    return StaffingPlan(rows, float(interval_seconds), target, shrinkage, tuple(notes))


def _predict(
    target: StaffingTarget,
    rate: np.ndarray,
    aht: np.ndarray,
    traffic: np.ndarray,
    required: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Predicted SL, ASA, occupancy and abandonment at the required staffing."""
    staffed = required > 0
    n = np.where(staffed, required, 1).astype(float)
    sl = np.ones_like(rate)
    asa = np.zeros_like(rate)
    occ = np.zeros_like(rate)
    if target.uses_abandonment:
        assert target.patience is not None
        m = erlang_a_array(rate, aht, target.patience, n, target.threshold)
        abandon = np.where(staffed, m.p_abandon, 0.0)
        sl = np.where(staffed, m.service_level, 1.0)
        asa = np.where(staffed, m.asa, 0.0)
        occ = np.where(staffed, m.occupancy, 0.0)
        return sl, asa, occ, abandon
    stable = staffed & (traffic < n)
    sl[stable] = service_level_array(traffic[stable], n[stable], aht[stable], target.threshold)
    asa[stable] = average_speed_of_answer_array(traffic[stable], n[stable], aht[stable])
    occ[staffed] = traffic[staffed] / n[staffed]
    return sl, asa, occ, None
