"""Seed 001's mobile hall: 12 counters, 7 staffed, 110 waiting ahead, 5 minutes of service.

The customer holding ticket 224 waits about 74–79 minutes: 79 when the 110 are all in
line behind the 7 people at the counters ((110 + 1) × 300 / 7 s), 74 when the 110 include
those 7 ((103 + 1) × 300 / 7 s). The router tells him that estimate when he takes his
ticket; it must be within 10 % of the wait simulated (mean over replications).
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import pytest
import yaml

from kefu.sim import run

pytestmark = pytest.mark.sim
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "seed001_hall.yaml"


def _hall(initial_waiting: int) -> dict[str, Any]:
    scenario = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    hall = scenario["queues"][0]
    hall["initial_waiting"] = initial_waiting
    hall["arrivals"] = {"times_s": [0.0]}  # only him: later walk-ins queue behind him
    del hall["balking"]  # he stays to the end, to measure his wait
    scenario["interval_s"] = scenario["horizon_s"] = 8 * 3600.0
    return scenario


@pytest.mark.parametrize(
    ("initial_waiting", "ahead", "minutes"),
    [(117, 110, (78.0, 80.5)), (110, 103, (73.0, 75.5))],
)
def test_given_hall_when_ticket_224_arrives_then_waits_74_to_79_minutes_as_told(
    initial_waiting: int, ahead: int, minutes: tuple[float, float]
) -> None:
    result = run(_hall(initial_waiting), seed=224, replications=200, trace=True)
    waits, told = [], set()
    for rep in result.replications:
        assert rep.trace is not None
        (him,) = [c for c in rep.trace if c.contact_id == "hall-1"]
        assert him.outcome == "answered"
        waits.append(him.wait_s)
        told.add(him.predicted_wait_s)
    mean = statistics.fmean(waits)
    half = 3.0 * statistics.stdev(waits) / len(waits) ** 0.5
    exact = (ahead + 1) * 300.0 / 7  # sum of ahead + 1 exponential gaps at rate 7 / 300 s
    assert mean - half <= exact <= mean + half
    assert minutes[0] * 60 <= mean <= minutes[1] * 60
    (estimate,) = told  # the same figure in every replication: (ahead + 1) × AHT / staffed
    assert estimate == pytest.approx(exact)
    assert abs(estimate - mean) <= 0.10 * mean


def test_given_the_example_hall_then_walk_ins_balk_and_the_report_counts_them() -> None:
    result = run(EXAMPLE, replications=20, seed=3)
    total = result.summary.total
    assert total["balked"].mean is not None and total["balked"].mean > 0
    assert total["abandon_rate"].mean == 0.0  # balks are short abandons (standard definition)
    assert total["balk_rate"].mean is not None and 0.0 < total["balk_rate"].mean < 1.0
    assert total["max_queue_length"].mean >= 110
