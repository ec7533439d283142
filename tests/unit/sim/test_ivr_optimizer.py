"""The optimizer on a synthetic center where the right answer is known.

One menu lists four self-service options; the volumes are 45/30/15/10 %. Listing them from
the least to the most asked-for is provably worse than by volume: every caller's listening
time is the sum of the labels before its option, so the mean is smallest when the heavy
options come first (rearrangement inequality).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from ivr_centers import VOLUMES, center, chain

from kefu.adapters.ivr.files import load_flow
from kefu.analytics.ivr import ivr_report
from kefu.analytics.ivr_optimize import propose, rederivation_due
from kefu.domain.ivr import parse_flow
from kefu.domain.ivr.flow import MenuNode
from kefu.domain.ivr.lint import lint, menu_levels
from kefu.sim.ivr_callers import CallerModel, simulate_callers
from kefu.sim.ivr_twin import AgentFloor, compare_flows, intents_from_report

WORST = ["s4", "s3", "s2", "s1"]


def _traffic(model: CallerModel, n: int = 3000) -> object:
    callers = simulate_callers(
        center(WORST),
        model,
        [float(i) for i in range(n)],
        np.random.SeedSequence(7),
        keep_events=True,
    )
    return ivr_report(e for c in callers for e in c.events)


def _order(flow: object) -> list[str]:
    main = flow.nodes["main"]  # type: ignore[attr-defined]
    assert isinstance(main, MenuNode)
    return [o.next for o in main.options]


def test_given_top_callers_who_abandon_when_optimized_then_volume_order_and_the_twin_shows_it() -> (
    None
):
    # The callers of s1 and s2 have half the patience of the others: many hang up during
    # their (long) self-service, after choosing. The data say the top two's callers do
    # abandon: no seed 001 exception.
    model = CallerModel(
        intents=VOLUMES, patience_mean_s=200.0, action_s=60.0, persistence={"s1": 0.5, "s2": 0.5}
    )
    report = _traffic(model)
    proposal = propose(center(WORST), report)  # type: ignore[arg-type]
    assert _order(proposal.flow) == ["s1", "s2", "s3", "s4"]
    (evidence,) = proposal.evidence
    assert evidence.applicable and not evidence.exception_applied
    assert evidence.top_abandon > evidence.rest_abandon + 0.05
    assert [d for d, _ in [(o.digit, o) for o in proposal.flow.nodes["main"].options]] == [  # type: ignore[attr-defined]
        "1",
        "2",
        "3",
        "4",
    ]
    assert proposal.flow.version == 2
    assert not [i for i in lint(proposal.flow) if i.severity == "error"]

    effect = compare_flows(
        center(WORST),
        proposal.flow,
        CallerModel(intents=intents_from_report(center(WORST), report), patience_mean_s=60.0),  # type: ignore[arg-type]
        calls_per_hour=300,
        replications=8,
        seed=3,
    )
    t = effect.difference["time_to_service_s"]
    a = effect.difference["abandonment"]
    assert t.ci_high is not None and t.ci_high < 0  # faster, the interval excludes zero
    assert a.ci_high is not None and a.ci_high < 0  # fewer callers give up
    assert effect.current["time_to_service_s"].mean > effect.proposed["time_to_service_s"].mean


def test_given_persistent_top_callers_when_optimized_then_seed001s_exception_is_applied() -> None:
    model = CallerModel(intents=VOLUMES, patience_mean_s=600.0, action_s=2.0)
    proposal = propose(center(WORST), _traffic(model))  # type: ignore[arg-type]
    (evidence,) = proposal.evidence
    assert evidence.applicable and evidence.exception_applied
    assert evidence.top_abandon <= evidence.rest_abandon + 0.05
    assert _order(proposal.flow) == ["s3", "s4", "s1", "s2"]
    assert [r[0] for r in evidence.ranked] == ["s1", "s2", "s3", "s4"]


def test_given_a_six_level_menu_when_optimized_then_it_is_flattened_to_the_limit() -> None:
    flow = chain(6)
    callers = simulate_callers(
        flow,
        CallerModel(intents={"done": 1.0}),
        [float(i) for i in range(300)],
        np.random.SeedSequence(1),
        keep_events=True,
    )
    proposal = propose(flow, ivr_report(e for c in callers for e in c.events), max_depth=4)
    levels = menu_levels(proposal.flow)
    assert (
        max(levels[n] for n, node in proposal.flow.nodes.items() if isinstance(node, MenuNode)) <= 4
    )
    assert {c.kind for c in proposal.changes} >= {"flatten"}
    assert "done" in proposal.flow.nodes


def test_given_small_options_when_optimized_then_they_are_merged_into_one_agent_option() -> None:
    data = {
        "flow": "f",
        "start": "main",
        "agent": "agent",
        "nodes": {
            "main": {
                "kind": "menu",
                "prompt": {"zh": "请选择", "en": "Choose"},
                "options": [
                    {"digit": str(i), "label": {"zh": s, "en": s}, "next": s}
                    for i, s in enumerate(["big", "tiny1", "tiny2", "mid"], 1)
                ],
            },
            **{
                s: {"kind": "end", "text": {"zh": s, "en": s}}
                for s in ["big", "tiny1", "tiny2", "mid"]
            },
            "agent": {"kind": "transfer", "queue": "q"},
        },
    }
    flow = parse_flow(data)
    model = CallerModel(
        intents={"big": 0.6, "mid": 0.39, "tiny1": 0.005, "tiny2": 0.005}, patience_mean_s=1e6
    )
    callers = simulate_callers(
        flow, model, [float(i) for i in range(2000)], np.random.SeedSequence(2), keep_events=True
    )
    proposal = propose(flow, ivr_report(e for c in callers for e in c.events), min_share=0.03)
    assert _order(proposal.flow) == ["big", "mid", "agent"]
    assert "tiny1" not in proposal.flow.nodes  # no longer reachable: dropped
    assert proposal.changes[0].kind == "merge"


@pytest.mark.parametrize(
    ("published", "due"),
    [
        (datetime(2026, 10, 1, tzinfo=UTC), None),
        (datetime(2026, 9, 7, 12, tzinfo=UTC), 0),
        (datetime(2026, 1, 1, tzinfo=UTC), 249),
    ],
)
def test_given_a_published_date_when_checked_then_the_reminder_counts_the_overdue_days(
    published: datetime, due: int | None
) -> None:
    assert rederivation_due(published, datetime(2026, 12, 6, 12, tzinfo=UTC)) == due


def test_given_callers_for_an_agent_when_twinned_then_the_router_serves_the_hand_offs() -> None:
    # "agent" listed last vs first; no caller gives up in the IVR, so every abandon the
    # twin counts happened in the queue, behind one slow agent.
    late = center(["s1", "s2", "s3", "s4", "agent"])
    early = center(["agent", "s1", "s2", "s3", "s4"])
    model = CallerModel(intents={**VOLUMES, "agent": 1.0}, level_hazard=(0.0,), patience_mean_s=1e9)
    effect = compare_flows(
        late,
        early,
        model,
        calls_per_hour=120,
        floor=AgentFloor(agents=1, handle_mean_s=600.0, patience_mean_s=60.0),
        replications=4,
        seed=2,
    )
    assert effect.current["agent_contacts"].mean == effect.proposed["agent_contacts"].mean
    assert (effect.current["agent_contacts"].mean or 0) > 20
    assert (effect.current["abandonment"].mean or 0) > 0.1  # queue abandons only
    assert effect.current["service_level"].mean is not None
    assert (effect.current["occupancy"].mean or 0) > 0.5
    t = effect.difference["time_to_service_s"]
    assert t.mean is not None and t.mean < 0  # the agent option is heard first


def test_given_the_demo_bank_when_optimized_then_its_main_menu_already_follows_seed001() -> None:
    bank = load_flow(Path(__file__).parents[3] / "examples" / "ivr" / "bank.yaml")
    model = CallerModel(
        intents={"balance": 0.4, "transactions": 0.3, "bill": 0.12, "card_confirm": 0.08}
    )
    callers = simulate_callers(
        bank, model, [30.0 * i for i in range(600)], np.random.SeedSequence(4), keep_events=True
    )
    proposal = propose(bank, ivr_report(e for c in callers for e in c.events))
    main = next(e for e in proposal.evidence if e.node_id == "main")
    assert main.exception_applied
    assert (
        _order(proposal.flow) == _order(bank) == ["bill", "card_confirm", "balance", "transactions"]
    )
    assert all(c.node_id != "main" for c in proposal.changes)
    small = [e for e in proposal.evidence if e.node_id in ("more", "card_confirm")]
    assert small and not any(e.applicable for e in small)
    assert not [i for i in lint(proposal.flow) if i.severity == "error"]
