"""``kefu ivr report`` and ``kefu ivr optimize`` on files of events."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from ivr_centers import VOLUMES, center
from typer.testing import CliRunner

from kefu.cli import app
from kefu.domain.ivr import flow_to_dict, parse_flow
from kefu.domain.ivr.events import ivr_events_to_jsonl
from kefu.sim.ivr_callers import CallerModel, simulate_callers

WORST = ["s4", "s3", "s2", "s1"]


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    flow = center(WORST)
    callers = simulate_callers(
        flow,
        CallerModel(intents=VOLUMES, patience_mean_s=100.0),
        [1_800_000_000.0 + 10 * i for i in range(400)],
        np.random.SeedSequence(4),
        keep_events=True,
    )
    traffic = tmp_path / "traffic.jsonl"
    traffic.write_text(ivr_events_to_jsonl(e for c in callers for e in c.events), encoding="utf-8")
    flow_file = tmp_path / "center.yaml"
    flow_file.write_text(yaml.safe_dump(flow_to_dict(flow), allow_unicode=True), encoding="utf-8")
    return flow_file, traffic


def test_given_an_event_file_when_reported_as_json_then_the_counts_add_up(
    files: tuple[Path, Path],
) -> None:
    done = CliRunner().invoke(app, ["ivr", "report", str(files[1]), "--json"])
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    assert data["contacts"] == 400
    assert data["contained"] + data["abandoned"] + data["handed_off"] == 400
    assert data["coverage_target"] == 0.78
    assert {o["next"] for o in data["options"]} == set(VOLUMES)


def test_given_a_time_window_when_reported_then_contacts_started_inside_count_whole(
    files: tuple[Path, Path],
) -> None:
    # Contacts arrive every 10 s from 2027-01-15T08:00:00Z; the first 100 start before +1000 s.
    args = ["ivr", "report", str(files[1]), "--json", "--until", "2027-01-15T08:16:40+00:00"]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    assert data["contacts"] == 100
    assert data["unfinished"] == 0  # a contact started inside is counted whole


def test_given_the_terminal_when_reported_then_tables_fit_80_columns_in_both_languages(
    files: tuple[Path, Path],
) -> None:
    done = CliRunner().invoke(app, ["ivr", "report", str(files[1])], env={"COLUMNS": "80"})
    assert done.exit_code == 0, done.output
    assert "abandonment by menu depth 各层放弃率" in done.output
    assert "coverage 自助覆盖率" in done.output
    assert max(len(line) for line in done.output.splitlines()) <= 80


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--database-url", "sqlite:///x.db"], "not both"),
        (["--since", "yesterday"], "not an ISO date"),
    ],
)
def test_given_bad_arguments_when_reported_then_exit_2_with_the_reason(
    files: tuple[Path, Path], args: list[str], reason: str
) -> None:
    done = CliRunner().invoke(app, ["ivr", "report", str(files[1]), *args])
    assert done.exit_code == 2
    assert reason in done.output


def test_given_a_bad_line_when_reported_then_the_line_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "Abandoned", "at": 1, "contact_id": "c", "node_id": "m"}\n{oops\n')
    done = CliRunner().invoke(app, ["ivr", "report", str(bad)])
    assert done.exit_code == 2
    assert "line 2" in done.output


def test_given_traffic_when_optimized_then_a_lint_clean_draft_and_the_effect_are_written(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "draft.yaml"
    args = ["ivr", "optimize", str(files[0]), "--traffic", str(files[1]), "--out", str(out)]
    args += ["--replications", "3", "--published-at", "2020-01-01", "--json"]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    draft = parse_flow(yaml.safe_load(out.read_text(encoding="utf-8")))
    assert draft.version == 2
    main = draft.nodes["main"]
    assert [o.next for o in main.options] == list(data["evidence"][0]["order"])  # type: ignore[attr-defined]
    assert data["effect"]["figures"]["time_to_service_s"]["difference"]["n"] == 3
    assert data["rederivation_overdue_days"] > 2000
    lint = CliRunner().invoke(app, ["ivr", "lint", str(out)])
    assert lint.exit_code == 0, lint.output


def test_given_the_terminal_when_optimized_then_the_reminder_and_the_intervals_are_printed(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "draft.yaml"
    args = ["ivr", "optimize", str(files[0]), "--traffic", str(files[1]), "--out", str(out)]
    args += ["--replications", "3", "--published-at", "2020-01-01"]
    done = CliRunner().invoke(app, args, env={"COLUMNS": "80"})
    assert done.exit_code == 0, done.output
    assert "reminder 提醒" in done.output
    assert "95 % CI" in done.output
    assert "seed 001 exception" in done.output


def test_given_traffic_without_choices_when_optimized_then_exit_2_and_nothing_written(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    out = tmp_path / "draft.yaml"
    args = ["ivr", "optimize", str(files[0]), "--traffic", str(empty), "--out", str(out)]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 2
    assert "no menu choice" in done.output
    assert not out.exists()


def test_given_an_unwritable_draft_path_when_optimized_then_exit_2_with_the_reason(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "missing-folder" / "draft.yaml"
    args = ["ivr", "optimize", str(files[0]), "--traffic", str(files[1]), "--out", str(out)]
    done = CliRunner().invoke(app, [*args, "--replications", "2"])
    assert done.exit_code == 2
    assert "cannot write" in done.output
