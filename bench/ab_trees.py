"""What the A/B benchmarks share: the source trees compared (a base commit checked out in a
temporary git worktree, beside this tree's ``src``), the figures' median and spread over
rounds, and the load of the machine while they ran."""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASE = "a7416b7"
"""The commit of the last good server and chat records (before issue #11's refactoring)."""


def git(tree: str | Path, *words: str) -> str:
    done = subprocess.run(["git", "-C", str(tree), *words], capture_output=True, text=True)
    return done.stdout.strip()


def commit_of(tree: str) -> str:
    """The short commit of a source tree, with "+changes" when its files differ from it."""
    dirty = git(tree, "status", "--porcelain", "--", ".")
    return git(tree, "rev-parse", "--short", "HEAD") + ("+changes" if dirty else "")


@contextlib.contextmanager
def checked_out(commit: str) -> Iterator[str]:
    """The ``src`` folder of ``commit`` in a temporary worktree of this repository,
    removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="kefu-ab-base-"))
    tree = folder / "tree"
    done = subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), commit],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        shutil.rmtree(folder, ignore_errors=True)
        raise SystemExit(f"cannot check out {commit}: {done.stderr.strip()}")
    try:
        yield str(tree / "src")
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def trees(base: str | None, a: str | None, b: str | None) -> Iterator[tuple[str, str]]:
    """(A, B) source folders: A is ``a`` or the ``base`` commit checked out; B is ``b`` or
    this tree's ``src``."""
    second = str(Path(b).resolve()) if b else str(ROOT / "src")
    if a:
        yield str(Path(a).resolve()), second
        return
    with checked_out(base or DEFAULT_BASE) as first:
        yield first, second


def spread(values: Sequence[float]) -> dict[str, float | None]:
    """Median, least and most of one figure over the rounds (``None`` without values)."""
    if not values:
        return {"median": None, "min": None, "max": None}
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def load_1m() -> float:
    return round(os.getloadavg()[0], 2)


def ratio(b: float | None, a: float | None) -> float | None:
    """B / A, or ``None`` when either is missing or A is 0."""
    return round(b / a, 3) if a and b is not None else None
