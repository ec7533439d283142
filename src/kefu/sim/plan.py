"""Compile a validated :class:`Scenario` into what the engine runs: router specs, samplers,
arrival generators and each agent's presence timeline. Data files are read here, once."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kefu.analytics import DEFAULT_WAIT_BINS_S
from kefu.domain.model import DEFAULT_CAPACITY, AgentSpec, Channel, OverflowStep, QueueSpec
from kefu.domain.routing import RouterConfig
from kefu.sim import distributions as d
from kefu.sim import scenario as sc

__all__ = [
    "AgentPlan",
    "ArrivalPlan",
    "Plan",
    "QueuePlan",
    "compile_scenario",
    "read_column",
    "staffed_timeline",
]


def _seconds(text: str) -> float | None:
    """Seconds from '12.5' or 'H:MM:SS'; None when empty or unparsable."""
    text = text.strip()
    if not text:
        return None
    try:
        if ":" in text:
            value = 0.0
            for part in text.split(":"):
                value = value * 60.0 + float(part)
            return value
        return float(text)
    except ValueError:
        return None


def read_column(spec: sc.DataColumn, base_dir: Path | None, field: str = "data") -> np.ndarray:
    """The values (seconds) of one column of a delimited file, filtered by ``where``;
    errors name the scenario ``field`` that gave the file."""
    path = Path(spec.path)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f, delimiter=spec.delimiter)
            fields = [c.strip() for c in (reader.fieldnames or [])]
            for name in [spec.column, *spec.where]:
                if name not in fields:
                    raise sc.ScenarioError(
                        f"{field}: {path.name} has no column {name!r} "
                        f"(columns: {', '.join(fields)})"
                    )
            values = []
            for row in reader:
                row = {k.strip(): (v or "") for k, v in row.items() if k is not None}
                if any(row.get(k, "").strip() != v for k, v in spec.where.items()):
                    continue
                value = _seconds(row[spec.column])
                if value is None or (spec.positive_only and value <= 0):
                    continue
                values.append(value)
    except OSError as exc:
        raise sc.ScenarioError(
            f"{field}: cannot read data file {path}: {exc.strerror or exc}"
        ) from None
    if not values:
        raise sc.ScenarioError(f"{field}: {path.name} has no usable values in {spec.column!r}")
    return np.asarray(values, dtype=float)


_Spec = (
    sc.Exponential
    | sc.LogNormal
    | sc.Fixed
    | sc.Empirical
    | sc.Uniform
    | sc.Triangular
    | sc.Gamma
    | sc.ErlangK
    | sc.NoLimit
)


def _distribution(spec: _Spec, base_dir: Path | None, field: str) -> d.Distribution:
    if isinstance(spec, sc.Uniform):
        return d.Uniform(spec.low_s, spec.high_s)
    if isinstance(spec, sc.Triangular):
        return d.Triangular(spec.low_s, spec.mode_s, spec.high_s)
    if isinstance(spec, sc.Gamma):
        return d.Gamma(spec.mean_s, spec.sd_s)
    if isinstance(spec, sc.ErlangK):
        return d.Gamma(spec.mean_s, spec.mean_s / math.sqrt(spec.k))
    if isinstance(spec, sc.Exponential):
        return d.Exponential(spec.mean_s)
    if isinstance(spec, sc.LogNormal):
        return d.LogNormal(spec.mean_s, spec.sd_s)
    if isinstance(spec, sc.Fixed):
        return d.Fixed(spec.value_s)
    if isinstance(spec, sc.Empirical):
        if spec.values_s is not None:
            return d.Empirical(spec.values_s)
        assert spec.data is not None
        return d.Empirical(read_column(spec.data, base_dir, f"{field}.data"))
    return d.Never()


@dataclass(frozen=True, slots=True, eq=False)
class ArrivalPlan:
    """How one queue's arrival instants (seconds in [0, horizon)) are generated."""

    kind: str  # "rate", "slots" or "times"
    rate_per_s: float = 0.0
    slot_s: float = 0.0
    expected: np.ndarray | None = None  # expected arrivals per slot ("slots")
    times: np.ndarray | None = None  # fixed instants ("times")

    def generate(self, rng: np.random.Generator, horizon: float, scale: float = 1.0) -> np.ndarray:
        """Sorted arrival instants: Poisson (homogeneous or piecewise constant, its rate
        multiplied by ``scale``) or fixed (``scale`` does not apply)."""
        if self.kind == "times":
            assert self.times is not None
            return self.times
        if self.kind == "rate":
            n = rng.poisson(self.rate_per_s * scale * horizon)
            return np.sort(rng.uniform(0.0, horizon, n))
        assert self.expected is not None
        # Piecewise-constant rate: a Poisson count per slot, spread uniformly inside it.
        counts = rng.poisson(self.expected * scale)
        starts = np.repeat(np.arange(counts.size) * self.slot_s, counts)
        ends = np.minimum(starts + self.slot_s, horizon)
        times = starts + rng.random(starts.size) * (ends - starts)
        return np.sort(times)


