"""Shared test configuration."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"

# Rich wraps CLI messages at the terminal width; a wide one keeps long temporary paths whole.
os.environ.setdefault("COLUMNS", "200")

# CI is reproducible: the same examples every run (a fixed derivation from each test).
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=40, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real call-center data beside the project; skips when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real call-center data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Each test reads the environment it sets: the process's cached settings are dropped
    before and after it (a command run in-process would otherwise keep an earlier test's
    database URL, depending on which tests ran before it on the same worker)."""
    from kefu.config import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
