"""``kefu demo`` as a user runs it: it migrates a fresh SQLite file, serves the API and the
wallboard, generates traffic that agents answer, stops on Ctrl-C or after --duration."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
from server_helpers import KEFU, free_port


def demo_command(tmp_path: Path, port: int, *extra: str) -> list[str]:
    db = str(tmp_path / "demo.sqlite3")
    return [*KEFU, "demo", "--db", db, "--port", str(port), "--seed", "5", *extra]


def summary(output: str) -> dict[str, int]:
    found = re.findall(r"(offered|answered|abandoned|completed) \S+ (\d+)", output)
    return {name: int(n) for name, n in found}


def test_given_the_demo_when_running_then_contacts_flow_and_ctrl_c_stops_cleanly(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = {**os.environ, "KEFU_ENV": "local", "COLUMNS": "200"}
    process = subprocess.Popen(
        demo_command(tmp_path, port, "--rate", "60"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        answered = 0
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and answered == 0:
            time.sleep(0.5)
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/api/v1/contacts?limit=500", timeout=2)
            except httpx.TransportError:
                continue
            answered = sum(1 for c in page.json()["items"] if c["answered_at"] is not None)
        assert answered > 0, "no contact was answered by the simulated agents"
        board = httpx.get(f"http://127.0.0.1:{port}/wallboard", timeout=2)
        assert board.status_code == 200
        queues = httpx.get(f"http://127.0.0.1:{port}/api/v1/queues", timeout=2).json()
        names = {q["name"] for q in queues["items"]}
        assert "账单 Billing" in names and queues["total"] == 4
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0].decode()
    assert process.returncode == 0, output
    assert "Traceback" not in output
    counts = summary(output)
    assert counts["offered"] > 0 and counts["answered"] > 0, output
    assert (tmp_path / "demo.sqlite3").exists()


def test_given_a_duration_when_the_demo_runs_then_it_exits_by_itself(tmp_path: Path) -> None:
    done = subprocess.run(
        demo_command(tmp_path, free_port(), "--duration", "2", "--rate", "200"),
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        timeout=60,
    )
    output = done.stdout.decode()
    assert done.returncode == 0, output + done.stderr.decode()
    assert "/wallboard" in output and summary(output)["offered"] > 0
