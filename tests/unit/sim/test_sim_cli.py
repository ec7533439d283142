"""``kefu simulate`` end to end through the Typer app: files, JSON and errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from kefu.cli import app
from kefu.domain import routing

runner = CliRunner()
HALL = Path(__file__).resolve().parents[3] / "examples" / "seed001_hall.yaml"


def test_given_hall_when_simulated_then_json_csv_charts_and_html_are_written(
    tmp_path: Path,
) -> None:
    out = tmp_path / "营业厅"
    result = runner.invoke(
        app, ["simulate", str(HALL), "-r", "3", "--seed", "4", "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["replications"] == 3
    assert record["contacts"] > 3 * 117
    # The build that ran (make compiled-test runs this on the compiled one).
    assert record["router_build"] == ("compiled" if routing.COMPILED else "pure")
    assert 0.0 <= record["total"]["service_level"]["mean"] <= 1.0
    for name in ("summary.json", "kpis.csv", "replications.csv", "report.html"):
        assert (out / name).stat().st_size > 0
    for name in ("sl_by_interval.png", "queue_length_by_interval.png", "wait_distribution.png"):
        assert (out / name).read_bytes().startswith(b"\x89PNG")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["summary"]["queues"]["hall"]["offered"]["n"] == 3
    assert len(summary["replications"]) == 3
    with (out / "kpis.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    sl = [
        r
        for r in rows
        if r["scope"] == "overall" and r["queue"] == "hall" and r["metric"] == "service_level"
    ]
    assert len(sl) == 1 and float(sl[0]["ci_low"]) <= float(sl[0]["mean"]) <= float(
        sl[0]["ci_high"]
    )
    assert any(r["scope"] == "interval" for r in rows)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "营业厅" in html and "data:image/png;base64," in html


def test_given_table_output_then_bilingual_headers(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", str(HALL), "-r", "2", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Queue" in result.stdout and "队列" in result.stdout


def test_given_bad_scenario_then_clear_message_and_exit_code_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("horizon_s: 10\nqueues: [{id: q}]\n", encoding="utf-8")
    result = runner.invoke(app, ["simulate", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "queues[0].arrivals: Field required" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_given_missing_file_or_bad_numbers_then_exit_code_2(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["simulate", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 2
    assert "cannot read scenario" in missing.output
    zero = runner.invoke(app, ["simulate", str(HALL), "--replications", "0"])
    assert zero.exit_code == 2
    assert "Traceback" not in zero.output


def test_help_is_bilingual() -> None:
    result = runner.invoke(app, ["simulate", "--help"])
    assert result.exit_code == 0
    assert "仿真" in result.output and "--replications" in result.output
