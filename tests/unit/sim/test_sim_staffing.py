"""Staffing by simulation: agrees with Erlang C where Erlang applies, pools skills where it
does not, and its CLI (``kefu staff --simulate``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kefu.cli import app
from kefu.sim import ScenarioError, parse_scenario
from kefu.sim.staffing import search_staffing
from kefu.workforce.required import required_agents

HOURS = 10 * 3600.0


def _queue(qid: str, rate: float, **extra: Any) -> dict[str, Any]:
    return {
        "id": qid,
        "skills": {qid: 1},
        "arrivals": {"rate_per_s": rate},
        "handle": {"dist": "exponential", "mean_s": 300.0},
        **extra,
    }


def test_given_one_queue_one_skill_when_staffed_by_simulation_then_it_agrees_with_erlang_c() -> (
    None
):
    rate = 10 / 300  # 10 Erlangs
    sc = parse_scenario(
        {
            "horizon_s": HOURS,
            "interval_s": HOURS,
            "queues": [_queue("q", rate)],
            "agents": [{"group": "g", "count": 1, "skills": {"q": 1}}],
        }
    )
    erlang = required_agents(rate, 300.0, service_level=0.8, threshold=20.0)
    result = search_staffing(sc, replications=3, seed=3)
    assert result.erlang == {"g": (erlang,)}
    assert abs(result.plan["g"][0] - erlang) <= 1
    assert result.meets_all
    # Minimal: the simulated SL with the plan meets 80 %, and is not far above it.
    (cell,) = result.cells
    assert cell.service_level is not None and 0.8 <= cell.service_level < 0.95


def test_given_two_skills_when_pooled_then_fewer_agents_than_separate_queues() -> None:
    def scenario(pooled: bool) -> Any:
        agents = (
            [{"group": "ab", "count": 1, "skills": {"a": 1, "b": 1}}]
            if pooled
            else [{"group": q, "count": 1, "skills": {q: 1}} for q in "ab"]
        )
        return parse_scenario(
            {
                "horizon_s": HOURS,
                "interval_s": HOURS,
                "queues": [_queue("a", 5 / 300), _queue("b", 5 / 300)],
                "agents": agents,
            }
        )

    separate = search_staffing(scenario(False), replications=2, seed=5)
    pooled = search_staffing(scenario(True), replications=2, seed=5)
    assert separate.meets_all and pooled.meets_all
    n_separate = sum(v[0] for v in separate.plan.values())
    n_pooled = pooled.plan["ab"][0]
    # Erlang per queue gives the pooled group both queues' needs; simulation finds fewer.
    assert pooled.erlang["ab"][0] == n_separate or abs(pooled.erlang["ab"][0] - n_separate) <= 1
    assert n_pooled <= n_separate - 2
    assert pooled.plan_hours < pooled.erlang_hours


def test_given_a_queue_nobody_can_serve_then_the_search_refuses_naming_it() -> None:
    sc = parse_scenario(
        {
            "horizon_s": 3600.0,
            "queues": [_queue("a", 0.01), _queue("b", 0.01)],
            "agents": [{"group": "g", "count": 1, "skills": {"a": 1}}],
        }
    )
    with pytest.raises(ScenarioError, match=r"queues\[1\].*'b'"):
        search_staffing(sc)


def test_given_scenario_when_staff_simulate_cli_runs_then_plan_per_interval_is_written(
    tmp_path: Path,
) -> None:
    scenario = tmp_path / "两队列.yaml"
    scenario.write_text(
        """
name: 两队列
horizon_s: 7200
interval_s: 3600
queues:
  - id: 账单
    skills: {bill: 1}
    arrivals: {per_interval: [30, 90]}
    handle: {dist: exponential, mean_s: 240}
    patience: {dist: exponential, mean_s: 180}
agents:
  - {group: 座席, count: 2, skills: {bill: 1}}
""",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "staff",
            "--simulate",
            str(scenario),
            "--abandon",
            "0.05",
            "--replications",
            "2",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    plan = record["plan"]["座席"]
    assert len(plan) == 2 and plan[1] > plan[0]  # three times the calls in the second hour
    assert record["meets_all"]
    assert all(c["abandon_rate"] <= 0.05 for c in record["cells"])
    assert (out / "staffing_sim.csv").read_text(encoding="utf-8").count("座席") == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["staff", "x.csv", "--simulate", "s.yaml"], "not both"),
        (["staff", "--simulate", "missing.yaml"], "cannot read scenario"),
        (["staff", "--simulate", "missing.yaml", "--sl", "1.5"], "--sl"),
        (["staff"], "volumes CSV"),
    ],
)
def test_given_bad_staff_simulate_arguments_then_exit_2_with_reason(
    args: list[str], message: str
) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output
