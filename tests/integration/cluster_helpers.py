"""A kefu cluster as child processes on loopback: router and web nodes of one routing
domain on a PostgreSQL schema and the NATS server, each ``kefu serve --role ...`` on a
free port, and the seeding of the domain (a site, a queue, an agent, a supervisor's
token) before they start."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from server_helpers import CHEAP_HASHING_ENV, KEFU, TEST_SECRET_KEY, free_port

from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine
from kefu.bootstrap import routing_engine
from kefu.config import Settings
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.routing import commands as c
from kefu.service.security import Scope, security_from_settings
from kefu.testing import ManualClock

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
        settings = Settings(
            env="test",
            secret_key=TEST_SECRET_KEY,
            routing_domain=domain,
            password_time_cost=1,
            password_memory_kib=64,
            password_parallelism=1,
        )
        security = security_from_settings(settings, uow_factory, ManualClock(time.time()))
        security.users.create(
            username="sup", password="a long password", role="supervisor", sites=["sh"]
        )
        scopes = [Scope.READ, Scope.CONTACTS_WRITE, Scope.AGENTS_WRITE]
        _, token = security.credentials.issue_token("sup", scopes)
    finally:
        database.dispose()
    return {"Authorization": f"Bearer {token}"}


class Node:
    """``kefu serve --role <role>`` of ``domain`` as a child process on a free port."""

    def __init__(
        self, role: str, name: str, url: str, schema: str, domain: str, logs: Path
    ) -> None:
        self.role = role
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = logs / f"{name}.log"
        self.env = {
            **os.environ,
            **CHEAP_HASHING_ENV,
            "KEFU_ENV": "test",
            "KEFU_SECRET_KEY": TEST_SECRET_KEY,
            "KEFU_DATABASE_URL": url,
            "KEFU_DATABASE_SCHEMA": schema,
            "KEFU_ROUTING_DOMAIN": domain,
            "KEFU_NATS_URL": NATS_URL,
            "KEFU_NODE_NAME": name,
            "KEFU_SNAPSHOT_EVERY": "0",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    *KEFU,
                    "serve",
                    "--role",
                    self.role,
                    "--port",
                    str(self.port),
                    "--log-level",
                    "warning",
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def ready(self) -> bool:
        """Whether ``/readyz`` answers 200 (a router: it leads)."""
        try:
            return httpx.get(f"{self.base}/readyz", timeout=1.0).status_code == 200
        except httpx.TransportError:
            return False

    def answers(self) -> bool:
        try:
            return httpx.get(f"{self.base}/healthz", timeout=1.0).status_code == 200
        except httpx.TransportError:
            return False

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


class CutProxy:
    """A TCP relay from a loopback port to ``upstream`` (PostgreSQL) on a thread of its
    own, that can cut the link as a network partition does: :meth:`cut` silently drops
    every byte both ways (the client's queries hang, nothing reaches the server) and,
    after ``server_gives_up_s``, closes its connections to the server, as the server does
    when its keepalives go unanswered (the relay's own sockets would answer them);
    :meth:`heal` resets the cut connections and lets new ones through."""

    def __init__(self, upstream: tuple[str, int], server_gives_up_s: float) -> None:
        self.upstream = upstream
        self.server_gives_up_s = server_gives_up_s
        self.port = free_port()
        self.cut_at: float | None = None
        self._pairs: list[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10.0)

    async def _serve(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut_at is not None:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        self._pairs.append((writer, up_writer))
        await asyncio.gather(
            self._pump(reader, up_writer), self._pump(up_reader, writer), return_exceptions=True
        )
        for end in (writer, up_writer):
            end.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            if self.cut_at is None:
                writer.write(data)
                await writer.drain()

    def cut(self) -> None:
        def start() -> None:
            self.cut_at = time.monotonic()
            self._loop.call_later(self.server_gives_up_s, self._drop_server_side)

        self._loop.call_soon_threadsafe(start)

    def _drop_server_side(self) -> None:
        for _client, server in self._pairs:
            server.close()

    def heal(self) -> None:
        def reopen() -> None:
            for client, server in self._pairs:
                server.close()
                client.transport.abort()
            self._pairs = []
            self.cut_at = None

        self._loop.call_soon_threadsafe(reopen)

    def close(self) -> None:
        async def shut() -> None:
            self._server.close()
            for client, server in self._pairs:
                client.transport.abort()
                server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shut(), self._loop).result(10.0)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5.0)
        self._loop.close()
