"""A kefu cluster as child processes: router and web nodes of one routing domain on a
PostgreSQL schema and the NATS server, each ``kefu serve --role ...`` on a free loopback
port or alone in a network namespace of its own (:mod:`netns_helpers`), and the seeding
of the domain (a site, a queue, an agent, a supervisor's token) before they start."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from netns_helpers import Namespace
from server_helpers import CHEAP_HASHING_ENV, TEST_SECRET_KEY, free_port
from sqlalchemy.engine import make_url

from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine
from kefu.bootstrap import routing_engine
from kefu.config import Settings
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.routing import commands as c
from kefu.service.security import Scope, Security, security_from_settings
from kefu.testing import ManualClock
from kefu_forkserver import KEFU

NATS_URL = os.environ.get("KEFU_TEST_NATS_URL", "nats://127.0.0.1:4222")


async def seed(url: str, schema: str, domain: str) -> dict[str, str]:
    """Site ``sh``, queue ``voice``, agent ``a1`` and a supervisor of ``sh``: the
    supervisor's bearer-token headers."""
    database = make_engine(url, schema=schema)
    try:
        uow_factory = SqlUnitOfWorkFactory(database)
        engine = routing_engine(uow_factory, ManualClock(time.time()))
        await engine.start()
        await engine.execute(c.CreateSite("sh", "上海"))
        await engine.execute(c.DefineQueue(QueueSpec("voice", Channel.VOICE), "sh"))
        await engine.execute(c.DefineAgent(AgentSpec("a1", site_id="sh", name="王磊")))
        await engine.stop()
        security = cluster_security(uow_factory, domain)
        security.users.create(
            username="sup", password="a long password", role="supervisor", sites=["sh"]
        )
        scopes = [Scope.READ, Scope.CONTACTS_WRITE, Scope.AGENTS_WRITE]
        _, token = security.credentials.issue_token("sup", scopes)
    finally:
        database.dispose()
    return {"Authorization": f"Bearer {token}"}


def cluster_security(uow_factory: SqlUnitOfWorkFactory, domain: str) -> Security:
    """The security layer of a cluster's store, as its nodes build it (the cluster's test
    secret, cheap password hashes), for seeding users and tokens."""
    settings = Settings(
        env="test",
        secret_key=TEST_SECRET_KEY,
        routing_domain=domain,
        password_time_cost=1,
        password_memory_kib=64,
        password_parallelism=1,
    )
    return security_from_settings(settings, uow_factory, ManualClock(time.time()))


NODE_PORT = 8000
"""The port a node listens on alone in its network namespace."""


class Node:
    """``kefu serve --role <role>`` of ``domain`` as a child process on a free loopback
    port, or, given ``namespace``, on every address of that network namespace, reaching
    PostgreSQL and NATS through the relay on the namespace's gateway (the root end of its
    veth; see :mod:`netns_helpers`)."""

    def __init__(
        self,
        role: str,
        name: str,
        url: str,
        schema: str,
        domain: str,
        logs: Path,
        namespace: Namespace | None = None,
    ) -> None:
        self.role = role
        self.name = name
        self.namespace = namespace
        self.log = logs / f"{name}.log"
        nats_url = NATS_URL
        if namespace is None:
            self.port, self.host = free_port(), "127.0.0.1"
            self.base = f"http://127.0.0.1:{self.port}"
        else:
            self.port, self.host = NODE_PORT, "0.0.0.0"
            self.base = f"http://{namespace.address}:{self.port}"
            url = make_url(url).set(host=namespace.gateway).render_as_string(hide_password=False)
            nats_url = re.sub(r"//[^:/]+", f"//{namespace.gateway}", NATS_URL, count=1)
        self.env = {
            **os.environ,
            **CHEAP_HASHING_ENV,
            "KEFU_ENV": "test",
            "KEFU_SECRET_KEY": TEST_SECRET_KEY,
            "KEFU_DATABASE_URL": url,
            "KEFU_DATABASE_SCHEMA": schema,
            "KEFU_ROUTING_DOMAIN": domain,
            "KEFU_NATS_URL": nats_url,
            "KEFU_NODE_NAME": name,
            "KEFU_SNAPSHOT_EVERY": "0",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            argv = [
                *KEFU,
                "serve",
                "--role",
                self.role,
                "--host",
                self.host,
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ]
            if self.namespace is not None:
                argv = self.namespace.command(*argv)
            self.process = subprocess.Popen(
                argv,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def get(self, path: str, timeout_s: float = 1.0) -> httpx.Response | None:
        """``GET path`` from the node's own host (inside its namespace: it answers while
        its veth is down); ``None`` when it does not answer."""

        def call() -> httpx.Response | None:
            try:
                return httpx.get(f"http://127.0.0.1:{self.port}{path}", timeout=timeout_s)
            except httpx.TransportError:
                return None

        if self.namespace is None:
            return call()
        return self.namespace.inside(call, timeout_s + 5.0)

    def ready(self) -> bool:
        """Whether ``/readyz`` answers 200 (a router: it leads)."""
        answer = self.get("/readyz")
        return answer is not None and answer.status_code == 200

    def answers(self) -> bool:
        answer = self.get("/healthz")
        return answer is not None and answer.status_code == 200

    def wait(self, check: str, timeout_s: float) -> float:
        """Seconds until ``check`` (``ready`` or ``answers``) holds; fails the test after
        ``timeout_s`` or when the process exited."""
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            assert self.process is not None
            if self.process.poll() is not None:
                pytest.fail(f"{self.name} exited early:\n{self.log.read_text()[-3000:]}")
            if getattr(self, check)():
                return time.monotonic() - started
            time.sleep(0.05)
        pytest.fail(f"{self.name} not {check} in {timeout_s} s:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """``kill -9``: the host dies, nothing is flushed."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def desktop_message_text(frame: dict[str, Any], seq: int) -> str | None:
    """The text of message ``seq`` in a desktop frame (a delta or a screen), if there."""
    if frame.get("type") == "message":
        messages = [frame["message"]]
    elif frame.get("type") == "desktop":
        conversations = [c["conversation"] for c in frame["view"]["contacts"]]
        messages = [m for conv in conversations if conv for m in conv["messages"]]
    else:
        return None
    texts = [m["text"] for m in messages if m["seq"] == seq]
    return texts[0] if texts else None
