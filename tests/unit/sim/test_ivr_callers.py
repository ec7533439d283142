"""Simulated IVR callers: calibration to seed 001's depth figures and common random numbers."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from ivr_centers import VOLUMES, center, chain

from kefu.adapters.ivr.files import load_flow
from kefu.analytics.ivr import ivr_report
from kefu.domain.ivr import replay
from kefu.sim.ivr_callers import CallerModel, simulate_callers


def test_given_seven_menu_levels_when_default_callers_walk_then_seed001_figures_come_out() -> None:
    callers = simulate_callers(
        chain(7),
        CallerModel(intents={"done": 1.0}),
        np.arange(10000, dtype=float),
        np.random.SeedSequence(11),
        keep_events=True,
    )
    report = ivr_report(e for c in callers for e in c.events)  # read back by the analytics
    cumulative = {d.depth: d.cumulative for d in report.depth}
    assert cumulative[5] == pytest.approx(0.52, abs=0.03)
    assert cumulative[7] == pytest.approx(0.87, abs=0.03)
    assert cumulative[4] < 0.2  # the cliff is past level 4
    assert report.contained + report.abandoned == 10000


def test_given_simulated_callers_when_their_events_are_replayed_then_the_outcome_matches() -> None:
    callers = simulate_callers(
        center(["s1", "s2", "s3", "s4"]),
        CallerModel(intents=VOLUMES, patience_mean_s=30.0),
        [float(i) for i in range(200)],
        np.random.SeedSequence(3),
        keep_events=True,
    )
    outcomes = {"contained": "end", "abandoned": "abandon", "agent": "transfer"}
    for c in callers:
        assert replay(c.events).outcome == outcomes[c.outcome]


def test_given_two_orders_when_run_on_one_seed_then_each_caller_keeps_its_intent_and_patience() -> (
    None
):
    model = CallerModel(intents=VOLUMES, patience_mean_s=20.0)
    arrivals = [float(i) for i in range(500)]
    best = simulate_callers(
        center(["s1", "s2", "s3", "s4"]), model, arrivals, np.random.SeedSequence(5)
    )
    worst = simulate_callers(
        center(["s4", "s3", "s2", "s1"]), model, arrivals, np.random.SeedSequence(5)
    )
    assert [c.intent for c in best] == [c.intent for c in worst]
    # Same callers, same patience: s1 moves from the 4th place to the 1st, so each of its
    # callers served by the worst order is served by the best one, and sooner.
    for b, w in zip(best, worst, strict=True):
        if w.intent == "s1" and w.outcome == "contained":
            assert b.outcome == "contained"
            assert b.served_s is not None and w.served_s is not None
            assert b.served_s - b.arrived_s < w.served_s - w.arrived_s
    assert sum(c.outcome == "abandoned" for c in best) < sum(
        c.outcome == "abandoned" for c in worst
    )


def test_given_bad_intents_when_the_model_is_built_then_it_is_refused() -> None:
    with pytest.raises(ValueError, match="intents"):
        CallerModel(intents={})
    with pytest.raises(ValueError, match="level_hazard"):
        CallerModel(intents={"a": 1.0}, level_hazard=(1.5,))


def test_given_the_demo_bank_flow_when_callers_go_through_then_sim_and_analytics_agree() -> None:
    bank = load_flow(Path(__file__).parents[3] / "examples" / "ivr" / "bank.yaml")
    model = CallerModel(
        intents={
            "balance": 0.4,
            "transactions": 0.3,
            "card_confirm": 0.1,
            "bill": 0.1,
            "agent": 0.1,
        }
    )
    callers = simulate_callers(
        bank, model, [30.0 * i for i in range(300)], np.random.SeedSequence(1), keep_events=True
    )
    outcomes = Counter(c.outcome for c in callers)
    assert outcomes["stuck"] == 0 and outcomes["contained"] > 150
    report = ivr_report(e for c in callers for e in c.events)
    assert (report.contained, report.handed_off, report.abandoned) == (
        outcomes["contained"],
        outcomes["agent"],
        outcomes["abandoned"],
    )
    # Those who want an agent press 0 and are handed off with what the IVR learned.
    wanted = sum(c.intent == "agent" and c.outcome == "agent" for c in callers)
    assert report.to_agents_by_reason.get("agent_requested") == wanted > 0
    assert {c.queue_id for c in callers if c.outcome == "agent"} == {"billing"}
    assert {"action:balance", "action:card_block"} <= {s.service for s in report.service_times}
