"""Pieces of the desktop browser tests: agents, supervisors and their logins made over the
API with an admin token, a login through the form, a chat started in the demo shop's widget,
a relay (aiosmtpd) keeping kefu's replies and an SMS provider keeping kefu's texts."""

from __future__ import annotations

import json
import threading
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import httpx
from browser_helpers import Demo, free_port

if TYPE_CHECKING:
    from playwright.sync_api import Page

PASSWORD = "e2e 密码 password"


def admin_api(demo: Demo) -> httpx.Client:
    token = demo.issue_token("admin", "admin")
    return httpx.Client(
        base_url=f"{demo.base}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=15
    )


def add_agent(
    api: httpx.Client,
    agent_id: str,
    name: str,
    *,
    skills: dict[str, int],
    capacity: dict[str, int],
) -> str:
    """An agent of the demo site and its agent login (password :data:`PASSWORD`)."""
    body = {
        "agent_id": agent_id,
        "site_id": "demo",
        "name": name,
        "skills": skills,
        "capacity": capacity,
    }
    made = api.post("/agents", json=body)
    assert made.status_code == 201, made.text
    user = {
        "username": agent_id,
        "password": PASSWORD,
        "role": "agent",
        "agent_id": agent_id,
        "display_name": name,
    }
    created = api.post("/users", json=user)
    assert created.status_code == 201, created.text
    return agent_id


def add_supervisor(api: httpx.Client, username: str, name: str, sites: list[str]) -> str:
    """A supervisor login of ``sites`` (password :data:`PASSWORD`)."""
    user = {
        "username": username,
        "password": PASSWORD,
        "role": "supervisor",
        "sites": sites,
        "display_name": name,
    }
    created = api.post("/users", json=user)
    assert created.status_code == 201, created.text
    return username


def chat_in_widget(page: Page, demo: Demo, topic: str, text: str, **profile: str) -> None:
    """A customer opens the demo shop's chat widget, fills the pre-chat form (``name``,
    ``email``, ``phone``), picks ``topic`` and writes ``text``."""
    page.goto(f"{demo.base}/chat/demo")
    page.click(".kefu-chat-launcher")
    for field, value in profile.items():
        page.fill(f".kefu-prechat input[name={field}]", value)
    page.select_option(".kefu-prechat select[name=topic]", topic)
    page.fill(".kefu-prechat textarea[name=text]", text)
    page.click(".kefu-start")
    page.wait_for_selector(".kefu-msg.customer:not(.pending)")


def log_in(page: Page, demo: Demo, username: str, target: str) -> None:
    """Log in through the form and land on ``target`` (a path)."""
    page.goto(f"{demo.base}/login?next={target}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.locator("form [type=submit]").click()
    assert page.url.endswith(target), page.url


class Relay:
    """The relay kefu sends e-mail replies through: keeps every message."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.received: list[bytes] = []
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.received.append(envelope.original_content)
        return "250 OK"

    def parsed(self, index: int = -1) -> EmailMessage:
        message = BytesParser(policy=policy.default).parsebytes(self.received[index])
        assert isinstance(message, EmailMessage)
        return message

    def stop(self) -> None:
        self._controller.stop()


class SmsProvider:
    """A local HTTP server playing the SMS provider: keeps the JSON bodies posted to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
