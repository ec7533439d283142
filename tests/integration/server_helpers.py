"""``kefu`` as a child process: the command line, free ports and a served instance."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from kefu_forkserver import KEFU  # kefu as a child process (forked warm)

CHEAP_HASHING_ENV = {
    "KEFU_PASSWORD_TIME_COST": "1",
    "KEFU_PASSWORD_MEMORY_KIB": "64",
    "KEFU_PASSWORD_PARALLELISM": "1",
}
"""Argon2 costs for test servers (the defaults take tens of milliseconds per hash)."""
TEST_SECRET_KEY = "test-servers-only-0123456789abcdef-0123456789"
"""The signing key of the test servers (``kefu serve`` refuses to start without one)."""


def admin_token(db_path: Path) -> dict[str, str]:
    """Create an admin on the migrated SQLite file; its bearer token's headers."""
    from kefu.adapters.clock import SystemClock
    from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine, sqlite_url
    from kefu.service.security import ROLE_SCOPES, PasswordPolicy, Role, Security

    engine = make_engine(sqlite_url(str(db_path)))
    try:
        security = Security(
            SqlUnitOfWorkFactory(engine),
            SystemClock(),
            passwords=PasswordPolicy(time_cost=1, memory_kib=64, parallelism=1),
        )
        security.users.create(username="root", password="test admin 密码", role="admin")
        _, secret = security.credentials.issue_token("root", sorted(ROLE_SCOPES[Role.ADMIN]))
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {secret}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """``kefu serve`` as a child process on a free loopback port."""

    def __init__(self, db_path: Path) -> None:
        self.env = {
            **os.environ,
            **CHEAP_HASHING_ENV,
            "KEFU_DB_PATH": str(db_path),
            "KEFU_ENV": "test",
            "KEFU_SECRET_KEY": TEST_SECRET_KEY,
        }
        self.env.pop("KEFU_DATABASE_URL", None)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = db_path.with_suffix(f".{self.port}.log")
        self.auth: dict[str, str] = {}
        """Headers authenticating requests (set by the test)."""

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*KEFU, "serve", "--port", str(self.port), "--log-level", "warning"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        # A loaded machine (two workers, each starting servers) can take long to start one.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"kefu serve exited early:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.base}/api/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()  # a server that never answered is not left running after the test
        pytest.fail(f"kefu serve did not answer in 90 s:\n{self.log.read_text()}")

    def kill(self) -> None:
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
