"""E-mail and SMS over the real protocols into a real server (uvicorn on a free port, a
SQLite file): mail sent with smtplib reaches an agent, whose reply arrives in a relay sink
threaded so the customer's answer joins the conversation; signed webhooks are accepted
once (a replay is ignored), bad signatures, malformed and oversized requests are refused
with nothing stored; an SMS reply reaches the provider; everything is back after a
restart."""

from __future__ import annotations

import smtplib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from channels_server_helpers import (
    CHEAP_HASHING,
    PASSWORD,
    SECRET,
    LoopThread,
    RelaySink,
    SmsReceiver,
    mail,
    signed,
)

from kefu.adapters.channels.signing import signed_headers
from kefu.adapters.storage import make_engine, sqlite_url, upgrade
from kefu.bootstrap import Platform, build_live
from kefu.config import Settings
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.routing import commands as c
from kefu.service.security import ROLE_SCOPES, Role


@dataclass
class Served:
    platform: Platform
    server: uvicorn.Server
    base: str
    future: Any

    @property
    def smtp_port(self) -> int:
        assert self.platform.channel_server is not None
        listener = self.platform.channel_server.listener
        assert listener is not None and listener.port is not None
        return listener.port

    def records(self) -> int:
        assert self.platform.channels is not None
        return len(self.platform.channels.state.records)

    def deliveries(self) -> int:
        assert self.platform.channels is not None
        return sum(r.kind == "delivery" for r in self.platform.channels.state.records)


class Stack:
    """Relay sink, SMS receiver and kefu served from one SQLite file (restartable)."""

    def __init__(self, tmp: Path, loop: LoopThread) -> None:
        self.loop = loop
        self.db = tmp / "kefu.sqlite3"
        database = make_engine(sqlite_url(str(self.db)))
        upgrade(database)
        database.dispose()
        self.relay = RelaySink()
        loop.run(self.relay.start())
        self.sms = SmsReceiver()
        self.tokens: dict[str, dict[str, str]] = {}

    def serve(self, *, first: bool) -> Served:
        settings = Settings(
            env="test",
            db_path=str(self.db),
            host="127.0.0.1",
            port=_free_port(),
            smtp_port=0,
            smtp_max_message_bytes=20_000,
            relay_host="127.0.0.1",
            relay_port=self.relay.port,
            relay_from="support@kefu.example",
            webhook_secrets=SECRET.decode(),
            sms_url=self.sms.url,
            outbound_secret="outbound-secret-0123456789",
            **CHEAP_HASHING,
        )
        platform = build_live(settings)
        config = uvicorn.Config(
            platform.app, host="127.0.0.1", port=settings.port, log_level="warning", lifespan="on"
        )
        server = uvicorn.Server(config)
        future = self.loop.submit(server.serve())
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "the server did not start"
            assert not future.done(), future.exception()
            time.sleep(0.05)
        served = Served(platform, server, f"http://127.0.0.1:{settings.port}", future)
        if first:
            self._seed(served)
        return served

    def _seed(self, served: Served) -> None:
        engine = served.platform.engine
        for command in (
            c.CreateSite("sh", "上海"),
            c.DefineQueue(QueueSpec("mail", Channel.EMAIL, aht_s=600), "sh"),
            c.DefineQueue(QueueSpec("sms", Channel.SMS, aht_s=120), "sh"),
            c.DefineAgent(AgentSpec("a1", site_id="sh", name="王小明")),
        ):
            self.loop.run(engine.execute(command))
        security = served.platform.security
        for username, role, agent in (("agent-a1", "agent", "a1"), ("lead", "supervisor", None)):
            sites = ("sh",) if role == "supervisor" else ()
            security.users.create(
                username=username, password=PASSWORD, role=role, sites=sites, agent_id=agent
            )
            _, secret = security.credentials.issue_token(username, sorted(ROLE_SCOPES[Role(role)]))
            self.tokens[username] = {"Authorization": f"Bearer {secret}"}

    def stop(self, served: Served) -> None:
        served.server.should_exit = True
        served.future.result(20)

    def close(self) -> None:
        self.loop.run(self.relay.stop())
        self.sms.close()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    loop = LoopThread()
    made = Stack(tmp_path, loop)
    yield made
    made.close()
    loop.close()


def now() -> float:
    return time.time()


def _send(port: int, message: Any) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(message)


