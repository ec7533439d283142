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


# Under ``--dist loadfile --no-loadscope-reorder`` (the Makefile's) xdist hands whole files to
# its workers in collection order, each worker taking the next file when it is almost done.
# The longest files go first, so that at the end both workers finish short files together
# rather than one of them running a long one alone (the run's tail). xdist's own order, by
# number of tests, put the one-test browser files (a demo and chromium each) last. The files
# named here took the longest in a whole run (60 to 155 s each on a loaded 2-core machine);
# after them come browser files, then server and simulation files, then the rest.
LONGEST_FILES = (
    "tests/integration/test_readme_commands.py",
    "tests/e2e/test_first_minutes_browser.py",
    "tests/sim/test_sim_erlang.py",
    "tests/e2e/test_desktop_browser.py",
    "tests/integration/test_durability.py",
    "tests/e2e/test_customer_record_browser.py",
    "tests/e2e/test_demo_hall_browser.py",
    "tests/e2e/test_customers_browser.py",
    "tests/e2e/test_wallboard_browser.py",
    "tests/e2e/test_ivr_browser.py",
    "tests/integration/voice/test_voice_call_features.py",
    "tests/e2e/test_my_cases_browser.py",
    "tests/e2e/test_cases_browser.py",
    "tests/e2e/test_full_story_browser.py",
    "tests/e2e/test_ivr_admin_browser.py",
    "tests/integration/test_demo_server.py",
    "tests/e2e/test_reports_browser.py",
    "tests/unit/service/test_ivr_replay_property.py",
)
SLOWER_DIRS = ("tests/e2e/", "tests/integration/", "tests/sim/")


def _file_rank(relative: str) -> tuple[int, int]:
    """Where a test file goes in the run: the named longest files in their order, then by
    directory (browsers, servers, simulations), then the rest; ties keep collection order."""
    if relative in LONGEST_FILES:
        return 0, LONGEST_FILES.index(relative)
    for n, directory in enumerate(SLOWER_DIRS):
        if relative.startswith(directory):
            return 1, n
    return 2, 0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest test files first (a stable sort: a file's tests keep their order)."""
    missing = [name for name in LONGEST_FILES if not (ROOT / name).is_file()]
    if missing:  # a renamed file would silently drop out of the order
        raise pytest.UsageError(f"LONGEST_FILES in tests/conftest.py names no file: {missing}")
    ranks: dict[Path, tuple[int, int]] = {}
    for item in items:
        if item.path not in ranks:
            inside = item.path.is_relative_to(ROOT)
            relative = item.path.relative_to(ROOT).as_posix() if inside else ""
            ranks[item.path] = _file_rank(relative)
    items.sort(key=lambda item: ranks[item.path])


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
