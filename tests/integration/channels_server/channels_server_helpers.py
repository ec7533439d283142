"""Helpers of the channel-server tests: an event loop in a background thread running the
platform (engine, channel service, channel adapters), a relay that keeps kefu's replies, a
local HTTP receiver for outbound SMS, and SMTP/webhook clients used as customers would."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import re
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

from aiosmtpd.smtp import SMTP
from fastapi.testclient import TestClient

from kefu.adapters.channels.signing import signed_headers
from kefu.bootstrap import Platform, build_test
from kefu.config import Settings
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.channels import ChannelService
from kefu.service.routing import commands as c
from kefu.service.security import ROLE_SCOPES, Role

T = TypeVar("T")
SECRET = b"webhook-secret-0123456789abcdef"


class LoopThread:
    """An asyncio loop in a daemon thread; :meth:`run` waits for a coroutine's result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def close(self) -> None:
        """Cancel and await what still runs on the loop, as ``asyncio.run`` does, so no task
        or stream is collected after the loop closed."""

        async def drain() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.run(drain())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


class RelaySink:
    """An aiosmtpd server playing the relay: keeps every message kefu sends."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.port = 0
        self._server: asyncio.Server | None = None

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.received.append(envelope.original_content)
        return "250 OK"

    async def start(self) -> None:
        self._server = await asyncio.get_running_loop().create_server(
            lambda: SMTP(self, hostname="relay.test", enable_SMTPUTF8=True), "127.0.0.1", 0
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def parsed(self, index: int = -1) -> EmailMessage:
        message = BytesParser(policy=policy.default).parsebytes(self.received[index])
        assert isinstance(message, EmailMessage)
        return message


class SmsReceiver:
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

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def signed(
    body: dict[str, Any], now: float, secret: bytes = SECRET
) -> tuple[dict[str, str], bytes]:
    raw = json.dumps(body, ensure_ascii=False).encode()
    return {"Content-Type": "application/json", **signed_headers(secret, raw, now)}, raw


def mail(
    subject: str,
    text: str,
    *,
    sender: str = "王芳 <wang.fang@example.cn>",
    to: str = "support@kefu.example",
    message_id: str | None = None,
    references: str | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    if references:
        message["In-Reply-To"] = references.split()[-1]
        message["References"] = references
    message.set_content(text)
    return message


# -- an in-process app with a seeded center ------------------------------------------------
PASSWORD = "窗口 password 123"
CHEAP_HASHING: dict[str, Any] = {
    "password_time_cost": 1,
    "password_memory_kib": 64,
    "password_parallelism": 1,
}


@dataclass
class Center:
    """The app under test, its platform and bearer headers of its users."""

    client: TestClient
    platform: Platform
    tokens: dict[str, dict[str, str]]

    @property
    def channels(self) -> ChannelService:
        assert self.platform.channels is not None
        return self.platform.channels

    def execute(self, command: c.Command) -> Any:
        return self.client.portal.call(self.platform.engine.execute, command)

    def call(self, coroutine_fn: Any, *args: Any) -> Any:
        return self.client.portal.call(coroutine_fn, *args)

    def desktop(self, who: str, method: str, path: str, body: Any = None) -> Any:
        return self.client.request(
            method, f"/api/v1/desktop{path}", json=body, headers=self.tokens[who]
        )

    def api(self, who: str | None, method: str, path: str, body: Any = None) -> Any:
        headers = self.tokens[who] if who else {}
        return self.client.request(method, f"/api/v1{path}", json=body, headers=headers)

    def records(self) -> int:
        return len(self.channels.state.records)

    def screen(self, who: str) -> dict[str, Any]:
        response = self.desktop(who, "GET", "")
        assert response.status_code == 200, response.text
        screen: dict[str, Any] = response.json()
        return screen

    def login(self, username: str) -> TestClient:
        """A browser logged in through the login form (session cookie)."""
        browser = TestClient(self.platform.app)
        browser.portal = self.client.portal
        form = browser.get("/login")
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form.text)
        assert token is not None
        done = browser.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
        return browser


@contextmanager
def open_center(**settings: Any) -> Iterator[Center]:
    options: dict[str, Any] = {"env": "test", "chat_wait_interval_s": 0.05, **CHEAP_HASHING}
    platform = build_test(Settings(**{**options, **settings}))
    with TestClient(platform.app) as client:
        center = Center(client, platform, {})
        e = center.execute
        e(c.CreateSite("sh", "上海中心"))
        for spec in (
            QueueSpec("chat-billing", Channel.CHAT, aht_s=120, name="账单咨询 Billing"),
            QueueSpec("chat-tech", Channel.CHAT, aht_s=120, name="技术支持 Tech"),
            QueueSpec("mail", Channel.EMAIL, aht_s=600, name="邮件 E-mail"),
            QueueSpec("hall", Channel.BRANCH, aht_s=300, name="营业厅 Hall"),
        ):
            e(c.DefineQueue(spec, "sh"))
        capacity = {Channel.CHAT: 1, Channel.EMAIL: 2, Channel.BRANCH: 1}
        for agent_id, name in (("a1", "王小明"), ("a2", "李华")):
            e(c.DefineAgent(AgentSpec(agent_id, capacity=capacity, site_id="sh", name=name)))
        security = platform.security
        for username, role, agent in (
            ("agent-a1", "agent", "a1"),
            ("agent-a2", "agent", "a2"),
            ("lead", "supervisor", None),
        ):
            security.users.create(
                username=username,
                password=PASSWORD,
                role=role,
                sites=("sh",) if role == "supervisor" else (),
                agent_id=agent,
                display_name=username,
            )
            user = security.users.get(username)
            scopes = sorted(ROLE_SCOPES[Role(user.role)])
            _, secret = security.credentials.issue_token(username, scopes)
            center.tokens[username] = {"Authorization": f"Bearer {secret}"}
        center.tokens["a1"] = center.tokens["agent-a1"]
        center.tokens["a2"] = center.tokens["agent-a2"]
        yield center


def next_frame(ws: Any, kind: str, limit: int = 20) -> dict[str, Any]:
    """The next frame of type ``kind`` (others are skipped). A status frame passed over
    on the way to an ack is kept for the next call asking for one: it may arrive before
    or after the ack."""
    kept: list[dict[str, Any]] = ws.__dict__.setdefault("kept_status", [])
    if kind == "status" and kept:
        return kept.pop(0)
    for _ in range(limit):
        frame: dict[str, Any] = ws.receive_json()
        if frame.get("type") == kind:
            return frame
        if kind == "ack" and frame.get("type") == "status":
            kept.append(frame)
    raise AssertionError(f"no {kind} frame in {limit} frames")
