"""Scalar twins of :mod:`._special` for one Erlang B/C evaluation (private).

The same mathematics (Loader's ``log p``, scipy's ``gammaincc`` where its tail is
representable, Legendre's continued fraction where it underflows) on Python floats, so
that one call costs microseconds instead of the fixed overhead of numpy's array
machinery. The vectorized functions remain the reference; tests compare the two.
"""

from __future__ import annotations

import math

from scipy.special import gammaincc

__all__ = ["erlang_b_1", "erlang_c_and_free_1"]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_TINY = 1e-280
_CF_SIDE = 1.1
_MAX_TERMS = 2_000_000


def _stirling_error(s: float) -> float:
    if s > 15.0:
        inv2 = 1.0 / (s * s)
        return (1.0 / 12.0 - inv2 * (1.0 / 360.0 - inv2 * (1.0 / 1260.0 - inv2 / 1680.0))) / s
    return math.lgamma(s + 1.0) - (s + 0.5) * math.log(s) + s - _HALF_LOG_2PI


def _bd0(s: float, x: float) -> float:
    t = (x - s) / s
    if abs(t) < 0.25:
        w = t / (2.0 + t)
        w2 = w * w
        power, series = w * w2, 0.0
        for k in range(1, 12):
            series += power / (2 * k + 1)
            power *= w2
        return s * (t * w - 2.0 * series)
    return s * math.log(s / x) + x - s


def _log_poisson(s: float, x: float) -> float:
    if s >= 1.0:
        return -_bd0(s, x) - _stirling_error(s) - _HALF_LOG_2PI - 0.5 * math.log(s)
    return (s * math.log(x) if s else 0.0) - x - math.lgamma(s + 1.0)


def _log_upper_cf(s: float, x: float) -> float:
    a = s + 1.0
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, _MAX_TERMS):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = d if abs(d) >= tiny else tiny
        c = b + an / c
        c = c if abs(c) >= tiny else tiny
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) <= 1e-15:
            break
    return math.log(x) + math.log(h)


def _log_upper_ratio(n: float, a: float) -> float:
    """``log(Q(n+1, a) / p(n, a)) = −log ErlangB(n, a)`` for ``a > 0``."""
    if a > _CF_SIDE * (n + 1.0):
        return _log_upper_cf(n, a)
    q = float(gammaincc(n + 1.0, a))
    if q > _TINY:
        return math.log(q) - _log_poisson(n, a)
    return _log_upper_cf(n, a)


def erlang_b_1(a: float, n: float) -> float:
    """Erlang B for checked ``a >= 0`` and whole ``n >= 0``."""
    if n == 0.0:
        return 1.0
    if a == 0.0:
        return 0.0
    log_inv = _log_upper_ratio(n, a)
    return min(1.0, math.exp(-log_inv)) if log_inv < 745.0 else 0.0


def erlang_c_and_free_1(a: float, n: float) -> tuple[float, float]:
    """Erlang C and ``1 − C`` (both without cancellation) for checked ``n >= 1``."""
    if a >= n:
        return 1.0, 0.0
    b = erlang_b_1(a, n)
    denom = n - a + a * b
    return min(1.0, n * b / denom), (n - a) * (1.0 - b) / denom
