"""``kefu demo`` as a user runs it: it migrates a fresh SQLite file, creates demo logins
(printed), shows the login page first, serves the API and the wallboard to a logged-in
supervisor, generates traffic that agents answer, stops on Ctrl-C or after --duration."""

from __future__ import annotations

import json
import os
import re
import signal
import smtplib
import subprocess
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import httpx
from server_helpers import CHEAP_HASHING_ENV, KEFU, free_port

DEMO_PASSWORD = "demo password 演示"


def demo_command(tmp_path: Path, port: int, *extra: str) -> list[str]:
    db = str(tmp_path / "demo.sqlite3")
    if "--smtp-port" not in extra:  # not the shared default 2525: parallel workers would race
        extra = (*extra, "--smtp-port", str(free_port()))
    return [*KEFU, "demo", "--db", db, "--port", str(port), "--seed", "5", "--no-sip", *extra]


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
        assert "账单 Billing" in names and queues["total"] == 6
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
        ("wang.lei", "agent"),
        ("liu.fang", "agent"),
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


def agent_api(db: Path, base: str, username: str) -> httpx.Client:
    """A client acting as the agent ``username`` with a token from ``kefu users token``."""
    env = {**os.environ, "KEFU_ENV": "local"}
    env.pop("KEFU_DATABASE_URL", None)
    command = [*KEFU, "users", "token", username, "--json", "--db", str(db)]
    command += ["--scope", "read", "--scope", "contacts:write", "--scope", "agents:write"]
    done = subprocess.run(command, env=env, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    token = json.loads(done.stdout)["token"]
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.Client(base_url=base + "/api/v1", headers=headers, timeout=10)


def wait_for(what: str, probe: Any, timeout_s: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_given_the_demo_when_a_person_mails_then_a_person_answers_and_the_hall_calls_numbers(
    tmp_path: Path,
) -> None:
    port, smtp_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, **CHEAP_HASHING_ENV, "KEFU_ENV": "local", "COLUMNS": "200"}
    env["KEFU_DEMO_PASSWORD"] = DEMO_PASSWORD
    for name in ("KEFU_SMTP_PORT", "KEFU_RELAY_HOST", "KEFU_DATABASE_URL"):
        env.pop(name, None)
    command = demo_command(tmp_path, port, "--rate", "30", "--smtp-port", str(smtp_port))
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for("the demo", lambda: _up(base), timeout_s=40)
        mail = EmailMessage()
        mail["From"] = "刘洋 <liu.yang@example.cn>"
        mail["To"] = "support@kefu.example"
        mail["Subject"] = "退款申请 Refund"
        mail["Message-ID"] = "<refund-7@example.cn>"
        mail.set_content("你好，订单 20261120 还没有退款。")
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
            client.send_message(mail)
        supervisor = log_in(base, "supervisor", DEMO_PASSWORD)

        def person_mail() -> dict[str, Any] | None:
            items = supervisor.get("/api/v1/contacts?limit=500").json()["items"]
            return next((c for c in items if c["attributes"].get("subject")), None)

        contact = wait_for("the mail's contact", person_mail)
        time.sleep(6.0)  # simulated agents answer within 1–4 s of an offer
        contact = person_mail()
        assert contact is not None and contact["state"] == "queued", contact
        assert contact["answered_at"] is None
        items = supervisor.get("/api/v1/contacts?limit=500").json()["items"]
        assert any(c["answered_at"] for c in items if c["attributes"].get("synthetic"))

        # The hall: two services with synthetic tickets, called to numbered counters.
        services = supervisor.get("/api/v1/branch/services").json()
        assert {s["queue_id"] for s in services} == {"hall-cash", "hall-account"}
        called = wait_for(
            "a number called",
            lambda: supervisor.get("/api/v1/branch/display").json()["called"],
        )
        for call in called:
            number = call["counter_no"]
            assert number in (1, 2), call  # the two simulated clerks
            assert call["counter"] == f"{number}号窗口"  # the site's default language

        # A person logged in as wang.lei takes the mail and answers; the reply reaches
        # the demo's relay, kept in the outbox next to the database.
        agent = agent_api(tmp_path / "demo.sqlite3", base, "wang.lei")
        assert agent.post("/desktop/state", json={"presence": "ready"}).status_code == 200

        def offered() -> dict[str, Any] | None:
            offers = agent.get("/desktop").json()["offers"]
            return next((o for o in offers if o["contact_id"] == contact["contact_id"]), None)

        offer = wait_for("the mail offered to wang.lei", offered)
        accepted = agent.post(
            f"/desktop/offers/{offer['contact_id']}/accept", json={"offer_id": offer["offer_id"]}
        )
        assert accepted.status_code == 200, accepted.text
        conversation = offer["attributes"]["conversation_id"]
        replied = agent.post(
            f"/desktop/conversations/{conversation}/reply", json={"text": "您好，退款已提交。"}
        )
        assert replied.status_code == 200, replied.text
        outbox = tmp_path / "demo.outbox"
        sent = wait_for("the reply in the outbox", lambda: sorted(outbox.glob("*.eml")))
        reply = BytesParser(policy=policy.default).parsebytes(sent[0].read_bytes())
        assert reply["In-Reply-To"] == "<refund-7@example.cn>"
        assert str(reply["Subject"]) == "Re: 退款申请 Refund"
        assert "退款已提交" in reply.get_body().get_content()
        agent.close()
        supervisor.close()
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0].decode()
    assert process.returncode == 0, output
    assert "Traceback" not in output
    assert f"SMTP 127.0.0.1:{smtp_port}" in output and "demo.outbox" in output
    for login in ("wang.lei", "liu.fang"):  # every printed agent login takes chat and e-mail
        lines = output.splitlines()
        at = next(n for n, x in enumerate(lines) if f"Login 登录: {login} /" in x)
        serves = lines[at + 1]  # what the login serves, on the line under it
        assert "serves 服务:" in serves and "chat 在线" in serves and "e-mail 邮件" in serves


def _up(base: str) -> bool:
    try:
        return httpx.get(base + "/api/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False
