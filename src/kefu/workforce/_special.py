"""Log-space incomplete-gamma ratios behind the Erlang formulas (private).

Every Erlang quantity is a ratio of Poisson/gamma tail sums to a single Poisson term. Those
ratios stay moderate while the sums and terms themselves overflow or underflow at
contact-center sizes (thousands of agents), so they are computed in log space here:

* ``p(s, x) = x**s * exp(-x) / Gamma(s + 1)``, the Poisson "pmf" extended to real ``s``;
* ``L(s, x) = P(s + 1, x) / p(s, x) = sum_{j>=1} x**j / ((s+1)(s+2)...(s+j))``;
* ``U(s, x) = Q(s + 1, x) / p(s, x)``; for integer ``n``, ``U(n, a) = 1 / ErlangB(n, a)``.

``P`` and ``Q`` are the regularized lower and upper incomplete gamma functions. Where the
tail that is needed is representable, scipy's ``gammainc``/``gammaincc`` (relative error
about 1e-12 even deep in the tails) are divided by ``p`` in log space; where it underflows,
the ratio is summed directly (series for ``L``, Legendre's continued fraction for ``U``),
which converges fast exactly there. ``log p`` uses Loader's saddle-point form, so it keeps
full precision when ``s`` and ``x`` are in the millions.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, gammainc, gammaincc, gammaln

__all__ = [
    "exp_sinh_rule",
    "log_lower_ratio",
    "log_minus_digamma",
    "log_poisson",
    "log_upper_ratio",
]

FloatArray = npt.NDArray[np.float64]

# Below this the scipy tails lose relative precision (subnormals), so switch to direct sums.
_TINY: Final = 1e-280
_HALF_LOG_2PI: Final = 0.5 * math.log(2.0 * math.pi)
_MAX_TERMS: Final = 2_000_000
# Sides of the transition x ≈ s + 1 beyond which the direct sums converge in a few hundred terms.
_SERIES_SIDE: Final = 0.9
_CF_SIDE: Final = 1.1
_CHUNK: Final = 8


def _stirling_error(s: FloatArray) -> FloatArray:
    """``lgamma(s + 1) - (s + 0.5) log s + s - log(2 pi)/2`` for ``s > 0``, accurately."""
    out = np.empty_like(s)
    big = s > 15.0
    sb = s[big]
    inv2 = 1.0 / (sb * sb)
    out[big] = (
        1.0 / 12.0 - inv2 * (1.0 / 360.0 - inv2 * (1.0 / 1260.0 - inv2 * (1.0 / 1680.0)))
    ) / sb
    ss = s[~big]
    out[~big] = gammaln(ss + 1.0) - (ss + 0.5) * np.log(ss) + ss - _HALF_LOG_2PI
    return out


def _bd0(s: FloatArray, x: FloatArray) -> FloatArray:
    """``s log(s/x) + x - s >= 0`` without cancellation (``s > 0``, ``x > 0``)."""
    t = (x - s) / s
    out = np.empty_like(s)
    near = np.abs(t) < 0.25
    # t - log1p(t) = t*w - 2 (w^3/3 + w^5/5 + ...), w = t / (2 + t): no cancellation.
    tn = t[near]
    w = tn / (2.0 + tn)
    w2 = w * w
    series = np.zeros_like(w)
    power = w * w2
    for k in range(1, 12):
        series += power / (2 * k + 1)
        power = power * w2
    out[near] = s[near] * (tn * w - 2.0 * series)
    # Far from s = x there is no cancellation; log(s / x) keeps x << s exact.
    sf, xf = s[~near], x[~near]
    out[~near] = sf * np.log(sf / xf) + xf - sf
    return out


def log_poisson(s: npt.ArrayLike, x: npt.ArrayLike) -> FloatArray:
    """``log(x**s e**-x / Gamma(s + 1))`` for real ``s >= 0`` and ``x >= 0`` (−inf at x = 0 < s)."""
    s_arr, x_arr = np.broadcast_arrays(np.asarray(s, dtype=float), np.asarray(x, dtype=float))
    s_arr = s_arr.astype(float, copy=True)
    x_arr = x_arr.astype(float, copy=True)
    out = np.empty(s_arr.shape, dtype=float)
    big = (s_arr >= 1.0) & (x_arr > 0.0)
    sb, xb = s_arr[big], x_arr[big]
    out[big] = -_bd0(sb, xb) - _stirling_error(sb) - _HALF_LOG_2PI - 0.5 * np.log(sb)
    small = ~big
    ss, xs = s_arr[small], x_arr[small]
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = np.where(ss == 0.0, 0.0, ss * np.log(xs)) - xs - gammaln(ss + 1.0)
    out[small] = np.where((xs == 0.0) & (ss > 0.0), -np.inf, direct)
    return out


def _log_lower_series(s: FloatArray, x: FloatArray) -> FloatArray:
    """``log sum_{j>=1} x^j / (s+1)_j`` for ``0 < x < s + 1`` (terms decrease geometrically)."""
    total = np.zeros_like(s)
    idx = np.arange(s.size)
    ss, xx = s.copy(), x.copy()
    term = np.ones_like(s)
    acc = np.zeros_like(s)
    j = 0
    while idx.size and j < _MAX_TERMS:
        for _ in range(_CHUNK):
            j += 1
            term *= xx / (ss + j)
            acc += term
        # Drop the converged cases so the long sums near the transition cost only themselves.
        done = term <= 1e-17 * acc
        if done.any():
            total[idx[done]] = acc[done]
            keep = ~done
            idx, ss, xx, term, acc = idx[keep], ss[keep], xx[keep], term[keep], acc[keep]
    total[idx] = acc
    with np.errstate(divide="ignore"):
        return np.log(total)


def _log_upper_cf(s: FloatArray, x: FloatArray) -> FloatArray:
    """``log(x * CF)`` with Legendre's continued fraction for ``Q(s+1, x)``; ``x > s + 1``."""
    tiny = 1e-300
    out = np.empty_like(x)
    idx = np.arange(x.size)
    a = s + 1.0
    b = x + 1.0 - a
    c = np.full_like(x, 1.0 / tiny)
    d = 1.0 / b
    h = d.copy()
    i = 0
    while idx.size and i < _MAX_TERMS:
        for _ in range(_CHUNK):
            i += 1
            an = -i * (i - a)
            b = b + 2.0
            d = an * d + b
            d = np.where(np.abs(d) < tiny, tiny, d)
            c = b + an / c
            c = np.where(np.abs(c) < tiny, tiny, c)
            d = 1.0 / d
            delta = d * c
            h *= delta
        done = np.abs(delta - 1.0) <= 1e-15
        if done.any():
            out[idx[done]] = h[done]
            keep = ~done
            idx, a, b, c, d, h = idx[keep], a[keep], b[keep], c[keep], d[keep], h[keep]
    out[idx] = h
    return np.log(x) + np.log(out)


