from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.sim import run


def _scenario(**queue: Any) -> dict[str, Any]:
    agents = queue.pop("agents", [{"group": "g", "count": 3}])
    extra = queue.pop("extra", {})
    q = {
        "id": "q",
        "arrivals": {"rate_per_s": 0.05},
        "handle": {"dist": "exponential", "mean_s": 60.0},
        **queue,
    }
    return {"horizon_s": 4 * 3600.0, "interval_s": 3600.0, "queues": [q], "agents": agents, **extra}


def test_given_same_seed_when_run_twice_then_identical_and_other_seed_differs() -> None:
    scenario = _scenario(patience={"dist": "exponential", "mean_s": 30.0})
    a = run(scenario, seed=5, replications=2).summary.to_dict()
    b = run(scenario, seed=5, replications=2).summary.to_dict()
    c = run(scenario, seed=6, replications=2).summary.to_dict()
    assert a == b
    assert a != c


def test_given_two_workers_then_same_results_as_serial() -> None:
    scenario = _scenario(patience={"dist": "exponential", "mean_s": 30.0})
    serial = run(scenario, seed=9, replications=4)
    parallel = run(scenario, seed=9, replications=4, workers=2)
    assert parallel.summary.to_dict() == serial.summary.to_dict()
    for s, p in zip(serial.replications, parallel.replications, strict=True):
        assert s.report.to_dict() == p.report.to_dict()


def test_given_no_agents_then_customers_with_patience_all_abandon() -> None:
    report = run(_scenario(agents=[], patience={"dist": "fixed", "value_s": 40.0})).replications[0]
    total = report.report.total
    assert total.offered > 0
    assert total.abandoned == total.offered
    assert total.longest_wait_s == pytest.approx(40.0)
    assert total.predicted == 0  # nobody staffed: the router cannot predict


def test_given_no_agents_and_no_patience_then_everyone_is_still_waiting_at_the_end() -> None:
    rep = run(_scenario(agents=[{"group": "g", "count": 2, "present": False}])).replications[0]
    assert rep.report.waiting_at_end == rep.report.total.offered > 0
    assert rep.report.groups["g"].occupancy is None  # never logged in


def test_given_balking_when_any_wait_is_predicted_then_customer_leaves_at_once() -> None:
    scenario = _scenario(
        agents=[{"group": "g", "count": 1}],
        arrivals={"rate_per_s": 0.05},
        balking={"tolerance": {"dist": "fixed", "value_s": 0.0}},
    )
    rep = run(scenario, trace=True).replications[0]
    total = rep.report.total
    assert total.balked > 0
    assert total.balked == total.abandoned == total.short_abandons
    assert total.abandon_rate == 0.0  # balks are short abandons
    assert total.answered + total.balked == total.offered
    assert all(c.wait_s == 0.0 for c in rep.trace or () if c.outcome != "waiting")
    assert total.max_queue_length == 0  # a balk is never seen waiting


def test_given_callback_offer_when_all_accept_then_nobody_abandons() -> None:
    scenario = _scenario(
        agents=[{"group": "g", "count": 1}],
        arrivals={"rate_per_s": 0.03},
        patience={"dist": "fixed", "value_s": 1.0},
        callback={"above_s": 0.0, "accept_share": 1.0},
    )
    rep = run(scenario, trace=True).replications[0]
    total = rep.report.total
    assert total.callbacks > 0
    assert total.abandoned == 0
    assert rep.trace is not None
    delayed = [c for c in rep.trace if c.predicted_wait_s]
    assert delayed and all(c.callback for c in delayed)


def test_given_transfer_share_one_then_every_handled_contact_moves_on() -> None:
    # No arrivals in the last hour: every transfer happens inside the reporting window.
    scenario = _scenario(
        transfer={"to_queue": "back", "share": 1.0},
        arrivals={"per_interval": [100.0, 100.0, 100.0, 0.0]},
    )
    scenario["queues"].append(
        {
            "id": "back",
            "arrivals": {"rate_per_s": 0.0},
            "handle": {"dist": "fixed", "value_s": 10.0},
        }
    )
    report = run(scenario).replications[0].report
    front, back = report.queues["q"], report.queues["back"]
    assert front.transferred_out == front.handled > 0
    assert back.offered == front.transferred_out  # transfers are offered to their target
    assert back.aht_s == pytest.approx(10.0)  # the target queue's handle times apply
    assert back.transferred_out == 0  # a contact is transferred at most once


def test_given_fixed_times_with_wrapup_and_ring_delay_then_aht_and_asa_are_exact() -> None:
    scenario = _scenario(
        agents=[{"group": "g", "count": 50}],
        handle={"dist": "fixed", "value_s": 100.0},
        wrapup_s=20.0,
        extra={"ring_delay_s": 3.0},
    )
    total = run(scenario).replications[0].report.total
    assert total.aht_s == pytest.approx(120.0)  # talk + wrap-up
    assert total.asa_s == pytest.approx(3.0)  # ringing counts as waiting
    assert total.p_wait == pytest.approx(1.0)


