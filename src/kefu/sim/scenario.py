"""The scenario file: a YAML document validated with pydantic.

Every error names the field that is wrong, as a path such as ``queues[1].handle.mean_s``.
Times are seconds, rates per second; relative data paths are resolved against the
scenario file's folder. Unknown fields are refused. Schema (defaults in brackets)::

    name, description            text
    horizon_s                    arrivals come in [0, horizon_s); the run goes on until
                                 every contact is answered or gone
    interval_s [900]             reporting interval
    warmup_s [0]                 contacts queued before it are not counted
    seed [1], replications [1]
    ring_delay_s [0]             agents answer offers after this delay
    arrival_scale [1]            multiplies every Poisson arrival rate (what-if volume)
    busyness: {sd}               random factor of the day (gamma, mean 1, this sd) on
                                 every Poisson arrival rate, drawn per replication
    router: {offer_timeout_s [20], agent_order [skill_then_idle | longest_idle]}
    report: {wait_bins_s}        left edges of the wait histogram
    queues: list of
      id, name, channel [voice]  voice, chat, email, sms, social, branch, callback, workitem
      skills {name: level 1–10}, sl_target [0.8], sl_threshold_s [20], wrapup_s [0],
      short_abandon_s [5], aht_s [handle mean + wrap-up: the router's first estimate]
      overflow: [{after_s, skills, to_queue}]
      arrivals: one source or a list, each exactly one of
        rate_per_s               Poisson
        per_interval: [...]      expected arrivals in each interval (Poisson)
        profile: {total, weights}   expected total spread over equal slots (Poisson)
        replay: <data column>    real timestamps (with offset_s subtracted)
        times_s: [...]           fixed instants
      handle: <distribution>     talk time (wrap-up comes from wrapup_s)
      handle_by_group: {group: <distribution>}   talk time when that group serves
      patience [none]: <distribution> or {dist: none}
      balking: {tolerance: <distribution>, probability [1]}
      callback: {above_s, accept_share}
      transfer: {to_queue, share}
      initial_waiting [0]        contacts already in line at instant 0
      trunks [no limit]          lines: a contact holds one from arrival until it is done,
                                 abandons, balks or takes a callback; an arrival finding
                                 all lines busy is blocked (busy signal, never queued;
                                 not in offered or SL: its rate is reported apart)
      retrial: {probability, delay: <distribution>, after [blocked, abandoned],
                max_retries [3]}   blocked or abandoned customers call again
    agents: list of
      group, skills, capacity {channel: slots} [1 call, 3 chats, 5 e-mails…]
      count, ids or per_interval exactly one: N agents, named agents, or how many are
                                 logged in during each interval (the last value holds;
                                 replaces shift)
      shift: {start_s [0], end_s [never], breaks: [{start_s, duration_s, spread_s [0],
              reason [break]}]}
      present [true]             false: defined but never logged in

    <distribution>: {dist: exponential, mean_s} | {dist: lognormal, mean_s, sd_s}
                  | {dist: fixed, value_s} | {dist: empirical, values_s: [...]}
                  | {dist: uniform, low_s, high_s} | {dist: triangular, low_s, mode_s, high_s}
                  | {dist: gamma, mean_s, sd_s} | {dist: erlang, k, mean_s}
                  | {dist: empirical, data: <data column>}
    <data column>:  {path, column, delimiter [","], where {column: value},
                     positive_only [true]}   values in seconds or H:MM:SS

Examples: ``examples/seed001_hall.yaml``, ``examples/multiskill_day.yaml``,
``examples/bank_feb1999.yaml``, ``examples/trunk_lines.yaml``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PrivateAttr,
    model_validator,
)

from kefu.sim.scenario_parts import DataColumn as DataColumn
from kefu.sim.scenario_parts import DistributionSpec as DistributionSpec
from kefu.sim.scenario_parts import Empirical as Empirical
from kefu.sim.scenario_parts import ErlangK as ErlangK
from kefu.sim.scenario_parts import Exponential as Exponential
from kefu.sim.scenario_parts import Fixed as Fixed
from kefu.sim.scenario_parts import Gamma as Gamma
from kefu.sim.scenario_parts import LogNormal as LogNormal
from kefu.sim.scenario_parts import NoLimit as NoLimit
from kefu.sim.scenario_parts import PatienceSpec as PatienceSpec
from kefu.sim.scenario_parts import ScenarioError as ScenarioError
from kefu.sim.scenario_parts import StrictModel as _Model
from kefu.sim.scenario_parts import Triangular as Triangular
from kefu.sim.scenario_parts import Uniform as Uniform
from kefu.sim.scenario_queues import Arrivals as Arrivals
from kefu.sim.scenario_queues import Balking as Balking
from kefu.sim.scenario_queues import CallbackOffer as CallbackOffer
from kefu.sim.scenario_queues import Channel, Level
from kefu.sim.scenario_queues import QueueModel as QueueModel
from kefu.sim.scenario_queues import Retrial as Retrial

__all__ = [
    "AgentGroup",
    "Arrivals",
    "Balking",
    "Busyness",
    "CallbackOffer",
    "DataColumn",
    "DistributionSpec",
    "QueueModel",
    "Retrial",
    "Scenario",
    "ScenarioError",
]


class Break(_Model):
    """A break of ``duration_s``; with ``spread_s`` > 0 the group's agents start theirs
    spread evenly over [start_s, start_s + spread_s) so the floor is never emptied."""

    start_s: NonNegativeFloat
    duration_s: PositiveFloat
    spread_s: NonNegativeFloat = 0.0
    reason: str = "break"


class Shift(_Model):
    start_s: NonNegativeFloat = 0.0
    end_s: PositiveFloat | None = None
    breaks: list[Break] = Field(default_factory=list)

    @model_validator(mode="after")
    def _inside(self) -> Shift:
        end = float("inf") if self.end_s is None else self.end_s
        if end <= self.start_s:
            raise ValueError(f"end_s ({self.end_s}) must be after start_s ({self.start_s})")
        previous = self.start_s
        for i, b in enumerate(sorted(self.breaks, key=lambda b: b.start_s)):
            if b.start_s < previous or b.start_s + b.spread_s + b.duration_s > end:
                raise ValueError(
                    f"break {i} ({b.start_s}–{b.start_s + b.spread_s + b.duration_s} s, with "
                    "its spread) must lie inside "
                    "the shift and not overlap another break"
                )
            previous = b.start_s + b.spread_s + b.duration_s
        return self


class AgentGroup(_Model):
    """``count`` agents (or one per name in ``ids``) with the same skills and shift, or
    ``per_interval``: how many of the group are logged in during each reporting interval
    (the last value holds until the run ends; no ``shift`` then).
    ``present: false`` defines them but never logs them in (a closed counter)."""

    group: str = Field(min_length=1)
    count: Annotated[int, Field(ge=1)] | None = None
    ids: list[Annotated[str, Field(min_length=1)]] | None = None
    per_interval: list[NonNegativeInt] | None = Field(default=None, min_length=1)
    skills: dict[str, Level] = Field(default_factory=dict)
    capacity: dict[Channel, NonNegativeInt] | None = None
    shift: Shift = Shift()
    present: bool = True

    @model_validator(mode="after")
    def _count_or_ids(self) -> AgentGroup:
        given = [n for n in ("count", "ids", "per_interval") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of count, ids or per_interval"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if self.per_interval is not None and "shift" in self.model_fields_set:
            raise ValueError("per_interval sets when agents work: give it or shift, not both")
        if self.per_interval is not None and max(self.per_interval) == 0:
            raise ValueError("per_interval: at least one interval needs an agent")
        if self.ids is not None and len(set(self.ids)) != len(self.ids):
            raise ValueError("ids must be unique")
        return self

    @property
    def agent_ids(self) -> list[str]:
        if self.ids is not None:
            return list(self.ids)
        n = max(self.per_interval) if self.per_interval is not None else self.count
        assert n is not None
        width = len(str(n))
        return [f"{self.group}-{i:0{width}d}" for i in range(1, n + 1)]


class Busyness(_Model):
    """A random factor of the day, drawn once per replication from a gamma distribution
    with mean 1 and standard deviation ``sd``, multiplying every Poisson arrival rate."""

    sd: PositiveFloat


class RouterSettings(_Model):
    offer_timeout_s: PositiveFloat = 20.0
    agent_order: Literal["skill_then_idle", "longest_idle"] = "skill_then_idle"


class ReportSettings(_Model):
    wait_bins_s: list[NonNegativeFloat] | None = None


class Scenario(_Model):
    """A what-if: traffic, queues, agents, customer behaviour and run settings."""

    name: str = "scenario"
    description: str = ""
    horizon_s: PositiveFloat
    interval_s: PositiveFloat = 900.0
    warmup_s: NonNegativeFloat = 0.0
    seed: NonNegativeInt = 1
    replications: Annotated[int, Field(ge=1)] = 1
    ring_delay_s: NonNegativeFloat = 0.0
    busyness: Busyness | None = None
    arrival_scale: PositiveFloat = 1.0
    router: RouterSettings = RouterSettings()
    queues: list[QueueModel] = Field(min_length=1)
    agents: list[AgentGroup] = Field(default_factory=list)
    report: ReportSettings = ReportSettings()
    _base_dir: Path | None = PrivateAttr(default=None)

    @property
    def base_dir(self) -> Path | None:
        """Folder against which relative data paths are resolved."""
        return self._base_dir

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.warmup_s >= self.horizon_s:
            raise ValueError(f"warmup_s: {self.warmup_s} must be below horizon_s {self.horizon_s}")
        if self.ring_delay_s >= self.router.offer_timeout_s:
            raise ValueError("ring_delay_s: must be below router.offer_timeout_s")
        ids = [q.id for q in self.queues]
        for i, q in enumerate(self.queues):
            if q.id in ids[:i]:
                raise ValueError(f"queues[{i}].id: queue id {q.id!r} is used twice")
            for j, step in enumerate(q.overflow):
                if step.to_queue is not None and step.to_queue not in ids:
                    raise ValueError(
                        f"queues[{i}].overflow[{j}].to_queue: unknown queue {step.to_queue!r}"
                    )
            if q.transfer is not None and q.transfer.to_queue not in ids:
                raise ValueError(
                    f"queues[{i}].transfer.to_queue: unknown queue {q.transfer.to_queue!r}"
                )
        self.definition_order()  # refuses overflow cycles
        groups = {g.group for g in self.agents}
        for i, q in enumerate(self.queues):
            for name in q.handle_by_group:
                if name not in groups:
                    raise ValueError(
                        f"queues[{i}].handle_by_group.{name}: unknown agent group {name!r}"
                    )
        seen: set[str] = set()
        slots = math.ceil(self.horizon_s / self.interval_s)
        for i, g in enumerate(self.agents):
            if g.per_interval is not None and len(g.per_interval) > slots:
                raise ValueError(
                    f"agents[{i}].per_interval: {len(g.per_interval)} values for {slots} "
                    f"intervals of {self.interval_s:g} s in the horizon"
                )
            if g.group in seen:
                raise ValueError(f"agents[{i}].group: group name {g.group!r} is used twice")
            seen.add(g.group)
        all_ids = [a for g in self.agents for a in g.agent_ids]
        if len(set(all_ids)) != len(all_ids):
            raise ValueError("agents: agent ids must be unique across groups")
        return self

    def definition_order(self) -> list[QueueModel]:
        """Queues ordered so that every overflow target is defined before its source."""
        by_id = {q.id: q for q in self.queues}
        order: list[QueueModel] = []
        state: dict[str, int] = {}

        def visit(q: QueueModel, path: list[str]) -> None:
            if state.get(q.id) == 2:
                return
            if state.get(q.id) == 1:
                cycle = " → ".join([*path, q.id])
                raise ValueError(f"queues.overflow: overflow targets form a cycle: {cycle}")
            state[q.id] = 1
            for step in q.overflow:
                if step.to_queue is not None and step.to_queue != q.id:
                    visit(by_id[step.to_queue], [*path, q.id])
            state[q.id] = 2
            order.append(q)

        for q in self.queues:
            visit(q, [])
        return order
