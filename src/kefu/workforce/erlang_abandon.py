"""Erlang A (Palm's M/M/n+M queue: exponential patience), exact and vectorized.

Notation (rates per second, times in seconds): arrival rate λ, service rate μ = 1/aht,
abandonment rate θ = 1/patience, n agents; a = λ/μ, x = λ/θ, y = nμ/θ. The birth–death
chain has death rate kμ below n and nμ + jθ with j waiting, so with
``E = Σ_{k<n} (a^k/k!)/(a^n/n!)`` and ``L = Σ_{j≥1} x^j / ((y+1)…(y+j)) = P(y+1, x)/p(y, x)``
(see :mod:`._special`), the state ``n`` has probability ``π_n = 1 / (E + 1 + L)`` and

* P(wait) = π_n (1 + L);
* P(served after waiting) = π_n (y/x) L (a waiting customer with j ahead is served with
  probability y/(y+j+1)); P(abandon) = θ E[queue]/λ = π_n (1 + (1 − y/x) L);
* P(served, wait > t) = π_n (y/x) P(y+1, x e^{−θt}) / p(y, x): given j ahead, e^{−θV} of
  the offered wait V is Beta(y, j+1) distributed, and the sum over j is an incomplete gamma;
* service level over ALL arrivals = P(no wait) + P(served after waiting, wait <= T);
* mean wait of all arrivals = P(abandon)/θ; of answered contacts
  ``ASA = ∫_0^∞ P(served, wait > t) dt / P(served)``, an integral over the tail of a gamma
  law (with put–call parity when that tail is the upper one) by exp-sinh quadrature.

Where ``1 − (y/x − 1) L`` cancels (long patience, light load) P(abandon) uses its expansion
in ``1/y`` (Stirling numbers), and where most answered waits exceed T the answered-within-T
mass is integrated directly, so every output keeps its relative precision. Following
Garnett, Mandelbaum & Reiman (2002) and Mandelbaum & Zeltyn's Erlang-A notes; derived and
checked here against the birth–death chain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import expit

from kefu.workforce._checks import as_agents, as_nonnegative, as_positive
from kefu.workforce._special import (
    exp_sinh_rule,
    log_lower_ratio,
    log_minus_digamma,
    log_poisson,
    log_upper_ratio,
)
from kefu.workforce.erlang_bc import (
    average_speed_of_answer_array,
    erlang_c_array,
    service_level_array,
)

__all__ = ["ErlangA", "ErlangAArrays", "erlang_a", "erlang_a_array"]

FloatArray = npt.NDArray[np.float64]

# exp-sinh rule on t in [-5, 2], step 1/16: the integrands are scaled to decay like e^{-v}
# or faster, so v = exp(π/2 sinh 2) ≈ 300 ends the tail and v = e^{-116} starts it.
_NODES, _WEIGHTS = exp_sinh_rule(1.0 / 16.0, -5.0, 2.0)
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(48)
# Integrate the answered-within-T mass directly once it is under 1/4 of the answered mass.
_CANCEL_LOG = float(np.log(0.75))
# Below this ε = θ/(nμ(1−ρ)²) the closed form for P(abandon) cancels; use the expansion.
_EXPANSION_EPS = 3e-3
_EXPANSION_TERMS = 8


@dataclass(frozen=True, slots=True)
class ErlangA:
    """Erlang A metrics for one queue.

    ``p_wait``: probability an arrival waits; ``p_abandon``: probability an arrival abandons;
    ``asa``: mean wait of answered contacts (s); ``mean_wait``: mean wait of all arrivals (s);
    ``service_level``: fraction of ALL arrivals answered within the threshold;
    ``occupancy``: carried traffic per agent, λ(1 − p_abandon)·aht / n.
    """

    p_wait: float
    p_abandon: float
    asa: float
    mean_wait: float
    service_level: float
    occupancy: float


@dataclass(frozen=True, slots=True)
class ErlangAArrays:
    """The fields of :class:`ErlangA` as arrays (one entry per broadcast input)."""

    p_wait: FloatArray
    p_abandon: FloatArray
    asa: FloatArray
    mean_wait: FloatArray
    service_level: FloatArray
    occupancy: FloatArray


def _associated_stirling(k_max: int) -> list[list[int]]:
    """``c[k][m]``: partitions of k+m items into m blocks of size >= 2 (m = 1..k)."""
    size = 2 * k_max + 1
    s2 = [[0] * (k_max + 1) for _ in range(size)]
    s2[0][0] = 1
    for total in range(1, size):
        for m in range(1, k_max + 1):
            s2[total][m] = m * s2[total - 1][m] + (total - 1) * (
                s2[total - 2][m - 1] if total >= 2 else 0
            )
    return [[s2[k + m][m] if m >= 1 else 0 for m in range(k + 1)] for k in range(k_max + 1)]


_STIRLING = _associated_stirling(_EXPANSION_TERMS)


def _abandon_expansion(rho: FloatArray, c: FloatArray) -> FloatArray:
    """``1 − (1/ρ − 1) L`` for small ``c/(1 − ρ)²`` (``c = 1/y``), as a series in ``c``.

    ``Π_{i≤j} (1 + ic)^{-1} = Σ_k S(j+k, j) (−c)^k`` and
    ``Σ_j S(j+k, j) ρ^j = Σ_m c_{k,m} ρ^m / (1 − ρ)^{k+m+1}``.
    """
    q = 1.0 - rho
    total = np.zeros_like(rho)
    for k in range(_EXPANSION_TERMS, 0, -1):
        f_k = sum(_STIRLING[k][m] * rho**m / q ** (k + m + 1) for m in range(1, k + 1))
        total += (-1.0) ** (k + 1) * c**k * f_k
    return q / rho * total


def _log_abandon_factor(x: FloatArray, y: FloatArray, log_l: FloatArray) -> FloatArray:
    """``log(P(abandon) / π_n) = log(1 + (1 − y/x) L)``."""
    out = np.empty_like(x)
    over = x >= y
    with np.errstate(divide="ignore"):
        out[over] = np.logaddexp(0.0, np.log1p(-y[over] / x[over]) + log_l[over])
    under = ~over
    rho = x[under] / y[under]
    c = 1.0 / y[under]
    eps = c / (1.0 - rho) ** 2
    small = eps < _EXPANSION_EPS
    res = np.empty_like(rho)
    res[small] = np.log(_abandon_expansion(rho[small], c[small]))
    big = ~small
    res[big] = np.log(1.0 - (1.0 / rho[big] - 1.0) * np.exp(log_l[under][big]))
    out[under] = res
    return out


def _log_sum_exp(values: FloatArray, weights: FloatArray) -> FloatArray:
    """``log Σ_i w_i e^{values[:, i]}`` per row, scaled so nothing overflows."""
    top = np.max(values, axis=1)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(under="ignore", divide="ignore"):
        out: FloatArray = top + np.log(np.exp(values - top[:, None]) @ weights)
    return out


def _log_served_wait_integral(x: FloatArray, y: FloatArray, log_l: FloatArray) -> FloatArray:
    """``log ∫_0^∞ P(y+1, x e^{−v}) dv / p(y, x)`` (v = θ·t is the wait in units of patience)."""
    nodes, weights = _NODES, _WEIGHTS
    out = np.empty_like(x)
    lower = x <= y + 1.0
    # Lower tail: P(y+1, z) decays as z = x e^{−v} falls, at rate z / L(y, z) >= x / L(y, x).
    xl, yl, ll = x[lower], y[lower], log_l[lower]
    rate = xl * np.exp(-ll)
    v = nodes[None, :] / rate[:, None]
    z = xl[:, None] * np.exp(-v)
    yy = np.broadcast_to(yl[:, None], z.shape)
    g = log_lower_ratio(yy, z) - yy * v - xl[:, None] * np.expm1(-v)
    out[lower] = _log_sum_exp(g, weights) - np.log(rate)
    upper = ~lower
    if upper.any():
        # ∫_0^x P(y+1,z)/z dz = log x − ψ(y+1) + ∫_x^∞ Q(y+1,z)/z dz (put–call parity):
        # every term is positive, and the remaining integral is again a short tail.
        xu, yu = x[upper], y[upper]
        log_u = log_upper_ratio(yu, xu)
        rate = xu * np.exp(-log_u)
        v = nodes[None, :] / rate[:, None]
        yy = np.broadcast_to(yu[:, None], v.shape)
        with np.errstate(over="ignore", invalid="ignore"):
            z = xu[:, None] * np.exp(v)
            far = ~np.isfinite(z) | (z > 1e300)
            z = np.where(far, 1.0, z)
            h = log_upper_ratio(yy, z) + yy * v - xu[:, None] * np.expm1(v)
        h = np.where(far | np.isnan(h), -np.inf, h)
        log_tail = _log_sum_exp(h, weights) - np.log(rate)
        drift = np.log1p((xu - yu - 1.0) / (yu + 1.0)) + log_minus_digamma(yu + 1.0)
        log_drift = np.log(drift) - log_poisson(yu, xu)
        out[upper] = np.logaddexp(log_drift, log_tail)
    return out


def _log_answered_within(x: FloatArray, y: FloatArray, span: FloatArray) -> FloatArray:
    """``log ∫_0^V e^{φ(v)} dv`` with ``φ(v) = log x − (y+1) v − x·expm1(−v)``, ``V = span``.

    This is ``[P(y+1, x) − P(y+1, x e^{−V})] / p(y, x)`` (z = x e^{−v}); ``φ`` is concave.
    """
    out = np.empty_like(x)
    log_x = np.log(x)

    def phi(v: FloatArray, rows: npt.NDArray[np.bool_]) -> FloatArray:
        xr = x[rows][:, None]
        return log_x[rows][:, None] - (y[rows][:, None] + 1.0) * v - xr * np.expm1(-v)

    slope_end = x * np.exp(-span) - (y + 1.0)
    rise = (
        phi(span[:, None], np.ones(x.shape, dtype=bool))[:, 0]
        - phi(np.zeros((x.size, 1)), np.ones(x.shape, dtype=bool))[:, 0]
    )
    # Steep rise: the mass sits just before V; integrate backwards from V (exp-sinh), the
    # part beyond the interval being below e^-40 of the total.
    steep = rise > 40.0
    if steep.any():
        scale = np.maximum(slope_end[steep], np.sqrt(x[steep] * np.exp(-span[steep])))
        w = _NODES[None, :] / scale[:, None]
        vals = phi(span[steep][:, None] - w, steep)
        out[steep] = _log_sum_exp(vals, _WEIGHTS) - np.log(scale)
    gentle = ~steep
    if gentle.any():
        v = 0.5 * span[gentle][:, None] * (_GL_NODES[None, :] + 1.0)
        vals = phi(v, gentle)
        with np.errstate(divide="ignore"):  # a span that underflows holds no mass
            out[gentle] = _log_sum_exp(vals, _GL_WEIGHTS) + np.log(0.5 * span[gentle])
    return out


def _erlang_a_core(
    lam: FloatArray,
    aht: FloatArray,
    patience: FloatArray,
    n: FloatArray,
    t: FloatArray,
    with_asa: bool,
) -> tuple[FloatArray, ...]:
    """Erlang A for λ > 0 and finite patience (1-d arrays of equal length)."""
    a = lam * aht
    x = lam * patience
    y = n * patience / aht
    with np.errstate(divide="ignore"):
        log_e = log_upper_ratio(n - 1.0, a) + np.log(n / a)
    log_l = log_lower_ratio(y, x)
    log_s = np.logaddexp(0.0, log_l)
    log_pi = -np.logaddexp(log_e, log_s)
    p_wait = expit(log_s - log_e)
    p_no_wait = expit(log_e - log_s)
    # P(ab) <= P(wait) also where both underflow to subnormals.
    p_abandon = np.minimum(np.exp(log_pi + _log_abandon_factor(x, y, log_l)), p_wait)
    log_yx = np.log(y / x)
    p_served = p_no_wait + np.exp(log_pi + log_yx + log_l)

    # Served within T after waiting: π_n (y/x) [L(y,x) − P(y+1, x e^{−θT})/p(y,x)].
    theta_t = t / patience
    with np.errstate(divide="ignore", invalid="ignore"):
        xu = x * np.exp(-theta_t)
        log_r = log_lower_ratio(y, xu) - y * theta_t - x * np.expm1(-theta_t)
        log_r = np.where(np.isinf(theta_t), -np.inf, log_r)
        log_d = log_l + np.log(-np.expm1(np.minimum(log_r - log_l, 0.0)))
    # When most answered waits exceed T the difference cancels: integrate it directly.
    cancels = (log_r - log_l > _CANCEL_LOG) & (theta_t > 0.0)
    if cancels.any():
        log_d[cancels] = _log_answered_within(x[cancels], y[cancels], theta_t[cancels])
    sl = p_no_wait + np.exp(log_pi + log_yx + log_d)

    if with_asa:
        log_int = _log_served_wait_integral(x, y, log_l)
        asa = np.exp(log_pi + log_yx + log_int) * patience / p_served
    else:
        asa = np.full_like(x, np.nan)
    mean_wait = p_abandon * patience
    occupancy = a * p_served / n
    return (
        np.clip(p_wait, 0.0, 1.0),
        np.clip(p_abandon, 0.0, 1.0),
        asa,
        mean_wait,
        np.clip(sl, 0.0, 1.0),
        np.minimum(occupancy, 1.0),
    )


def erlang_a_array(
    arrival_rate: npt.ArrayLike,
    aht: npt.ArrayLike,
    patience: npt.ArrayLike,
    agents: npt.ArrayLike,
    threshold: npt.ArrayLike = 20.0,
    *,
    with_asa: bool = True,
) -> ErlangAArrays:
    """Vectorized :func:`erlang_a`: every argument broadcasts; returns arrays of metrics.

    ``with_asa=False`` skips the one quadrature (ASA is then NaN) when only SL, abandonment
    or occupancy are needed, e.g. inside a staffing search.
    """
    lam = as_nonnegative("arrival_rate", arrival_rate)
    h = as_positive("aht", aht)
    pat = as_positive("patience", patience, allow_inf=True)
    n = as_agents(agents, 1)
    t = as_nonnegative("threshold", threshold, allow_inf=True)
    lam, h, pat, n, t = (np.ravel(v) for v in np.broadcast_arrays(lam, h, pat, n, t))
    shape = np.broadcast_shapes(*(np.shape(v) for v in (arrival_rate, aht, patience, agents)))
    shape = np.broadcast_shapes(shape, np.shape(threshold))
    size = lam.size
    p_wait, p_ab, asa, mean_wait = (np.zeros(size) for _ in range(4))
    sl = np.ones(size)
    occ = np.zeros(size)

    forever = (lam > 0.0) & np.isinf(pat)
    if forever.any():
        # Infinite patience is Erlang C (unstable when traffic >= agents).
        a = lam[forever] * h[forever]
        nf = n[forever]
        p_wait[forever] = erlang_c_array(a, nf)
        wait = average_speed_of_answer_array(a, nf, h[forever])
        mean_wait[forever] = wait
        asa[forever] = wait if with_asa else np.nan
        sl[forever] = service_level_array(a, nf, h[forever], t[forever])
        occ[forever] = np.minimum(a / nf, 1.0)
    general = (lam > 0.0) & np.isfinite(pat)
    if general.any():
        res = _erlang_a_core(
            lam[general], h[general], pat[general], n[general], t[general], with_asa
        )
        for target, values in zip((p_wait, p_ab, asa, mean_wait, sl, occ), res, strict=True):
            target[general] = values
    return ErlangAArrays(
        *(v.reshape(shape) for v in (p_wait, p_ab, asa, mean_wait, sl, occ)),
    )


def erlang_a(
    arrival_rate: float,
    aht: float,
    patience: float,
    agents: int,
    threshold: float = 20.0,
) -> ErlangA:
    """Erlang A (M/M/n+M) metrics: Poisson arrivals at ``arrival_rate`` per second,
    exponential handle times of mean ``aht`` s, exponential patience of mean ``patience`` s
    (``math.inf`` gives Erlang C), ``agents`` servers, service-level ``threshold`` in s.

    Stable whether or not traffic exceeds agents (customers abandon).
    """
    arr = erlang_a_array(arrival_rate, aht, patience, agents, threshold)
    return ErlangA(
        p_wait=float(arr.p_wait),
        p_abandon=float(arr.p_abandon),
        asa=float(arr.asa),
        mean_wait=float(arr.mean_wait),
        service_level=float(arr.service_level),
        occupancy=float(arr.occupancy),
    )
