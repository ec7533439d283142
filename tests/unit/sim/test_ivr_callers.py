"""Simulated IVR callers: calibration to seed 001's depth figures and common random numbers."""

from __future__ import annotations

import numpy as np
import pytest
from ivr_centers import VOLUMES, center, chain

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