def _prepare(s: npt.ArrayLike, x: npt.ArrayLike) -> tuple[FloatArray, FloatArray, tuple[int, ...]]:
    s_arr, x_arr = np.broadcast_arrays(np.asarray(s, dtype=float), np.asarray(x, dtype=float))
    shape = s_arr.shape
    return s_arr.ravel().astype(float), x_arr.ravel().astype(float), shape


def log_lower_ratio(s: npt.ArrayLike, x: npt.ArrayLike) -> FloatArray:
    """``log L(s, x) = log(P(s+1, x) / p(s, x))`` for real ``s >= 0``, ``x >= 0`` (−inf at 0)."""
    s_arr, x_arr, shape = _prepare(s, x)
    out = np.full(s_arr.shape, -np.inf)
    pos = x_arr > 0.0
    sp, xp = s_arr[pos], x_arr[pos]
    res = np.empty_like(sp)
    # The direct series is exact and quick well inside the lower tail, and needed where P
    # underflows; elsewhere scipy's P is accurate to about 1e-14.
    series = xp < _SERIES_SIDE * (sp + 1.0)
    idx = np.nonzero(~series)[0]
    p_tail = gammainc(sp[idx] + 1.0, xp[idx])
    good = p_tail > _TINY
    res[idx[good]] = np.log(p_tail[good]) - log_poisson(sp[idx[good]], xp[idx[good]])
    series[idx[~good]] = True
    if series.any():
        res[series] = _log_lower_series(sp[series], xp[series])
    out[pos] = res
    return out.reshape(shape)


def log_upper_ratio(s: npt.ArrayLike, x: npt.ArrayLike) -> FloatArray:
    """``log U(s, x) = log(Q(s+1, x) / p(s, x))``; for integer ``n`` it is ``-log ErlangB(n, x)``.

    ``+inf`` at ``x = 0`` when ``s > 0``; ``0`` at ``x = 0 = s``.
    """
    s_arr, x_arr, shape = _prepare(s, x)
    out = np.where(s_arr == 0.0, 0.0, np.inf)
    pos = x_arr > 0.0
    sp, xp = s_arr[pos], x_arr[pos]
    res = np.empty_like(sp)
    frac = xp > _CF_SIDE * (sp + 1.0)
    idx = np.nonzero(~frac)[0]
    q_tail = gammaincc(sp[idx] + 1.0, xp[idx])
    good = q_tail > _TINY
    res[idx[good]] = np.log(q_tail[good]) - log_poisson(sp[idx[good]], xp[idx[good]])
    frac[idx[~good]] = True
    if frac.any():
        res[frac] = _log_upper_cf(sp[frac], xp[frac])
    out[pos] = res
    return out.reshape(shape)


def log_minus_digamma(z: FloatArray) -> FloatArray:
    """``log z - digamma(z) > 0`` for ``z > 0`` without cancellation at large ``z``."""
    out = np.empty_like(z)
    big = z > 20.0
    zb = z[big]
    inv2 = 1.0 / (zb * zb)
    # Asymptotic series: 1/(2z) + 1/(12 z^2) - 1/(120 z^4) + 1/(252 z^6) - 1/(240 z^8) ...
    out[big] = 0.5 / zb + inv2 * (
        1.0 / 12.0 - inv2 * (1.0 / 120.0 - inv2 * (1.0 / 252.0 - inv2 * (1.0 / 240.0)))
    )
    zs = z[~big]
    out[~big] = np.log(zs) - digamma(zs)
    return out


def exp_sinh_rule(step: float, t_min: float, t_max: float) -> tuple[FloatArray, FloatArray]:
    """Nodes and weights of the exp-sinh (double-exponential) rule for ``∫_0^∞ f(v) dv``.

    ``v = exp(π/2 · sinh t)`` on a trapezoid grid in ``t``: robust for integrands that are
    smooth on ``(0, ∞)`` and decay at least exponentially beyond ``v ≈ 1``, whatever their
    shape in between (the Erlang-A wait integrals range from Gaussian to doubly-exponential).
    """
    grid = np.arange(t_min, t_max + step / 2.0, step)
    nodes = np.exp(0.5 * np.pi * np.sinh(grid))
    weights = step * nodes * 0.5 * np.pi * np.cosh(grid)
    return nodes, weights
