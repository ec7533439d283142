"""The browser test's pieces: Debian's chromium under Playwright, and ``kefu demo`` as a
child process on a free loopback port with its own SQLite file.

Playwright never downloads a browser here: it drives the system's chromium through an
explicit executable path, headless, with no background traffic. One chromium process per
Playwright instance serves every context (each a fresh profile: its own cookies and
storage), as starting chromium costs far more than opening a context in it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from kefu_forkserver import KEFU  # kefu as a child process (forked warm)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

__all__ = [
    "ARTIFACTS",
    "CHEAP_HASHING",
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "Credential",
    "Demo",
    "NewContext",
    "free_port",
    "launch_chromium",
    "open_wallboard",
    "require_chromium",
]

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's chromium package (installed by the CI script when missing)."""
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
CHEAP_HASHING = {
    "KEFU_PASSWORD_TIME_COST": "1",
    "KEFU_PASSWORD_MEMORY_KIB": "64",
    "KEFU_PASSWORD_PARALLELISM": "1",
}
"""The demo's environment for cheap password hashes: logins in tests need no strong ones."""
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
"""Screenshots and page logs of the browser tests (git-ignored)."""
LOGIN_LINE = re.compile(r"Login 登录: (\S+) / (\S+) \((\w+)")


def require_chromium() -> None:
    """Skip (fail when ``KEFU_REQUIRE_SERVICES=1``) unless Playwright and chromium exist."""
    reasons = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reasons.append("Playwright for Python is not installed (pip install -e '.[e2e]')")
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        reasons.append(f"{CHROMIUM} is missing (apt-get install chromium)")
    if not reasons:
        return
    reason = "; ".join(reasons)
    if os.environ.get("KEFU_REQUIRE_SERVICES") == "1":
        pytest.fail(f"KEFU_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


NewContext = Callable[[str], "BrowserContext"]
"""The ``contexts`` fixture: ``contexts(name)`` opens one person's browser."""
_BROWSERS: dict[int, Browser] = {}
"""The chromium of each running Playwright instance (by ``id``), started on first use."""


def launch_chromium(
    playwright: Playwright, *, locale: str = "en-US", **options: Any
) -> BrowserContext:
    """A fresh browser context (its own cookies and storage, as a new profile) in the
    headless chromium of ``playwright``; closing the context leaves chromium running for the
    next one, and stopping Playwright stops it."""
    browser = _BROWSERS.get(id(playwright))
    if browser is None or not browser.is_connected():
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS)
        )
        _BROWSERS[id(playwright)] = browser
    return browser.new_context(locale=locale, viewport={"width": 1280, "height": 860}, **options)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Credential:
    """A login the demo printed."""

    username: str
    password: str
    role: str


@dataclass
class Demo:
    """``kefu demo`` on a free port of 127.0.0.1 with the SQLite file ``db``; its console
    output goes to ``log``."""

    db: Path
    rate: float = 1.0
    seed: int = 11
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.db.with_suffix(".log")

    def start(self, timeout_s: float = 90.0) -> None:
        # A port of its own for mail: demos started at once by parallel test workers would race
        # for the default 2525.
        command = [*KEFU, "demo", "--db", str(self.db), "--port", str(self.port), "--no-sip",
                   "--smtp-port", str(free_port())]  # fmt: skip
        command += ["--rate", str(self.rate), "--seed", str(self.seed)]
        # Wide, plain console output so each printed login stays on one line.
        env = {**os.environ, "KEFU_ENV": "local", "COLUMNS": "240", "NO_COLOR": "1"}
        env.pop("KEFU_DATABASE_URL", None)
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"kefu demo exited early:\n{self.output()}")
            try:
                if httpx.get(f"{self.base}/api/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()  # a demo that never answered is not left running after the test
        pytest.fail(f"kefu demo did not answer in {timeout_s:.0f} s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def credentials(self) -> list[Credential]:
        """The logins the demo printed (none before the security layer)."""
        return [Credential(*m) for m in LOGIN_LINE.findall(self.output())]

    def issue_token(self, username: str, *scopes: str) -> str:
        """An API token for ``username`` issued with ``kefu users token`` on the demo's
        database, as an operator gives one to an integration."""
        command = [*KEFU, "users", "token", username, "--json", "--db", str(self.db)]
        for scope in scopes:
            command += ["--scope", scope]
        env = {**os.environ, "KEFU_ENV": "local"}
        env.pop("KEFU_DATABASE_URL", None)
        done = subprocess.run(command, env=env, capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode()
        token: str = json.loads(done.stdout)["token"]
        return token

    def stop(self, timeout_s: float = 20.0) -> int | None:
        """Ctrl-C, as a user stops it; the exit code (None if it had to be killed)."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None


def open_wallboard(page: Page, demo: Demo, role: str = "supervisor") -> None:
    """Open the wallboard as a person would: the front page asks for a login, the form is
    filled with the login the demo printed for ``role``, and the wallboard follows."""
    page.goto(f"{demo.base}/")
    assert page.url.endswith("/login"), f"the front page is not the login page: {page.url}"
    login = next((c for c in demo.credentials() if c.role == role), None)
    assert login is not None, f"no {role} login printed:\n{demo.output()}"
    page.fill("input[name=username]", login.username)
    page.fill("input[name=password]", login.password)
    with page.expect_navigation():
        page.locator("form [type=submit]").click()
    assert "/login" not in page.url, f"the {role}'s login was refused"
    if not page.url.endswith("/wallboard"):
        page.goto(f"{demo.base}/wallboard")
    assert page.url.endswith("/wallboard"), page.url