def _arrivals(spec: sc.Arrivals, scenario: sc.Scenario, where: str) -> ArrivalPlan:
    horizon, interval = scenario.horizon_s, scenario.interval_s
    if spec.rate_per_s is not None:
        return ArrivalPlan("rate", rate_per_s=spec.rate_per_s)
    if spec.per_interval is not None:
        slots = math.ceil(horizon / interval)
        if len(spec.per_interval) > slots:
            raise sc.ScenarioError(
                f"{where}.per_interval: {len(spec.per_interval)} values for "
                f"{slots} intervals of {interval:g} s in the horizon"
            )
        expected = np.asarray(spec.per_interval, dtype=float)
        # The last interval may be cut by the horizon: scale its expectation.
        cut = min(interval, horizon - (slots - 1) * interval) / interval
        if expected.size == slots:
            expected[-1] *= cut
        return ArrivalPlan("slots", slot_s=interval, expected=expected)
    if spec.profile is not None:
        weights = np.asarray(spec.profile.weights, dtype=float)
        if weights.sum() <= 0:
            raise sc.ScenarioError(f"{where}.profile.weights: all weights are 0")
        expected = spec.profile.total * weights / weights.sum()
        return ArrivalPlan("slots", slot_s=horizon / weights.size, expected=expected)
    if spec.replay is not None:
        raw = read_column(spec.replay, scenario.base_dir, f"{where}.replay") - spec.offset_s
    else:
        assert spec.times_s is not None
        raw = np.asarray(spec.times_s, dtype=float) - spec.offset_s
    times = np.sort(raw[(raw >= 0) & (raw < horizon)])
    return ArrivalPlan("times", times=times)


def _retrial(q: sc.QueueModel, base_dir: Path | None, where: str) -> dict[str, Any]:
    r = q.retrial
    if r is None:
        return {}
    return {
        "retry_probability": r.probability,
        "retry_delay": _distribution(r.delay, base_dir, f"{where}.retrial.delay"),
        "retry_after_blocked": "blocked" in r.after,
        "retry_after_abandon": "abandoned" in r.after,
        "retry_max": r.max_retries,
    }


@dataclass(frozen=True, slots=True, eq=False)
class QueuePlan:
    index: int
    spec: QueueSpec
    arrivals: tuple[ArrivalPlan, ...]  # merged: several sources may feed one queue
    handle: d.Distribution
    patience: d.Distribution
    balk_tolerance: d.Distribution | None
    balk_probability: float
    callback_above_s: float | None
    callback_share: float
    transfer_to: int | None
    transfer_share: float
    initial_waiting: int
    trunks: int | None = None
    retry_probability: float = 0.0  # 0: no retrials
    retry_delay: d.Distribution | None = None
    retry_after_blocked: bool = False
    retry_after_abandon: bool = False
    retry_max: int = 0
    handle_by_group: tuple[tuple[str, d.Distribution], ...] = ()


@dataclass(frozen=True, slots=True)
class AgentPlan:
    spec: AgentSpec
    group: str
    timeline: tuple[tuple[float, str, str | None], ...]  # (instant s, presence, reason)


@dataclass(frozen=True, slots=True, eq=False)
class Plan:
    name: str
    horizon_s: float
    interval_s: float
    warmup_s: float
    ring_delay_s: float
    router: RouterConfig
    queues: tuple[QueuePlan, ...]  # in scenario order
    define_order: tuple[int, ...]  # queue indexes, overflow targets first
    agents: tuple[AgentPlan, ...]
    wait_bins_s: tuple[float, ...]
    seed: int
    replications: int
    busyness_sd: float | None = None  # sd of the gamma day factor (mean 1); None: no factor
    arrival_scale: float = 1.0  # multiplies every Poisson arrival rate


def staffed_timeline(
    per_interval: list[int], rank: int, interval: float
) -> tuple[tuple[float, str, str | None], ...]:
    """The ``rank``-th agent (from 0) is logged in during the intervals staffing more than
    ``rank`` agents; the last interval's state holds."""
    out: list[tuple[float, str, str | None]] = []
    working = False
    for k, n in enumerate(per_interval):
        if (rank < n) != working:
            working = not working
            out.append((k * interval, "ready" if working else "offline", None))
    return tuple(out)