def test_given_a_break_when_a_customer_comes_during_it_then_waits_until_the_break_ends() -> None:
    scenario = _scenario(
        agents=[
            {
                "group": "g",
                "count": 1,
                "shift": {
                    "start_s": 0,
                    "end_s": 1000,
                    "breaks": [{"start_s": 100, "duration_s": 50}],
                },
            }
        ],
        arrivals={"times_s": [10.0, 120.0, 1100.0]},
        handle={"dist": "fixed", "value_s": 5.0},
    )
    rep = run(scenario, trace=True).replications[0]
    assert rep.trace is not None
    waits = {c.contact_id: (c.outcome, c.wait_s) for c in rep.trace}
    assert waits == {
        "q-1": ("answered", 0.0),
        "q-2": ("answered", pytest.approx(30.0)),  # break 100–150 s
        "q-3": ("waiting", None),  # after the shift ended
    }
    occupancy = rep.report.groups["g"]
    assert occupancy.handling_s == pytest.approx(10.0)
    assert occupancy.idle_s == pytest.approx(1000.0 - 50.0 - 10.0)


def test_given_initial_backlog_then_it_is_served_first_without_balking() -> None:
    scenario = _scenario(
        agents=[{"group": "g", "count": 1}],
        arrivals={"times_s": [1.0]},
        handle={"dist": "fixed", "value_s": 60.0},
        initial_waiting=3,
        balking={"tolerance": {"dist": "fixed", "value_s": 0.0}},
    )
    rep = run(scenario, trace=True).replications[0]
    assert rep.trace is not None
    assert [(c.contact_id, c.outcome) for c in rep.trace] == [
        ("q-b1", "answered"),
        ("q-b2", "answered"),
        ("q-b3", "answered"),
        ("q-1", "balked"),  # told (2 + 1) × 60 s: above its tolerance
    ]
    assert [c.wait_s for c in rep.trace[:3]] == [0.0, 60.0, 120.0]


@pytest.mark.parametrize(
    "arrivals",
    [
        {"rate_per_s": 0.5},
        {"per_interval": [1800.0, 1800.0, 1800.0, 1800.0]},
        {"profile": {"total": 7200.0, "weights": [1, 1]}},
    ],
)
def test_given_poisson_arrivals_then_counts_match_their_expectation(arrivals: Any) -> None:
    scenario = _scenario(arrivals=arrivals, agents=[{"group": "g", "count": 60}])
    offered = [r.report.total.offered for r in run(scenario, replications=5).replications]
    mean = sum(offered) / len(offered)
    assert abs(mean - 7200) < 3 * (7200 / 5) ** 0.5  # Poisson: sd = √7200 per replication
    assert len(set(offered)) > 1


def test_given_a_profile_then_arrivals_follow_its_shape() -> None:
    scenario = _scenario(
        arrivals={"profile": {"total": 4000.0, "weights": [3, 1, 0, 0]}},
        agents=[{"group": "g", "count": 40}],
    )
    offered = [i.total.offered for i in run(scenario).replications[0].report.intervals]
    assert offered[2] == offered[3] == 0
    assert 2 < offered[0] / offered[1] < 4.5


@settings(max_examples=15, deadline=None)
@given(
    agents=st.integers(0, 6),
    rate=st.floats(0.001, 0.1),
    patience=st.sampled_from([None, 5.0, 60.0]),
    wrapup=st.sampled_from([0.0, 15.0]),
    seed=st.integers(0, 1000),
)
def test_given_any_small_center_then_kpis_are_consistent(
    agents: int, rate: float, patience: float | None, wrapup: float, seed: int
) -> None:
    queue: dict[str, Any] = {"arrivals": {"rate_per_s": rate}, "wrapup_s": wrapup}
    if patience is not None:
        queue["patience"] = {"dist": "exponential", "mean_s": patience}
    queue["agents"] = [{"group": "g", "count": agents}] if agents else []
    rep = run(_scenario(**queue), seed=seed).replications[0]
    total = rep.report.total
    assert total.offered == total.answered + total.abandoned + rep.report.waiting_at_end
    assert total.handled <= total.answered
    for ratio in (total.service_level, total.abandon_rate, total.p_wait):
        assert ratio is None or 0.0 <= ratio <= 1.0
    assert sum(i.total.offered for i in rep.report.intervals) == total.offered
    for occupancy in rep.report.groups.values():
        assert occupancy.occupancy is None or 0.0 <= occupancy.occupancy <= 1.0
        busy = occupancy.handling_s + occupancy.idle_s
        assert busy <= agents * rep.report.end_s + 1e-6
    if total.answered:
        assert total.asa_s is not None and 0.0 <= total.asa_s <= total.longest_wait_s
