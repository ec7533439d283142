"""The simulator with the real router is exactly an FCFS M/M/n queue.

On the same arrival instants and talk times, every contact's wait equals the textbook
recursion of a first-come-first-served queue with n identical servers (a contact starts
with the earliest free server, or at once when one is free). This pins down routing,
timing and the engine's event interleaving exactly, at any size, without statistics.
"""

from __future__ import annotations

import heapq

import pytest

from kefu.sim import run


@pytest.mark.parametrize(
    ("agents", "traffic", "horizon_s"),
    [(1, 0.9, 40_000.0), (5, 4.5, 20_000.0), (50, 48.0, 8_000.0), (500, 490.0, 2_000.0)],
)
def test_given_mmn_when_simulated_then_waits_equal_the_fcfs_recursion(
    agents: int, traffic: float, horizon_s: float
) -> None:
    scenario = {
        "horizon_s": horizon_s,
        "queues": [
            {
                "id": "q",
                "arrivals": {"rate_per_s": traffic / 180.0},
                "handle": {"dist": "exponential", "mean_s": 180.0},
            }
        ],
        "agents": [{"group": "pool", "count": agents}],
    }
    trace = run(scenario, seed=11, trace=True).replications[0].trace
    assert trace is not None
    assert all(c.outcome == "answered" for c in trace)
    waited = sum(c.wait_s > 0 for c in trace)  # type: ignore[operator]
    assert waited > len(trace) // 10  # the queue really formed
    # Talk times in the order service started (FCFS: arrival order).
    starts = sorted(trace, key=lambda c: (c.arrived_s + (c.wait_s or 0.0), c.arrived_s))
    talks = iter([c.talk_s for c in starts])
    free = [0.0] * agents
    for c in trace:
        start = max(c.arrived_s, heapq.heappop(free))
        heapq.heappush(free, start + next(talks))  # type: ignore[operator]
        assert c.wait_s == pytest.approx(start - c.arrived_s, abs=1e-9)
