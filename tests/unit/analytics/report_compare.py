"""Comparing two historical reports figure by figure (sums in SQL add in another order)."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["assert_same_report"]


def _same(a: Any, b: Any, path: str) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        assert sorted(a) == sorted(b), path
        for key in a:
            _same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list | tuple) and isinstance(b, list | tuple):
        assert len(a) == len(b), f"{path}: {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None, f"{path}: {a!r} != {b!r}"
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6), f"{path}: {a!r} != {b!r}"
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def assert_same_report(got: dict[str, Any], expected: dict[str, Any]) -> None:
    """Every figure of two ``HistoryReport.to_dict()`` equal (floats to 1e-9 relative)."""
    _same(got, expected, "report")
