"""Sweeps: variants written into the scenario, errors naming the field, common random
numbers, resuming and the ``kefu simulate --sweep`` command."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kefu.cli import app
from kefu.sim import ScenarioError
from kefu.sim.sweep import apply_params, load_sweep, run_sweep

BASE = """
name: 小热线
horizon_s: 7200
interval_s: 3600
seed: 2
queues:
  - id: 热线
    arrivals: {rate_per_s: 0.03}
    handle: {dist: exponential, mean_s: 120}
    patience: {dist: exponential, mean_s: 90}
  - id: b
    arrivals: {rate_per_s: 0.01}
    handle: {dist: exponential, mean_s: 120}
agents:
  - {group: g, count: 4}
"""


def _files(tmp_path: Path, grid: str, extra: str = "") -> Path:
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(
        f"scenario: base.yaml\nreplications: 3\n{extra}grid:\n{grid}", encoding="utf-8"
    )
    return sweep


def test_given_paths_when_applied_then_items_and_every_item_are_set() -> None:
    base = {"queues": [{"id": "a", "handle": {"mean_s": 1}}, {"id": "b"}], "agents": []}
    out = apply_params(base, {"queues[*].handle.mean_s": 5, "queues[0].id": "x", "seed": 3})
    assert out["queues"] == [
        {"id": "x", "handle": {"mean_s": 5}},
        {"id": "b", "handle": {"mean_s": 5}},
    ]
    assert out["seed"] == 3
    assert base["queues"][0] == {"id": "a", "handle": {"mean_s": 1}}  # the base is untouched


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ("  agents[3].count: [1]\n", "grid.agents[3].count: index 3 is past"),
        ("  agents[0].count: [0, 2]\n", "agents[0].count"),
        ("  agents[0].count: 2\n", "grid.agents[0].count: give a non-empty list"),
        ("  queues..x: [1]\n", "grid.queues..x"),
        ("  arrival_scale: [-1]\n", "arrival_scale"),
    ],
)
def test_given_bad_sweep_when_loaded_then_error_names_the_field(
    tmp_path: Path, grid: str, message: str
) -> None:
    with pytest.raises(ScenarioError) as err:
        load_sweep(_files(tmp_path, grid))
    assert message in str(err.value)


def test_given_unknown_metric_or_field_then_refused(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="unknown metric 'sla'"):
        load_sweep(_files(tmp_path, "  arrival_scale: [1]\n", "metrics: [sla]\n"))
    with pytest.raises(ScenarioError, match="replicas: unknown field"):
        load_sweep(_files(tmp_path, "  arrival_scale: [1]\n", "replicas: 3\n"))


def test_given_grid_when_swept_then_more_agents_serve_better_and_a_rerun_resumes(
    tmp_path: Path,
) -> None:
    sweep = load_sweep(_files(tmp_path, "  agents[0].count: [3, 6]\n  arrival_scale: [1.0, 1.5]\n"))
    assert sweep.seed == 2  # the scenario's
    out = tmp_path / "out"
    calls: list[tuple[int, int]] = []
    rows = run_sweep(sweep, out, progress=lambda d, t: calls.append((d, t)))
    assert calls[0] == (0, 12) and calls[-1] == (12, 12)
    sl = {
        (r.params["agents[0].count"], r.params["arrival_scale"]): r.metrics["service_level"]
        for r in rows
    }
    # Common random numbers: each replication sees the same customers in every variant.
    for scale in (1.0, 1.5):
        assert sl[(6, scale)].mean > sl[(3, scale)].mean
    assert sl[(3, 1.5)].mean < sl[(3, 1.0)].mean
    assert all(e.n == 3 and e.ci_low is not None for e in sl.values())
    with (out / "sweep.csv").open(encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert len(table) == 4
    assert float(table[0]["service_level_ci_low"]) <= float(table[0]["service_level"])

    # Interrupted: two replications lost and a line cut short; a rerun does only those.
    log = out / "replications.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines()
    log.write_text("\n".join(lines[:-2]) + "\n" + lines[-1][:20], encoding="utf-8")
    calls.clear()
    again = run_sweep(sweep, out, progress=lambda d, t: calls.append((d, t)))
    assert calls[0] == (10, 12) and calls[-1] == (12, 12)
    assert [r.metrics for r in again] == [r.metrics for r in rows]

    # An edited base scenario is not mistaken for the one whose results are stored.
    (tmp_path / "base.yaml").write_text(BASE.replace("mean_s: 90", "mean_s: 30"), encoding="utf-8")
    calls.clear()
    edited = run_sweep(
        load_sweep(tmp_path / "sweep.yaml"), out, progress=lambda d, t: calls.append((d, t))
    )
    assert calls[0] == (0, 12)
    assert [r.metrics for r in edited] != [r.metrics for r in rows]


def test_given_sweep_when_cli_runs_with_two_workers_then_table_matches_serial(
    tmp_path: Path,
) -> None:
    path = _files(tmp_path, "  agents[0].count: [3, 5]\n", "metrics: [service_level, blocking]\n")
    serial = run_sweep(load_sweep(path), tmp_path / "serial")
    result = CliRunner().invoke(
        app, ["simulate", "--sweep", str(path), "-w", "2", "--out", str(tmp_path / "p"), "--json"]
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert [r["metrics"] for r in record["rows"]] == [
        {k: v.to_dict() for k, v in r.metrics.items()} for r in serial
    ]
    assert record["rows"][0]["metrics"]["blocking"]["mean"] is None  # no trunk lines


def test_given_scenario_and_sweep_together_then_cli_refuses(tmp_path: Path) -> None:
    path = _files(tmp_path, "  agents[0].count: [3]\n")
    result = CliRunner().invoke(app, ["simulate", str(path), "--sweep", str(path)])
    assert result.exit_code == 2 and "not both" in result.output
    result = CliRunner().invoke(app, ["simulate"])
    assert result.exit_code == 2 and "scenario" in result.output
