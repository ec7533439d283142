"""``kefu demo`` as a user runs it: it migrates a fresh SQLite file, creates demo logins
(printed), shows the login page first, serves the API and the wallboard to a logged-in
supervisor, generates traffic that agents answer, stops on Ctrl-C or after --duration."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
from server_helpers import CHEAP_HASHING_ENV, KEFU, free_port

DEMO_PASSWORD = "demo password 演示"


def demo_command(tmp_path: Path, port: int, *extra: str) -> list[str]:
    db = str(tmp_path / "demo.sqlite3")
    return [*KEFU, "demo", "--db", db, "--port", str(port), "--seed", "5", *extra]


def summary(output: str) -> dict[str, int]:
    found = re.findall(r"(offered|answered|abandoned|completed) \S+ (\d+)", output)
    return {name: int(n) for name, n in found}


def log_in(base: str, username: str, password: str) -> httpx.Client:
    """A client logged in through the login form, as a browser does."""
    client = httpx.Client(base_url=base, timeout=5, follow_redirects=True)
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form.text)
    assert token, form.text
    done = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
    )
    assert done.status_code == 200 and done.url.path == "/wallboard", done.text
    return client


def test_given_the_demo_when_running_then_contacts_flow_and_ctrl_c_stops_cleanly(
    tmp_path: Path,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        **CHEAP_HASHING_ENV,
        "KEFU_ENV": "local",
        "COLUMNS": "200",
        "KEFU_DEMO_PASSWORD": DEMO_PASSWORD,
    }
    process = subprocess.Popen(
        demo_command(tmp_path, port, "--rate", "60"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 40
        front = None
        while time.monotonic() < deadline and front is None:
            time.sleep(0.3)
            try:
                front = httpx.get(base + "/", timeout=2, follow_redirects=True)
            except httpx.TransportError:
                continue
        assert front is not None and front.url.path == "/login"
        assert 'name="username"' in front.text and 'type="submit"' in front.text
        assert httpx.get(base + "/api/v1/contacts", timeout=2).status_code == 401
        supervisor = log_in(base, "supervisor", DEMO_PASSWORD)
        answered = 0
        while time.monotonic() < deadline and answered == 0:
            time.sleep(0.5)
            page = supervisor.get("/api/v1/contacts?limit=500")
            answered = sum(1 for c in page.json()["items"] if c["answered_at"] is not None)
        assert answered > 0, "no contact was answered by the simulated agents"
        board = supervisor.get("/wallboard")
        assert board.status_code == 200 and "/logout" in board.text
        queues = supervisor.get("/api/v1/queues").json()
        names = {q["name"] for q in queues["items"]}
        assert "账单 Billing" in names and queues["total"] == 4
        refused = supervisor.post("/api/v1/sites", json={"site_id": "x", "name": "x"})
        assert refused.status_code == 403  # no CSRF header, and no admin either
        supervisor.close()
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0].decode()
    assert process.returncode == 0, output
    assert "Traceback" not in output
    assert f"supervisor / {DEMO_PASSWORD}" in output and "demo only" in output
    counts = summary(output)
    assert counts["offered"] > 0 and counts["answered"] > 0, output
    assert (tmp_path / "demo.sqlite3").exists()


def test_given_a_duration_when_the_demo_runs_then_it_exits_by_itself(tmp_path: Path) -> None:
    done = subprocess.run(
        demo_command(tmp_path, free_port(), "--duration", "2", "--rate", "200"),
        env={**os.environ, **CHEAP_HASHING_ENV, "COLUMNS": "200"},
        capture_output=True,
        timeout=60,
    )
    output = done.stdout.decode()
    assert done.returncode == 0, output + done.stderr.decode()
    assert "/wallboard" in output and summary(output)["offered"] > 0
    logins = re.findall(r"Login 登录: (\S+) / (\S+) \((\w+)", output)
    assert {(user, role) for user, _, role in logins} >= {
        ("admin", "admin"),
        ("supervisor", "supervisor"),
        ("zhang.min", "agent"),
    }
    assert len({password for _, password, _ in logins}) == len(logins)  # random, each its own


def test_given_a_production_env_with_the_default_secret_then_the_demo_refuses(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "KEFU_ENV": "production"}
    env.pop("KEFU_SECRET_KEY", None)
    done = subprocess.run(
        demo_command(tmp_path, free_port()), env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 2
    assert "KEFU_SECRET_KEY" in done.stderr.decode() + done.stdout.decode()
    assert not (tmp_path / "demo.sqlite3").exists()
