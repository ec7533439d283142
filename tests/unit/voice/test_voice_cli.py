"""``kefu voice``: prompts made once, clear refusals for bad options and missing tools."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kefu.cli import app
from kefu.config import get_settings


@pytest.fixture(autouse=True)
def _fresh_settings() -> None:
    get_settings.cache_clear()


def test_given_the_tools_when_prompts_run_twice_then_made_once_then_kept(tmp_path: Path) -> None:
    if shutil.which("sox") is None or shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng and sox are needed")
    runner = CliRunner()
    first = runner.invoke(app, ["voice", "prompts", "--dir", str(tmp_path), "-l", "zh"])
    assert first.exit_code == 0, first.output
    assert "0 kept" in first.output and (tmp_path / "zh" / "greeting.ul").is_file()
    second = runner.invoke(app, ["voice", "prompts", "--dir", str(tmp_path), "-l", "zh"])
    assert second.exit_code == 0 and "0 made" in second.output


def test_given_no_sox_on_the_path_when_prompts_run_then_a_clear_message_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = CliRunner().invoke(app, ["voice", "prompts", "--dir", str(tmp_path / "c")])
    assert result.exit_code == 2
    assert "sox is not installed (apt-get install sox)" in result.output
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["voice", "prompts", "-l", "fr"], {}, "unknown language 'fr'"),
        (["voice", "prompts", "--recordings", "/nonexistent"], {}, "no recordings directory"),
        (["voice", "serve"], {"KEFU_SIP_NUMBERS": "95555"}, "KEFU_SIP_NUMBERS items are"),
        (["voice", "serve", "--port", "0"], {}, "run `kefu voice prompts`"),
        (["voice", "serve", "--port", "70000"], {}, "Invalid settings"),
    ],
)
def test_given_bad_voice_options_when_run_then_refused_with_the_reason(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    message: str,
) -> None:
    monkeypatch.setenv("KEFU_SIP_PROMPTS_DIR", str(tmp_path / "empty"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output
