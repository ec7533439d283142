"""Browser tests: the demo as a child process and a headless Debian chromium (skipped with
the reason when chromium or Playwright is missing, unless ``KEFU_REQUIRE_SERVICES=1``).

Playwright and its chromium start once per test module (``playwright``); each test gets
fresh contexts in it (``browser``, ``contexts``), each with its own cookies and storage."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from browser_helpers import (
    ARTIFACTS,
    CHEAP_HASHING,
    Demo,
    NewContext,
    launch_chromium,
    require_chromium,
)
from desktop_helpers import Relay, SmsProvider

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import BrowserContext, Playwright


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """Playwright for the tests of one module; its chromium starts at the first context."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as running:
        yield running


@pytest.fixture
def browser(playwright: Playwright) -> Iterator[BrowserContext]:
    """A fresh headless chromium context (English UI, so switching to Chinese is seen)."""
    context = launch_chromium(playwright)
    context.set_default_timeout(15_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def contexts(playwright: Playwright) -> Iterator[NewContext]:
    """Separate fresh contexts, ``contexts(name)`` (each its own cookies: one person each)."""
    made: list[BrowserContext] = []

    def new(_name: str) -> BrowserContext:
        context = launch_chromium(playwright)
        context.set_default_timeout(15_000)
        made.append(context)
        return context

    try:
        yield new
    finally:
        for context in made:
            context.close()


@pytest.fixture(scope="module")
def relay() -> Iterator[Relay]:
    """The SMTP relay kefu's e-mail replies go to (one per module, as its demo)."""
    made = Relay()
    yield made
    made.stop()


@pytest.fixture(scope="module")
def sms() -> Iterator[SmsProvider]:
    """The SMS provider kefu's texts go to (one per module, as its demo)."""
    made = SmsProvider()
    yield made
    made.stop()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """``kefu demo`` on a free port with a fresh SQLite file, shared by the tests of a
    module (its start is most of their time); stopped with Ctrl-C."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in CHEAP_HASHING.items():  # logins need no strong hashes here
            env.setenv(name, value)
        running = Demo(tmp_path_factory.mktemp("demo") / "demo.sqlite3")
        running.start()
    try:
        yield running
    finally:
        code = running.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "demo-console.txt").write_text(running.output(), encoding="utf-8")
    assert code == 0, f"kefu demo did not stop cleanly on Ctrl-C:\n{running.output()}"


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
