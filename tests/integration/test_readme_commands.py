"""Each command of the README's "What is in the box" table, and each one its text gives on
an example file, runs as written from a copy of the repository's ``examples/``, and its
tables are readable at 80 columns (no cell cut with "…")."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from kefu_forkserver import KEFU  # kefu as a child process (forked warm)

ROOT = Path(__file__).resolve().parents[2]
# Commands that start a server or need a database are run by their own tests
# (kefu report: tests/integration/test_report_cli.py).
SERVERS = ("kefu demo", "kefu serve", "kefu db", "kefu users", "kefu report")


def readme_commands() -> list[str]:
    """The commands of the README's table rows (each row's first cell, in backticks) and
    those its text gives on an example file (`kefu … examples/…`)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = []
    for line in text.splitlines():
        first = re.match(r"\| `(kefu [^`]+)`", line)
        if first and not first.group(1).startswith(SERVERS):
            found.append(first.group(1))
    for inline in re.findall(r"`(kefu [^`|]*examples/[^`]+)`", text.replace("\n", " ")):
        if inline not in found and not inline.startswith(SERVERS):
            found.append(inline)
    return found


def test_given_the_readme_then_it_lists_the_workforce_commands() -> None:
    names = [" ".join(c.split()[:3]) for c in readme_commands()]
    for wanted in ("kefu staff examples/volumes.csv", "kefu schedule examples/requirements.csv"):
        assert wanted in names
    assert any(c.startswith("kefu forecast run examples/") for c in readme_commands())


@pytest.mark.parametrize("command", readme_commands())
def test_given_a_readme_command_when_run_as_written_then_it_succeeds_at_80_columns(
    command: str, tmp_path: Path
) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1", "KEFU_ENV": "test"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [*KEFU, *shlex.split(command)[1:]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    assert "…" not in done.stdout, f"a cell is cut at 80 columns:\n{done.stdout}"
