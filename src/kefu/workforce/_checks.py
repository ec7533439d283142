"""Argument checks shared by the Erlang and staffing functions (private).

Each check turns its argument into a float64 array and raises :class:`ValueError` naming the
argument, the rule and the first offending value, so scalar and vectorized calls report the
same clear message.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

__all__ = [
    "agents_1",
    "as_agents",
    "as_nonnegative",
    "as_positive",
    "nonnegative_1",
    "positive_1",
]

FloatArray = npt.NDArray[np.float64]


def _as_float(name: str, value: npt.ArrayLike) -> FloatArray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number, got {value!r}") from exc
    if np.isnan(arr).any():
        raise ValueError(f"{name} must be a number, got NaN")
    return arr


def _reject(name: str, arr: FloatArray, bad: npt.NDArray[np.bool_], rule: str) -> None:
    if bad.any():
        raise ValueError(f"{name} must be {rule}, got {float(arr[bad].ravel()[0]):g}")


def as_nonnegative(name: str, value: npt.ArrayLike, *, allow_inf: bool = False) -> FloatArray:
    """A value ``>= 0`` (e.g. traffic in Erlangs, a threshold in seconds)."""
    arr = _as_float(name, value)
    if allow_inf:
        _reject(name, arr, arr < 0.0, "a number >= 0")
    else:
        _reject(name, arr, ~np.isfinite(arr) | (arr < 0.0), "a finite number >= 0")
    return arr


def as_positive(name: str, value: npt.ArrayLike, *, allow_inf: bool = False) -> FloatArray:
    """A value ``> 0`` (e.g. a mean handle time in seconds; a patience may be ``inf``)."""
    arr = _as_float(name, value)
    if allow_inf:
        _reject(name, arr, arr <= 0.0, "a number > 0")
    else:
        _reject(name, arr, ~np.isfinite(arr) | (arr <= 0.0), "a finite number > 0")
    return arr


def as_agents(value: npt.ArrayLike, minimum: int) -> FloatArray:
    """A whole number of agents ``>= minimum`` (returned as floats for the formulas)."""
    arr = _as_float("agents", value)
    _reject("agents", arr, ~np.isfinite(arr) | (arr != np.floor(arr)), "a whole number")
    _reject("agents", arr, arr < minimum, f">= {minimum}")
    return arr


def _number(name: str, value: object) -> float:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number, got {value!r}") from exc
    if math.isnan(out):
        raise ValueError(f"{name} must be a number, got NaN")
    return out


def nonnegative_1(name: str, value: object, *, allow_inf: bool = False) -> float:
    """Scalar :func:`as_nonnegative` (same rules and messages)."""
    out = _number(name, value)
    if out < 0.0 or (not allow_inf and math.isinf(out)):
        rule = "a number >= 0" if allow_inf else "a finite number >= 0"
        raise ValueError(f"{name} must be {rule}, got {out:g}")
    return out


def positive_1(name: str, value: object) -> float:
    """Scalar :func:`as_positive` for finite values (same rules and messages)."""
    out = _number(name, value)
    if not (math.isfinite(out) and out > 0.0):
        raise ValueError(f"{name} must be a finite number > 0, got {out:g}")
    return out


def agents_1(value: object, minimum: int) -> float:
    """Scalar :func:`as_agents` (same rules and messages)."""
    out = _number("agents", value)
    if not math.isfinite(out) or out != math.floor(out):
        raise ValueError(f"agents must be a whole number, got {out:g}")
    if out < minimum:
        raise ValueError(f"agents must be >= {minimum}, got {out:g}")
    return out
