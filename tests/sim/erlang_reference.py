"""Independent analytic references for M/M/n and M/M/n+M, written for these tests.

Erlang C from the Erlang B recursion; M/M/n+M from its birth–death chain (truncated far
in the tail) and, for the wait of answered customers, the position of a tagged arrival:
with j customers ahead the line shrinks at rate nμ + jθ and the customer itself leaves at
rate θ, so it is served with probability Π (nμ + iθ) / (nμ + (i + 1)θ) and, if served,
waits Σ 1 / (nμ + (i + 1)θ) on average (i = 0..j).
"""

from __future__ import annotations

import math


def erlang_c(traffic: float, agents: int) -> float:
    """P(wait) of M/M/n with ``traffic`` Erlangs on ``agents`` servers (traffic < agents)."""
    b = 1.0
    for k in range(1, agents + 1):
        b = traffic * b / (k + traffic * b)
    return agents * b / (agents - traffic * (1 - b))


def mmn(arrival_rate: float, aht: float, agents: int, threshold: float) -> dict[str, float]:
    """P(wait), ASA (s) and SL(threshold) of M/M/n; rates per second, times in seconds."""
    a = arrival_rate * aht
    c = erlang_c(a, agents)
    return {
        "p_wait": c,
        "asa_s": c * aht / (agents - a),
        "service_level": 1 - c * math.exp(-(agents - a) * threshold / aht),
    }


def mmn_m(arrival_rate: float, aht: float, patience: float, agents: int) -> dict[str, float]:
    """P(wait), P(abandon) and ASA (s, answered only) of M/M/n+M (exponential patience)."""
    mu, theta, n = 1 / aht, 1 / patience, agents
    top = n + 5000
    log_p = [0.0]
    for k in range(1, top + 1):
        log_p.append(log_p[-1] + math.log(arrival_rate / (min(k, n) * mu + max(k - n, 0) * theta)))
    peak = max(log_p)
    p = [math.exp(x - peak) for x in log_p]
    total = math.fsum(p)
    p = [x / total for x in p]
    p_abandon = math.fsum(p[k] * (k - n) for k in range(n, top + 1)) * theta / arrival_rate
    served = waited = 0.0
    p_served, mean_wait = 1.0, 0.0
    for j in range(top - n + 1):
        p_served *= (n * mu + j * theta) / (n * mu + (j + 1) * theta)
        mean_wait += 1 / (n * mu + (j + 1) * theta)
        served += p[n + j] * p_served
        waited += p[n + j] * p_served * mean_wait
    return {
        "p_wait": math.fsum(p[n:]),
        "abandon_rate": p_abandon,
        "asa_s": waited / (math.fsum(p[:n]) + served),
    }
