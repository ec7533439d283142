"""Shared test configuration."""

from __future__ import annotations

import os
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