def _wait(condition: Any, what: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_given_mail_by_smtp_then_an_agent_replies_and_the_answer_joins_after_restart(
    stack: Stack,
) -> None:
    served = stack.serve(first=True)
    http = httpx.Client(base_url=served.base, timeout=10)
    agent = stack.tokens["agent-a1"]
    try:
        assert (
            http.post(
                "/api/v1/desktop/state", json={"presence": "ready"}, headers=agent
            ).status_code
            == 200
        )
        first = mail("发票问题 Invoice", "您好，我的发票抬头写错了。", message_id="<q1@example.cn>")
        _send(served.smtp_port, first)
        screen = http.get("/api/v1/desktop", headers=agent).json()
        (offer,) = screen["offers"]
        assert offer["channel"] == "email" and offer["customer"]["name"] == "王芳"
        accepted = http.post(
            f"/api/v1/desktop/offers/{offer['contact_id']}/accept",
            json={"offer_id": offer["offer_id"]},
            headers=agent,
        )
        conv = accepted.json()["contacts"][0]["conversation"]["conversation_id"]
        reply = http.post(
            f"/api/v1/desktop/conversations/{conv}/reply",
            json={"text": "已为您重新开具发票。"},
            headers=agent,
        )
        assert reply.status_code == 200, reply.text
        _wait(lambda: len(stack.relay.received) == 1, "the reply at the relay")
        sent = stack.relay.parsed()
        assert sent["To"].addresses[0].addr_spec == "wang.fang@example.cn"
        assert sent["In-Reply-To"] == "<q1@example.cn>"
        assert str(sent["Subject"]) == "Re: 发票问题 Invoice"
        assert "已为您重新开具发票" in sent.get_body().get_content()
        # The relay has the reply before the server records its delivery.
        _wait(lambda: served.deliveries() == 1, "the reply's delivery recorded")
        records = served.records()
        # Malformed and oversized mail is refused with SMTP codes; nothing is stored.
        with smtplib.SMTP("127.0.0.1", served.smtp_port, timeout=10) as client:
            broken = b"From: a@example.cn\r\nContent-Type: multipart/mixed\r\n\r\nno boundary"
            with pytest.raises(smtplib.SMTPDataError) as refused:
                client.sendmail("a@example.cn", ["support@kefu.example"], broken)
            assert refused.value.smtp_code == 554
        big = mail("big", "x" * 30_000, message_id="<big@example.cn>")
        with pytest.raises((smtplib.SMTPDataError, smtplib.SMTPSenderRefused)) as too_big:
            _send(served.smtp_port, big)
        assert getattr(too_big.value, "smtp_code", None) == 552
        assert served.records() == records
    finally:
        http.close()
        stack.stop(served)

    again = stack.serve(first=False)
    http = httpx.Client(base_url=again.base, timeout=10)
    try:
        refs = f"<q1@example.cn> {sent['Message-ID']}"
        _send(again.smtp_port, mail("Re: 发票问题 Invoice", "收到，谢谢！", references=refs))
        assert again.platform.channels is not None
        state = again.platform.channels.state
        conversation = state.conversation(conv)
        assert [m.text.strip() for m in conversation.messages] == [
            "您好，我的发票抬头写错了。",
            "已为您重新开具发票。",
            "收到，谢谢！",
        ]
        panel = http.get(
            f"/api/v1/customers/{conversation.customer_id}", headers=stack.tokens["lead"]
        )
        assert panel.status_code == 200 and panel.json()["name"] == "王芳"
        assert len(again.platform.engine.router.contacts) == 1  # the answer joined
    finally:
        http.close()
        stack.stop(again)


def test_given_signed_webhooks_then_accepted_once_and_bad_ones_store_nothing(
    stack: Stack,
) -> None:
    served = stack.serve(first=True)
    http = httpx.Client(base_url=served.base, timeout=10)
    url = "/api/v1/channels/webhook"
    agent = stack.tokens["agent-a1"]
    try:
        sms = {"type": "sms", "message_id": "p-1", "from": "13800138000", "text": "我的流量用完了"}
        headers, body = signed(sms, time.time())
        first = http.post(url, content=body, headers=headers)
        assert first.status_code == 200 and first.json()["status"] == "accepted"
        # Nobody is ready: the customer is told by SMS that it waits (delivery recorded).
        channels = served.platform.channels
        assert channels is not None
        _wait(lambda: len(stack.sms.bodies) == 1, "the waiting notice at the provider")
        _wait(lambda: bool(channels.state.deliveries), "the notice's delivery record")
        notice = stack.sms.bodies[0]["text"]
        assert "前面还有 0 位" in notice and "You are" not in notice  # the customer's Chinese
        records = served.records()
        replay = http.post(url, content=body, headers=signed(sms, time.time())[0])
        assert replay.status_code == 200 and replay.json()["status"] == "duplicate"
        assert served.records() == records
        forged_headers, forged = signed({**sms, "message_id": "p-2"}, time.time(), b"x" * 32)
        assert http.post(url, content=forged, headers=forged_headers).status_code == 401
        bad = b"{not json"
        bad_headers = {"Content-Type": "application/json", **signed_headers(SECRET, bad, now())}
        assert http.post(url, content=bad, headers=bad_headers).status_code == 400
        deep = b"[" * 30_000 + b"1" + b"]" * 30_000  # signed, 30,000 deep: 400, never 500
        deep_headers = {"Content-Type": "application/json", **signed_headers(SECRET, deep, now())}
        nested = http.post(url, content=deep, headers=deep_headers)
        assert nested.status_code == 400 and nested.json()["error_id"] == "malformed_json"
        huge_headers, huge = signed({**sms, "message_id": "p-3", "text": "长" * 5001}, now())
        assert http.post(url, content=huge, headers=huge_headers).status_code == 422
        big = b"x" * (70 * 1024)
        big_headers = {"Content-Type": "application/json", **signed_headers(SECRET, big, now())}
        assert http.post(url, content=big, headers=big_headers).status_code == 413
        assert served.records() == records
        assert len(served.platform.engine.router.contacts) == 1
        # The agent answers by SMS: the provider receives it.
        http.post("/api/v1/desktop/state", json={"presence": "ready"}, headers=agent)
        (offer,) = http.get("/api/v1/desktop", headers=agent).json()["offers"]
        screen = http.post(
            f"/api/v1/desktop/offers/{offer['contact_id']}/accept",
            json={"offer_id": offer["offer_id"]},
            headers=agent,
        ).json()
        conv = screen["contacts"][0]["conversation"]["conversation_id"]
        http.post(
            f"/api/v1/desktop/conversations/{conv}/reply",
            json={"text": "已为您加装 5GB 流量包"},
            headers=agent,
        )
        _wait(lambda: len(stack.sms.bodies) == 2, "the SMS at the provider")
        out = stack.sms.bodies[-1]
        assert out["to"] == "+8613800138000" and out["text"] == "已为您加装 5GB 流量包"
    finally:
        http.close()
        stack.stop(served)