def _timeline(
    group: sc.AgentGroup, rank: int, size: int, horizon: float, interval: float
) -> tuple[tuple[float, str, str | None], ...]:
    """Presence changes (instant s, presence, reason) of the ``rank``-th of ``size`` agents."""
    if not group.present:
        return ()
    if group.per_interval is not None:
        return staffed_timeline(group.per_interval, rank, interval)
    shift = group.shift
    out: list[tuple[float, str, str | None]] = [(shift.start_s, "ready", None)]
    for b in sorted(shift.breaks, key=lambda b: b.start_s):
        start = b.start_s + b.spread_s * rank / size
        out.append((start, "not_ready", b.reason))
        out.append((start + b.duration_s, "ready", None))
    if shift.end_s is not None:
        out.append((shift.end_s, "offline", None))
    return tuple(item for item in out if item[0] <= horizon)


def compile_scenario(scenario: sc.Scenario) -> Plan:
    """Resolve a scenario into router specs and samplers (reads any data files)."""
    index = {q.id: i for i, q in enumerate(scenario.queues)}
    queues = []
    for i, q in enumerate(scenario.queues):
        where = f"queues[{i}]"
        handle = _distribution(q.handle, scenario.base_dir, f"{where}.handle")
        spec = QueueSpec(
            queue_id=q.id,
            channel=Channel(q.channel),
            skills=dict(q.skills),
            sl_target=q.sl_target,
            sl_threshold_s=q.sl_threshold_s,
            wrapup_s=q.wrapup_s,
            short_abandon_s=q.short_abandon_s,
            aht_s=q.aht_s if q.aht_s is not None else max(handle.mean_s + q.wrapup_s, 1e-9),
            overflow=tuple(
                OverflowStep(s.after_s, None if s.skills is None else dict(s.skills), s.to_queue)
                for s in q.overflow
            ),
            name=q.name,
        )
        queues.append(
            QueuePlan(
                index=i,
                spec=spec,
                arrivals=tuple(
                    _arrivals(a, scenario, f"{where}.arrivals[{j}]")
                    for j, a in enumerate(q.arrivals)
                ),
                handle=handle,
                patience=_distribution(q.patience, scenario.base_dir, f"{where}.patience"),
                balk_tolerance=None
                if q.balking is None
                else _distribution(
                    q.balking.tolerance, scenario.base_dir, f"{where}.balking.tolerance"
                ),
                balk_probability=0.0 if q.balking is None else q.balking.probability,
                callback_above_s=None if q.callback is None else q.callback.above_s,
                callback_share=0.0 if q.callback is None else q.callback.accept_share,
                transfer_to=None if q.transfer is None else index[q.transfer.to_queue],
                transfer_share=0.0 if q.transfer is None else q.transfer.share,
                initial_waiting=q.initial_waiting,
                trunks=q.trunks,
                **_retrial(q, scenario.base_dir, where),
                handle_by_group=tuple(
                    (g, _distribution(spec, scenario.base_dir, f"{where}.handle_by_group.{g}"))
                    for g, spec in q.handle_by_group.items()
                ),
            )
        )
    agents = []
    for g in scenario.agents:
        capacity = dict(DEFAULT_CAPACITY)
        if g.capacity is not None:
            capacity = {Channel(c): n for c, n in g.capacity.items()}
        ids = g.agent_ids
        for rank, agent_id in enumerate(ids):
            agent = AgentSpec(
                agent_id=agent_id, skills=dict(g.skills), capacity=capacity, name=g.group
            )
            timeline = _timeline(g, rank, len(ids), scenario.horizon_s, scenario.interval_s)
            agents.append(AgentPlan(agent, g.group, timeline))
    bins = scenario.report.wait_bins_s
    return Plan(
        name=scenario.name,
        horizon_s=scenario.horizon_s,
        interval_s=scenario.interval_s,
        warmup_s=scenario.warmup_s,
        ring_delay_s=scenario.ring_delay_s,
        router=RouterConfig(
            offer_timeout_s=scenario.router.offer_timeout_s,
            agent_order=scenario.router.agent_order,
            retain_closed=False,
        ),
        queues=tuple(queues),
        define_order=tuple(index[q.id] for q in scenario.definition_order()),
        agents=tuple(agents),
        wait_bins_s=DEFAULT_WAIT_BINS_S if bins is None else tuple(sorted({0.0, *bins})),
        seed=scenario.seed,
        replications=scenario.replications,
        busyness_sd=None if scenario.busyness is None else scenario.busyness.sd,
        arrival_scale=scenario.arrival_scale,
    )
