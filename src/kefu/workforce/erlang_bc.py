"""Erlang B and Erlang C (M/M/n/n and M/M/n), exact at any size.

Times are in seconds and traffic in Erlangs (arrival rate per second × mean handle time).
Erlang B comes from incomplete-gamma ratios in log space (see :mod:`._special`), never from
factorials or powers, so 20,000 agents and 19,900 Erlangs neither overflow nor lose
precision; Erlang C follows from B by ``C = n B / (n − a (1 − B))``, a sum of positive
terms. Every function has a vectorized ``*_array`` twin that broadcasts numpy arrays, for
staffing every interval of many queues in one call.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from kefu.workforce._checks import (
    agents_1,
    as_agents,
    as_nonnegative,
    as_positive,
    nonnegative_1,
    positive_1,
)
from kefu.workforce._scalar import erlang_b_1, erlang_c_and_free_1
from kefu.workforce._special import log_upper_ratio

__all__ = [
    "average_speed_of_answer",
    "average_speed_of_answer_array",
    "erlang_b",
    "erlang_b_array",
    "erlang_c",
    "erlang_c_array",
    "service_level",
    "service_level_array",
]

FloatArray = npt.NDArray[np.float64]


def _erlang_b(a: FloatArray, n: FloatArray) -> FloatArray:
    a, n = np.broadcast_arrays(a, n)
    with np.errstate(over="ignore", under="ignore"):
        b = np.exp(-log_upper_ratio(n, a))
    # No server blocks everything; no traffic blocks nothing.
    b = np.where(n == 0.0, 1.0, np.where(a == 0.0, 0.0, np.minimum(b, 1.0)))
    return b


def _wait_and_free(a: FloatArray, n: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Erlang C and its complement ``1 − C`` (both without cancellation); C = 1 if a >= n."""
    a, n = np.broadcast_arrays(a, n)
    b = _erlang_b(a, n)
    stable = a < n
    denom = np.where(stable, n - a + a * b, 1.0)
    c = np.where(stable, np.minimum(n * b / denom, 1.0), 1.0)
    free = np.where(stable, (n - a) * (1.0 - b) / denom, 0.0)
    return c, free


def erlang_b_array(traffic: npt.ArrayLike, agents: npt.ArrayLike) -> FloatArray:
    """Vectorized :func:`erlang_b`: blocking probability for every (traffic, agents) pair."""
    return _erlang_b(as_nonnegative("traffic", traffic), as_agents(agents, 0))


def erlang_c_array(traffic: npt.ArrayLike, agents: npt.ArrayLike) -> FloatArray:
    """Vectorized :func:`erlang_c`: probability of waiting for every (traffic, agents) pair."""
    c, _ = _wait_and_free(as_nonnegative("traffic", traffic), as_agents(agents, 1))
    return c


def service_level_array(
    traffic: npt.ArrayLike,
    agents: npt.ArrayLike,
    aht: npt.ArrayLike,
    threshold: npt.ArrayLike,
) -> FloatArray:
    """Vectorized :func:`service_level` (all arguments broadcast together)."""
    a = as_nonnegative("traffic", traffic)
    n = as_agents(agents, 1)
    h = as_positive("aht", aht)
    t = as_nonnegative("threshold", threshold, allow_inf=True)
    a, n, h, t = np.broadcast_arrays(a, n, h, t)
    c, free = _wait_and_free(a, n)
    stable = a < n
    with np.errstate(invalid="ignore"):
        decay = np.expm1(-np.where(stable, n - a, 1.0) * t / h)
    # 1 − C e^{−(n−a)T/h} written as (1 − C) − C·expm1(...): both terms are >= 0.
    sl = free - c * decay
    return np.where(stable, np.clip(sl, 0.0, 1.0), 0.0)


def average_speed_of_answer_array(
    traffic: npt.ArrayLike, agents: npt.ArrayLike, aht: npt.ArrayLike
) -> FloatArray:
    """Vectorized :func:`average_speed_of_answer` (``inf`` where traffic >= agents)."""
    a = as_nonnegative("traffic", traffic)
    n = as_agents(agents, 1)
    h = as_positive("aht", aht)
    a, n, h = np.broadcast_arrays(a, n, h)
    c, _ = _wait_and_free(a, n)
    stable = a < n
    return np.where(stable, c * h / np.where(stable, n - a, 1.0), np.inf)


def erlang_b(traffic: float, agents: int) -> float:
    """Blocking probability of M/M/n/n with ``traffic`` Erlangs offered to ``agents`` servers.

    ``B(n, a) = (a^n / n!) / Σ_{k=0..n} a^k / k!``; ``agents`` may be 0 (then B = 1).
    """
    return erlang_b_1(nonnegative_1("traffic", traffic), agents_1(agents, 0))


def erlang_c(traffic: float, agents: int) -> float:
    """Probability that an arrival waits in M/M/n (Erlang C); 1.0 when traffic >= agents."""
    return erlang_c_and_free_1(nonnegative_1("traffic", traffic), agents_1(agents, 1))[0]


def service_level(traffic: float, agents: int, aht: float, threshold: float) -> float:
    """M/M/n probability that the wait is <= ``threshold`` seconds (``aht`` in seconds).

    ``SL = 1 − C(n, a) · exp(−(n − a) · threshold / aht)``; 0.0 when traffic >= agents.
    """
    a = nonnegative_1("traffic", traffic)
    n = agents_1(agents, 1)
    h = positive_1("aht", aht)
    t = nonnegative_1("threshold", threshold, allow_inf=True)
    if a >= n:
        return 0.0
    c, free = erlang_c_and_free_1(a, n)
    # 1 − C e^{−(n−a)T/h} written as (1 − C) − C·expm1(...): both terms are >= 0.
    return min(1.0, max(0.0, free - c * math.expm1(-(n - a) * t / h)))


def average_speed_of_answer(traffic: float, agents: int, aht: float) -> float:
    """M/M/n mean wait in seconds, ``C(n, a) · aht / (n − a)``; ``math.inf`` when unstable."""
    a = nonnegative_1("traffic", traffic)
    n = agents_1(agents, 1)
    h = positive_1("aht", aht)
    if a >= n:
        return math.inf
    return erlang_c_and_free_1(a, n)[0] * h / (n - a)
