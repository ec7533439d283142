"""Shared test configuration: the order of the test files, a fork server for ``kefu`` child
processes when integration or browser tests run (``kefu_forkserver.py``; the rules are in
``tests/README.md``), hypothesis profiles and fresh settings for each test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

import kefu_forkserver

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
# The longest files go first, so that at the end the workers finish short files together
# rather than one of them running a long one alone (the run's tail). xdist's own order, by
# number of tests, put the one-test browser files (a demo and chromium each) last. The files
# named here took the longest in whole runs (20 to 75 s each on a loaded 2-core machine,
# three workers); after them come browser files, then server and simulation files, then
# the rest.
LONGEST_FILES = (
    # the simulations against Erlang C/A: 99 s in all in a pure-Python run, the longest file
    # (`make test` runs them on the compiled build only, in 8 s: see the Makefile)
    "tests/sim/test_sim_erlang.py",
    "tests/integration/voice/test_voice_call_features.py",
    "tests/integration/channels_server/test_customer_sites.py",
    "tests/integration/voice/test_sipp_calls.py",
    "tests/integration/test_readme_commands.py",
    "tests/integration/voice/test_voice_transfer.py",
    "tests/e2e/test_desktop_browser.py",
    "tests/integration/voice/test_voice_consult.py",
    "tests/unit/api/test_api_cases.py",
    "tests/e2e/test_first_minutes_browser.py",
    "tests/integration/voice/test_ivr_calls.py",
    "tests/unit/service/test_ivr_replay_property.py",
    "tests/e2e/test_reports_browser.py",
    "tests/integration/channels_server/test_customer_pages.py",
    "tests/integration/voice/test_softphone_record_transfer.py",
    "tests/integration/test_report_projection.py",
    "tests/unit/sim/test_sim_engine.py",
    "tests/integration/test_cluster_partition.py",
    "tests/e2e/test_customer_record_browser.py",
    "tests/unit/api/test_workforce_pages.py",
    "tests/integration/voice/test_softphone_controls.py",
    "tests/integration/channels_server/test_chat_desktop.py",
    "tests/e2e/test_demo_hall_browser.py",
    "tests/unit/workforce/test_forecast_quality_cli.py",
    "tests/unit/api/test_report_pages.py",
    "tests/unit/api/test_api_case_config.py",
    "tests/integration/voice/test_sip_edges.py",
    "tests/integration/test_cluster_processes.py",
)
SLOWER_DIRS = ("tests/e2e/", "tests/integration/", "tests/sim/")
# Statistical and property-based runs execute the same lines thousands of times: line
# coverage learns nothing from them after the first pass but made them 2-4 times slower
# (tests/sim: 87 s against 20 s; tests/property: 47 against 22). Their code is covered by
# the unit tests; pytest-cov's ``no_cover`` marker stops tracing for these.
UNTRACED_DIRS = ("tests/sim/", "tests/property/")


def _file_rank(relative: str) -> tuple[int, int]:
    """Where a test file goes in the run: the named longest files in their order, then by
    directory (browsers, servers, simulations), then the rest; ties keep collection order."""
    if relative in LONGEST_FILES:
        return 0, LONGEST_FILES.index(relative)
    for n, directory in enumerate(SLOWER_DIRS):
        if relative.startswith(directory):
            return 1, n
    return 2, 0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Longest test files first (a stable sort: a file's tests keep their order); a fork
    server for ``kefu`` child processes when servers or browsers are among them."""
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
    untraced = tuple(ROOT / name for name in UNTRACED_DIRS)
    for item in items:
        if any(item.path.is_relative_to(folder) for folder in untraced):
            item.add_marker(pytest.mark.no_cover)
    servers = (ROOT / "tests" / "integration", ROOT / "tests" / "e2e")
    if not config.option.collectonly and any(p.is_relative_to(s) for p in ranks for s in servers):
        kefu_forkserver.start()


def pytest_configure() -> None:
    """``KEFU_EXPECT_COMPILED=1`` (the Makefile's ``compiled-test``): refuse to run unless
    the router imported is the compiled build, so that run never silently tests the source."""
    if os.environ.get("KEFU_EXPECT_COMPILED") == "1":
        from kefu.analytics import kpi
        from kefu.domain.routing import router
        from kefu.sim import engine, sampler

        for module in (router, kpi, engine, sampler):
            if (module.__file__ or "").endswith(".py"):
                raise pytest.UsageError(
                    f"KEFU_EXPECT_COMPILED=1 but {module.__name__} is pure Python "
                    f"({module.__file__}); run `make compiled`"
                )


def pytest_unconfigure() -> None:
    kefu_forkserver.stop()


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
