"""Browser tests: the demo as a child process and a headless Debian chromium (skipped with
the reason when chromium or Playwright is missing, unless ``KEFU_REQUIRE_SERVICES=1``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser_helpers import ARTIFACTS, Demo, launch_chromium, require_chromium

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[BrowserContext]:
    """A fresh headless chromium profile (English UI, so switching to Chinese is seen)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = launch_chromium(playwright, tmp_path / "profile")
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    """``kefu demo`` on a free port with a fresh SQLite file; stopped with Ctrl-C."""
    running = Demo(tmp_path / "demo.sqlite3")
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
