from __future__ import annotations

import io

from rich.console import Console
from typer.testing import CliRunner

from kefu.cli import app
from kefu.cli.text_demo import run_text_demo


def test_given_fast_demo_when_run_then_every_contact_is_answered_or_abandoned() -> None:
    out = io.StringIO()
    summary = run_text_demo(hours=1.0, speed=1e9, seed=3, console=Console(file=out, width=120))
    assert summary.offered > 50
    assert summary.answered + summary.abandoned == summary.offered
    assert summary.completed == summary.answered
    assert 0 < summary.answered_within_threshold <= summary.answered
    assert "座席 Agents" in out.getvalue()


def test_given_same_seed_then_same_demo_outcome() -> None:
    runs = [
        run_text_demo(hours=0.5, speed=1e9, seed=11, console=Console(file=io.StringIO()))
        for _ in range(2)
    ]
    assert runs[0] == runs[1]


def test_cli_lists_commands_and_refuses_bad_demo_options() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "demo" in result.output
    bad = runner.invoke(app, ["demo", "--hours", "-1"])
    assert bad.exit_code == 2
