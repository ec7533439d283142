"""Two IVR flows on the same traffic: the digital twin's expected effect of a new version.

Each replication draws one set of callers (Poisson arrivals at ``calls_per_hour`` over
``horizon_s``; intents, patience and per-level draws by :mod:`kefu.sim.ivr_callers`) and
runs them through both flows: common random numbers, so the per-replication differences
have little noise. The callers each flow hands to an agent become the arrivals of the
simulator's queues (:func:`kefu.sim.run_replication`, the real router), with the same
seed for both flows. Figures per flow and replication:

- ``abandonment``: callers who gave up, in the IVR or in the queue, over all callers;
- ``time_to_service_s``: mean over served callers of the time from arrival to their
  self-service (reaching the intent's node) or to an agent's answer;
- ``agent_contacts``: callers handed to agents; ``occupancy``: the agents' busy share;
- ``service_level``: answered within the queue's threshold, over offered (the router's SL).

:class:`FlowComparison` holds each figure's mean per flow and the mean difference
(proposed − current) with its 95 % confidence interval over the replications.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from kefu.analytics.ivr import IvrReport
from kefu.domain.ivr.flow import CallbackNode, Flow, MenuNode, TransferNode
from kefu.sim.engine import run_replication
from kefu.sim.ivr_callers import CallerModel, CallerResult, simulate_callers
from kefu.sim.plan import compile_scenario
from kefu.sim.scenario_io import parse_scenario
from kefu.sim.summary import Estimate, estimate

__all__ = ["AgentFloor", "FlowComparison", "compare_flows", "intents_from_report"]

FIGURES = ("abandonment", "time_to_service_s", "agent_contacts", "occupancy", "service_level")


@dataclass(frozen=True, slots=True)
class AgentFloor:
    """The agents behind the flows: ``agents`` serving every queue, handle time (s,
    exponential), queue patience (s, exponential), SL threshold (s)."""

    agents: int = 5
    handle_mean_s: float = 240.0
    patience_mean_s: float = 180.0
    sl_threshold_s: float = 20.0


@dataclass(frozen=True, slots=True)
class FlowComparison:
    """Per figure: ``current`` and ``proposed`` means and ``difference`` (proposed −
    current) with its 95 % confidence interval, over ``replications``."""

    replications: int
    callers: int
    current: Mapping[str, Estimate]
    proposed: Mapping[str, Estimate]
    difference: Mapping[str, Estimate]

    def to_dict(self) -> dict[str, Any]:
        return {
            "replications": self.replications,
            "callers": self.callers,
            "figures": {
                k: {
                    "current": self.current[k].to_dict(),
                    "proposed": self.proposed[k].to_dict(),
                    "difference": self.difference[k].to_dict(),
                }
                for k in FIGURES
            },
        }


def intents_from_report(flow: Flow, report: IvrReport) -> dict[str, float]:
    """What callers came for, from the measured choices: the node each final menu choice
    (one not leading to another menu) led to, plus the agent node for those who asked for
    an agent. Callers who gave up before choosing are assumed to want the same mix."""
    intents: dict[str, float] = {}
    for o in report.options:
        target = flow.nodes.get(o.next)
        if target is None or isinstance(target, MenuNode):
            continue
        intents[o.next] = intents.get(o.next, 0.0) + o.count
    asked = report.to_agents_by_reason.get("agent_requested", 0)
    if asked:
        intents[flow.agent] = intents.get(flow.agent, 0.0) + asked
    if not intents:
        raise ValueError("the traffic has no menu choice of this flow: no intent to simulate")
    return intents


def _queues(flow: Flow) -> set[str]:
    return {n.queue for n in flow.nodes.values() if isinstance(n, TransferNode | CallbackNode)}


def _figures(
    callers: list[CallerResult], queues: list[str], floor: AgentFloor, horizon_s: float, seed: Any
) -> dict[str, float]:
    """Run the agents on the callers handed off; the figures of this flow (module doc)."""
    handed: dict[str, list[CallerResult]] = defaultdict(list)
    for c in callers:
        if c.outcome == "agent" and c.queue_id is not None:
            handed[c.queue_id].append(c)
    for q in handed:
        handed[q].sort(key=lambda c: c.left_s)
    end = max([horizon_s, *(c.left_s + 1.0 for c in callers)])
    scenario = parse_scenario(
        {
            "name": "ivr twin",
            "horizon_s": end,
            "interval_s": end,
            "queues": [
                {
                    "id": q,
                    "sl_threshold_s": floor.sl_threshold_s,
                    "arrivals": {"times_s": [c.left_s for c in handed[q]]},
                    "handle": {"dist": "exponential", "mean_s": floor.handle_mean_s},
                    "patience": {"dist": "exponential", "mean_s": floor.patience_mean_s},
                }
                for q in queues
            ],
            "agents": [{"group": "agents", "count": floor.agents}],
        }
    )
    rep = run_replication(compile_scenario(scenario), seed, trace=True)
    waits: dict[str, float] = {}
    gone: set[str] = set()
    for t in rep.trace or ():
        if t.outcome == "answered" and t.wait_s is not None:
            waits[t.contact_id] = t.wait_s
        elif t.outcome in ("abandoned", "balked"):
            gone.add(t.contact_id)
    abandoned = sum(c.outcome == "abandoned" for c in callers)
    served: list[float] = []
    for c in callers:
        if c.outcome == "contained" and c.served_s is not None:
            served.append(c.served_s - c.arrived_s)
    for q, items in handed.items():
        for k, c in enumerate(items, 1):
            cid = f"{q}-{k}"  # the engine numbers a queue's arrivals in time order
            if cid in waits:
                served.append(c.left_s - c.arrived_s + waits[cid])
            elif cid in gone:
                abandoned += 1
    total = rep.report.total
    occupancy = [g.occupancy for g in rep.report.groups.values() if g.occupancy is not None]
    n = len(callers)
    return {
        "abandonment": abandoned / n if n else math.nan,
        "time_to_service_s": math.fsum(served) / len(served) if served else math.nan,
        "agent_contacts": float(sum(len(v) for v in handed.values())),
        "occupancy": occupancy[0] if occupancy else math.nan,
        "service_level": math.nan if total.service_level is None else total.service_level,
    }


def compare_flows(
    current: Flow,
    proposed: Flow,
    model: CallerModel,
    *,
    calls_per_hour: float,
    horizon_s: float = 3600.0,
    floor: AgentFloor | None = None,
    replications: int = 10,
    seed: int = 1,
) -> FlowComparison:
    """Run both flows on the same callers ``replications`` times (module doc)."""
    if calls_per_hour <= 0 or horizon_s <= 0 or replications < 2:
        raise ValueError("calls_per_hour and horizon_s must be > 0, replications ≥ 2")
    floor = floor or AgentFloor()
    queues = sorted(_queues(current) | _queues(proposed))
    rows: dict[str, list[dict[str, float]]] = {"current": [], "proposed": []}
    callers = 0
    for r in range(replications):
        callers_seed, agents_seed = np.random.SeedSequence(seed, spawn_key=(r,)).spawn(2)
        rng = np.random.default_rng(callers_seed.spawn(1)[0])
        n = int(rng.poisson(calls_per_hour * horizon_s / 3600.0))
        arrivals = np.sort(rng.uniform(0.0, horizon_s, n)).tolist()
        callers += n
        for name, flow in (("current", current), ("proposed", proposed)):
            sims = simulate_callers(flow, model, arrivals, callers_seed)
            rows[name].append(_figures(sims, queues, floor, horizon_s, agents_seed))
    cur = {k: estimate([row[k] for row in rows["current"]]) for k in FIGURES}
    pro = {k: estimate([row[k] for row in rows["proposed"]]) for k in FIGURES}
    diff = {
        k: estimate([p[k] - c[k] for c, p in zip(rows["current"], rows["proposed"], strict=True)])
        for k in FIGURES
    }
    return FlowComparison(replications, callers, cur, pro, diff)
