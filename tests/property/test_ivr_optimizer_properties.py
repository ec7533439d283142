"""Property tests of the IVR analytics and optimizer on random two-level menus and callers.

A random flow has a main menu of 2–8 options; each leads to a self-service action or to a
sub-menu of 2–4 such actions. Random callers (intents, patience, level hazards) go through
it. Checked: the analytics' counts add up and the depth curve is a proper survival curve;
the proposal keeps digits 1…n without gaps, stays lint-clean, keeps every service with
traffic reachable (or sends its callers to an agent when merged), and orders every menu's
services by volume except for seed 001's swap of the first two pairs, ways to an agent last.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.analytics.ivr import ivr_report
from kefu.analytics.ivr_optimize import propose
from kefu.domain.ivr import Flow, parse_flow
from kefu.domain.ivr.flow import MenuNode
from kefu.domain.ivr.lint import lint
from kefu.sim.ivr_callers import CallerModel, simulate_callers

T = {"zh": "服务", "en": "Service"}


@st.composite
def centers(draw: st.DrawFn) -> tuple[Flow, dict[str, float]]:
    nodes: dict[str, Any] = {
        "bye": {"kind": "end", "text": T},
        "agent": {"kind": "transfer", "queue": "q"},
    }
    services: list[str] = []

    def action(name: str) -> str:
        nodes[name] = {
            "kind": "action",
            "action": name,
            "outcomes": {"ok": "bye"},
            "default": "agent",
        }
        services.append(name)
        return name

    options = []
    for i in range(draw(st.integers(2, 8))):
        if draw(st.booleans()):
            subs = [action(f"s{i}_{j}") for j in range(draw(st.integers(2, 4)))]
            nodes[f"sub{i}"] = {
                "kind": "menu",
                "prompt": T,
                "options": [
                    {"digit": str(j + 1), "label": T, "next": s} for j, s in enumerate(subs)
                ],
            }
            target = f"sub{i}"
        else:
            target = action(f"s{i}")
        options.append({"digit": str(i + 1), "label": T, "next": target})
    nodes["main"] = {"kind": "menu", "prompt": T, "options": options}
    flow = parse_flow({"flow": "p", "start": "main", "agent": "agent", "nodes": nodes})
    weights = draw(st.lists(st.floats(0.01, 1.0), min_size=len(services), max_size=len(services)))
    return flow, dict(zip(services, weights, strict=True))


@settings(max_examples=30, deadline=None)
@given(centers(), st.floats(5.0, 500.0), st.floats(0.0, 0.5), st.integers(0, 2**32 - 1))
def test_given_random_centers_when_reported_and_optimized_then_the_invariants_hold(
    center: tuple[Flow, dict[str, float]], patience: float, hazard: float, seed: int
) -> None:
    flow, intents = center
    model = CallerModel(intents=intents, patience_mean_s=patience, level_hazard=(hazard,))
    callers = simulate_callers(
        flow, model, [5.0 * i for i in range(150)], np.random.SeedSequence(seed), keep_events=True
    )
    report = ivr_report(e for c in callers for e in c.events)
    assert report.contained + report.abandoned + report.handed_off + report.unfinished == 150
    reached = [d.reached for d in report.depth]
    assert reached == sorted(reached, reverse=True)
    cumulative = [d.cumulative for d in report.depth]
    assert cumulative == sorted(cumulative) and all(0.0 <= c <= 1.0 for c in cumulative)

    proposal = propose(flow, report)
    new = proposal.flow
    assert not [i for i in lint(new) if i.severity == "error"]
    for node in new.nodes.values():
        if isinstance(node, MenuNode):
            assert [o.digit for o in node.options] == [
                str(i) for i in range(1, len(node.options) + 1)
            ]
    chosen = {o.next for o in report.options if o.count}
    for service in chosen & set(intents):
        merged = any(c.kind == "merge" and service in c.en for c in proposal.changes)
        assert service in new.nodes or merged
    for e in proposal.evidence:
        counts = [n for _, n, _ in e.ranked]
        assert counts == sorted(counts, reverse=True)
        ranked = [name for name, _, _ in e.ranked]
        expected = ranked[2:4] + ranked[:2] + ranked[4:] if e.exception_applied else ranked
        assert list(e.order[: len(ranked)]) == expected
        assert all(new.nodes[x] is new.nodes[new.agent] for x in e.order[len(ranked) :])
