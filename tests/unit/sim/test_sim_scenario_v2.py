"""Scenario-format additions: trunk lines with blocking, agents per interval, the day's
busyness factor and the uniform, triangular, gamma and Erlang distributions."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from kefu.cli import app
from kefu.sim import ScenarioError, load_scenario, parse_scenario, run
from kefu.sim import distributions as d
from kefu.sim.plan import compile_scenario, staffed_timeline
from kefu.workforce.erlang_bc import erlang_b

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def _scenario(queue: dict[str, Any], agents: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    q = {"id": "q", "handle": {"dist": "exponential", "mean_s": 300.0}, **queue}
    return {"horizon_s": 3600.0, "interval_s": 3600.0, "queues": [q], "agents": agents, **extra}


def _mmck_blocking(a: float, c: int, k: int) -> float:
    """Blocking probability of M/M/c/K: the stationary probability of K in the system."""
    p = [
        a**n / math.factorial(n) if n <= c else a**c / math.factorial(c) * (a / c) ** (n - c)
        for n in range(k + 1)
    ]
    return p[k] / sum(p)


@pytest.mark.parametrize(("trunks", "agents"), [(5, 5), (8, 5)])
def test_given_trunk_lines_when_simulated_then_blocking_matches_erlang_b_and_mmck(
    trunks: int, agents: int
) -> None:
    # 4 Erlangs offered; with as many lines as agents this is Erlang B, else M/M/c/K.
    sc = _scenario(
        {"trunks": trunks, "arrivals": {"rate_per_s": 4 / 300}},
        [{"group": "g", "count": agents}],
        horizon_s=150 * 3600.0,
        warmup_s=3600.0,
    )
    rep = run(sc, seed=11).replications[0]
    expected = _mmck_blocking(4.0, agents, trunks)
    if trunks == agents:
        assert expected == pytest.approx(erlang_b(4.0, agents))
    assert rep.blocking(0) == pytest.approx(expected, abs=0.025)
    # Blocked callers never reach the router: offered + blocked = every attempt.
    assert rep.report.total.offered + rep.blocked[0] == rep.attempts[0]


def test_given_no_trunks_then_nothing_is_blocked_and_results_are_unchanged() -> None:
    sc = _scenario({"arrivals": {"rate_per_s": 0.01}}, [{"group": "g", "count": 4}])
    result = run(sc, seed=2)
    assert result.blocking == {}
    assert result.replications[0].blocked == (0,)
    with_lines = _scenario(
        {"arrivals": {"rate_per_s": 0.01}, "trunks": 1000}, [{"group": "g", "count": 4}]
    )
    assert run(with_lines, seed=2).summary.to_dict() == result.summary.to_dict()


def test_given_agents_per_interval_then_each_is_logged_in_only_in_its_intervals() -> None:
    sc = parse_scenario(
        _scenario(
            {"arrivals": {"rate_per_s": 0.0}},
            [{"group": "班组", "per_interval": [2, 0, 1, 3]}],
            horizon_s=4 * 900.0,
            interval_s=900.0,
        )
    )
    plan = compile_scenario(sc)
    timelines = {a.spec.agent_id: a.timeline for a in plan.agents}
    assert timelines == {
        "班组-1": ((0.0, "ready", None), (900.0, "offline", None), (1800.0, "ready", None)),
        "班组-2": ((0.0, "ready", None), (900.0, "offline", None), (2700.0, "ready", None)),
        "班组-3": ((2700.0, "ready", None),),
    }


def test_given_more_agents_per_interval_when_simulated_then_service_improves_there() -> None:
    sc = _scenario(
        {"arrivals": {"rate_per_s": 8 / 300}, "patience": {"dist": "exponential", "mean_s": 120}},
        [{"group": "g", "per_interval": [6, 14]}],
        horizon_s=2 * 7200.0,
        interval_s=7200.0,
    )
    intervals = run(sc, seed=4, replications=3).summary.intervals
    sl = [i.total["service_level"].mean for i in intervals]
    assert sl[0] is not None and sl[1] is not None
    assert sl[1] > sl[0] + 0.2


def test_given_busyness_then_each_replication_scales_its_arrivals_by_its_own_factor() -> None:
    base = _scenario(
        {"arrivals": {"rate_per_s": 0.05}}, [{"group": "g", "count": 30}], horizon_s=10 * 3600.0
    )
    busy = {**base, "busyness": {"sd": 0.3}}
    plain = run(base, seed=8, replications=6)
    varied = run(busy, seed=8, replications=6)
    factors = [r.busyness for r in varied.replications]
    assert all(r.busyness == 1.0 for r in plain.replications)
    assert len(set(factors)) == 6 and min(factors) > 0.2 and max(factors) < 3.0
    for r in varied.replications:
        # 1800 expected arrivals times the factor; Poisson sd is √(1800·factor).
        assert r.contacts == pytest.approx(1800 * r.busyness, abs=5 * math.sqrt(1800 * r.busyness))


@pytest.mark.parametrize(
    ("dist", "mean", "sd"),
    [
        (d.Uniform(10.0, 50.0), 30.0, 40 / math.sqrt(12)),
        (d.Triangular(0.0, 30.0, 90.0), 40.0, math.sqrt((0 + 900 + 8100 - 0 - 0 - 2700) / 18)),
        (d.Gamma(200.0, 100.0), 200.0, 100.0),
    ],
)
def test_given_new_distributions_then_draws_have_their_mean_and_sd(
    dist: d.Distribution, mean: float, sd: float
) -> None:
    x = dist.sample(np.random.default_rng(1), 200_000)
    assert dist.mean_s == pytest.approx(mean)
    assert x.mean() == pytest.approx(mean, rel=0.01)
    assert x.std() == pytest.approx(sd, rel=0.02)
    assert x.min() >= 0


def test_given_erlang_k_then_it_is_a_gamma_with_sd_mean_over_root_k() -> None:
    sc = parse_scenario(
        _scenario(
            {"arrivals": {"rate_per_s": 0.01}, "handle": {"dist": "erlang", "k": 4, "mean_s": 240}},
            [],
        )
    )
    handle = compile_scenario(sc).queues[0].handle
    assert isinstance(handle, d.Gamma)
    assert (handle.mean_s, handle.sd_s) == (240.0, 120.0)


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        (
            {
                "queues": [
                    {
                        "id": "q",
                        "trunks": 0,
                        "arrivals": {"rate_per_s": 1},
                        "handle": {"dist": "fixed", "value_s": 1},
                    }
                ]
            },
            "queues[0].trunks",
        ),
        ({"busyness": {"sd": -1}}, "busyness.sd"),
        ({"agents": [{"group": "g", "count": 2, "per_interval": [1]}]}, "agents[0]"),
        ({"agents": [{"group": "g", "per_interval": [1], "shift": {"end_s": 60}}]}, "agents[0]"),
        ({"agents": [{"group": "g", "per_interval": [1, 1, 1]}]}, "agents[0].per_interval"),
        (
            {
                "queues": [
                    {
                        "id": "q",
                        "arrivals": {"rate_per_s": 1},
                        "handle": {"dist": "triangular", "low_s": 5, "mode_s": 1, "high_s": 9},
                    }
                ]
            },
            "queues[0].handle.triangular",
        ),
        (
            {
                "queues": [
                    {
                        "id": "q",
                        "arrivals": {"rate_per_s": 1},
                        "handle": {"dist": "erlang", "k": 0, "mean_s": 9},
                    }
                ]
            },
            "queues[0].handle.erlang.k",
        ),
    ],
)
def test_given_bad_new_fields_when_loaded_then_error_names_the_field(
    patch: dict[str, Any], field: str
) -> None:
    base = _scenario(
        {"arrivals": {"rate_per_s": 0.01}}, [{"group": "g", "count": 1}], horizon_s=7200.0
    )
    with pytest.raises(ScenarioError) as err:
        parse_scenario({**base, **patch})
    assert field in str(err.value)


def test_given_bad_trunks_when_cli_runs_then_message_names_the_field(tmp_path: Path) -> None:
    text = (EXAMPLES / "trunk_lines.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("trunks: 12", "trunks: none"), encoding="utf-8")
    result = CliRunner().invoke(app, ["simulate", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "queues[0].trunks" in result.output


def test_given_trunk_example_when_simulated_then_cli_reports_blocking(tmp_path: Path) -> None:
    sc = load_scenario(EXAMPLES / "trunk_lines.yaml")
    assert sc.queues[0].trunks == 12
    result = CliRunner().invoke(
        app, ["simulate", str(EXAMPLES / "trunk_lines.yaml"), "-r", "2", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "Blocked" in result.output and "hotline" in result.output


def test_given_handle_time_by_group_then_the_serving_group_sets_the_talk_time() -> None:
    sc = _scenario(
        {
            "arrivals": {"rate_per_s": 0.02},
            "handle": {"dist": "fixed", "value_s": 300},
            "handle_by_group": {"快组": {"dist": "fixed", "value_s": 60}},
        },
        [{"group": "快组", "count": 3}, {"group": "slow", "count": 3, "present": False}],
        horizon_s=4 * 3600.0,
    )
    assert run(sc, seed=1).summary.total["aht_s"].mean == pytest.approx(60.0)
    sc["agents"] = [{"group": "快组", "count": 3, "present": False}, {"group": "slow", "count": 3}]
    assert run(sc, seed=1).summary.total["aht_s"].mean == pytest.approx(300.0)
    sc["queues"][0]["handle_by_group"] = {"nobody": {"dist": "fixed", "value_s": 1}}
    with pytest.raises(ScenarioError, match=r"queues\[0\]\.handle_by_group\.nobody"):
        parse_scenario(sc)


def test_given_retrials_after_abandon_then_each_abandon_calls_again_once() -> None:
    sc = _scenario(
        {
            "arrivals": {"rate_per_s": 0.02},
            "handle": {"dist": "exponential", "mean_s": 120},
            "patience": {"dist": "fixed", "value_s": 10},
            "retrial": {
                "probability": 1.0,
                "delay": {"dist": "fixed", "value_s": 60},
                "after": ["abandoned"],
                "max_retries": 1,
            },
        },
        [{"group": "g", "count": 2}],
        horizon_s=8 * 3600.0,
    )
    rep = run(sc, seed=3).replications[0]
    total = rep.report.total
    assert rep.retrials[0] > 20
    # Retrials are new contacts for the router and the KPIs.
    assert total.offered == rep.contacts + rep.retrials[0] == rep.attempts[0]
    # Only first attempts retry, at most once: never more retrials than abandons.
    assert 0.3 * total.abandoned <= rep.retrials[0] <= total.abandoned


def test_given_retrials_after_blocking_then_blocked_callers_try_again() -> None:
    queue = {"trunks": 2, "arrivals": {"rate_per_s": 0.02}}
    plain = run(_scenario(dict(queue), [{"group": "g", "count": 2}], horizon_s=8 * 3600.0), seed=4)
    queue["retrial"] = {"probability": 0.0, "delay": {"dist": "fixed", "value_s": 30}}
    zero = run(_scenario(dict(queue), [{"group": "g", "count": 2}], horizon_s=8 * 3600.0), seed=4)
    assert zero.summary.to_dict() == plain.summary.to_dict()  # p = 0 draws nothing
    queue["retrial"] = {
        "probability": 1.0,
        "delay": {"dist": "uniform", "low_s": 20, "high_s": 40},
        "after": ["blocked"],
        "max_retries": 2,
    }
    rep = run(_scenario(queue, [{"group": "g", "count": 2}], horizon_s=8 * 3600.0), seed=4)
    r = rep.replications[0]
    assert 0.5 * r.blocked[0] <= r.retrials[0] <= r.blocked[0]
    assert r.attempts[0] == r.contacts + r.retrials[0]
    assert r.report.total.offered + r.blocked[0] == r.attempts[0]


def test_given_short_abandons_when_cli_reports_then_it_says_they_left_the_denominators(
    tmp_path: Path,
) -> None:
    scenario = tmp_path / "short.yaml"
    scenario.write_text(
        "horizon_s: 3600\nqueues:\n  - id: q\n    arrivals: {rate_per_s: 0.05}\n"
        "    handle: {dist: fixed, value_s: 60}\n    patience: {dist: fixed, value_s: 2}\n"
        "agents:\n  - {group: g, count: 1, present: false}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["simulate", str(scenario), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "short abandons" in result.output and "within 5 s" in result.output


@given(st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=12))
@settings(max_examples=60, deadline=None)
def test_given_any_agents_per_interval_then_exactly_that_many_are_in_at_each_interval(
    counts: list[int],
) -> None:
    interval = 900.0
    size = max(counts)
    timelines = [staffed_timeline(counts, rank, interval) for rank in range(size)]
    for k, n in enumerate(counts):
        at = k * interval
        logged_in = 0
        for timeline in timelines:
            state = "offline"
            for when, presence, _ in timeline:
                if when <= at:
                    state = presence
            logged_in += state == "ready"
        assert logged_in == n
    # Only changes are listed: never twice the same presence in a row.
    for timeline in timelines:
        states = [p for _, p, _ in timeline]
        assert all(a != b for a, b in itertools.pairwise(states))
