"""Erlang B/C/A against independent high-precision references (mpmath, 50 digits).

The references share no code or formula with kefu's: Erlang B is the truncated direct sum
``1/B = Σ_j n!/((n−j)! a^j)``; Erlang A is the M/M/n+M birth–death chain summed state by
state (death rate nμ + jθ with j waiting), and its service level is also checked through the
tagged customer's own absorbing chain (uniformized), which does not use the Beta law the
closed forms rest on.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest

from kefu.workforce.erlang import (
    average_speed_of_answer,
    erlang_a,
    erlang_b,
    erlang_b_array,
    erlang_c,
    service_level,
)

REL = 1e-9
mp.mp.dps = 50


def ref_erlang_b(n: int, a: float) -> mp.mpf:
    """1/B = Σ_{j=0..n} n (n−1) … (n−j+1) / a^j, summed until the terms are negligible."""
    a_ = mp.mpf(a)
    term, total = mp.mpf(1), mp.mpf(1)
    for j in range(1, n + 1):
        term *= (n - j + 1) / a_
        total += term
        if term < total * mp.mpf(10) ** -45 and n - j < a_:
            break
    return 1 / total


def ref_erlang_c(n: int, a: float) -> mp.mpf:
    b = ref_erlang_b(n, a)
    return n * b / (n - a * (1 - b))


def close(value: float, ref: mp.mpf, rel: float = REL) -> bool:
    return bool(abs(mp.mpf(value) - ref) <= rel * abs(ref))


# From 1 to 20,000 agents at loads from 1 % to 199 % (19,900 Erlangs at most).
SIZES = [1, 2, 7, 30, 150, 600, 2_500, 9_000, 20_000]
LOADS = [0.01, 0.5, 0.9, 0.97, 0.995, 1.0, 1.03, 1.99]
GRID = [
    (n, min(n * f, 19_900.0))
    for n in SIZES
    for f in LOADS
    # B underflows below 1e-300 (no double can hold it) at light loads on many agents.
    if not (n >= 600 and f == 0.01) and not (n >= 9_000 and f == 0.5)
]


@pytest.mark.parametrize(("n", "a"), GRID)
def test_given_any_size_when_erlang_b_then_relative_error_below_1e_9(n: int, a: float) -> None:
    ref = ref_erlang_b(n, a)
    assert ref > mp.mpf(10) ** -300
    assert close(erlang_b(a, n), ref)


@pytest.mark.parametrize(("n", "a"), [(n, a) for n, a in GRID if a < n])
def test_given_stable_queue_when_erlang_c_sl_asa_then_match_reference(n: int, a: float) -> None:
    c = ref_erlang_c(n, a)
    assert close(erlang_c(a, n), c)
    for aht, threshold in ((180.0, 20.0), (30.0, 5.0)):
        sl = 1 - c * mp.exp(-(n - a) * mp.mpf(threshold) / aht)
        assert close(service_level(a, n, aht, threshold), sl)
        assert close(average_speed_of_answer(a, n, aht), c * aht / (n - a))


def test_given_19900_erlangs_on_20000_agents_when_vectorized_then_finite_and_exact() -> None:
    values = erlang_b_array(np.array([19_900.0, 19_999.0]), np.array([20_000, 20_000]))
    assert np.isfinite(values).all()
    assert close(float(values[0]), ref_erlang_b(20_000, 19_900.0))
    assert close(float(values[1]), ref_erlang_b(20_000, 19_999.0))


def chain(lam: float, aht: float, patience: float, n: int) -> dict[str, mp.mpf]:
    """M/M/n+M stationary metrics from the birth–death chain, state by state."""
    lam_, mu, theta = mp.mpf(lam), 1 / mp.mpf(aht), 1 / mp.mpf(patience)
    tiny = mp.mpf(10) ** -45
    below, w = mp.mpf(0), mp.mpf(1)  # π_k / π_n for k < n
    for k in range(n, 0, -1):
        w = w * k * mu / lam_
        below += w
        if w < below * tiny:
            break
    y = n * mu / theta
    queue = queue_len = served = served_wait = mp.mpf(0)
    t, j, harmonic = mp.mpf(1), 0, mp.mpf(0)  # t = π_{n+j} / π_n
    while True:
        p_served = y / (y + j + 1)  # FCFS with j ahead: each stage is won by service
        harmonic += 1 / (n * mu + (j + 1) * theta)
        queue += t
        queue_len += j * t
        served += t * p_served
        served_wait += t * p_served * harmonic
        j += 1
        t = t * lam_ / (n * mu + j * theta)
        if t < queue * tiny and lam_ < n * mu + j * theta:
            break
    z = below + queue
    answered = (below + served) / z
    return {
        "p_wait": queue / z,
        "mean_queue": queue_len / z,
        "p_abandon": theta * (queue_len / z) / lam_,
        "mean_wait": (queue_len / z) / lam_,
        "asa": (served_wait / z) / answered,
        "occupancy": lam_ * aht * answered / n,
    }


A_CASES = [
    (0.05, 180.0, 120.0, 10),  # a = 9 on 10 agents
    (2.0, 180.0, 120.0, 400),  # the CLI example
    (2.0, 180.0, 30.0, 300),  # overloaded: a = 360 on 300 agents
    (0.5, 300.0, 5.0, 40),  # impatient, 3.75× overloaded
    (0.01, 200.0, 5e6, 3),  # patience far beyond the waits: the expansion branch
    (27.0, 180.0, 600.0, 5_000),  # a = 4,860 on 5,000 agents
]


@pytest.mark.parametrize(("lam", "aht", "patience", "n"), A_CASES)
def test_given_mm_n_m_when_erlang_a_then_matches_birth_death_chain(
    lam: float, aht: float, patience: float, n: int
) -> None:
    ref = chain(lam, aht, patience, n)
    got = erlang_a(lam, aht, patience, n)
    for name in ("p_wait", "p_abandon", "mean_wait", "asa", "occupancy"):
        assert close(getattr(got, name), ref[name]), (name, getattr(got, name), ref[name])
    # Flow balance without simulation: abandonments λ·P(ab) = θ·E[queue length].
    assert got.p_abandon * lam == pytest.approx(float(ref["mean_queue"]) / patience, rel=REL)


def tagged_service_level(lam: float, aht: float, patience: float, n: int, t_max: float) -> mp.mpf:
    """P(answered within t_max) from the chain and the tagged customer's own chain.

    The tagged customer at position k (k−1 ahead) moves up at rate nμ + (k−1)θ and
    abandons at rate θ; uniformization gives P(reaching service by t_max) exactly.
    """
    lam_, mu, theta = mp.mpf(lam), 1 / mp.mpf(aht), 1 / mp.mpf(patience)
    below, w = mp.mpf(0), mp.mpf(1)
    for k in range(n, 0, -1):
        w = w * k * mu / lam_
        below += w
    weights, t, j = [], mp.mpf(1), 0
    while True:
        weights.append(t)
        j += 1
        t = t * lam_ / (n * mu + j * theta)
        if t < sum(weights) * mp.mpf(10) ** -30 and lam_ < n * mu + j * theta:
            break
    size = len(weights)
    rate = n * mu + size * theta
    g = [mp.mpf(1)] + [mp.mpf(0)] * size  # g[k]: served within m jumps from position k
    acc = [mp.mpf(0)] * (size + 1)
    mass, m, lt = mp.exp(-rate * t_max), 0, rate * t_max
    while True:
        for k in range(1, size + 1):
            acc[k] += mass * g[k]
        if m > lt and mass < mp.mpf(10) ** -30:
            break
        g = [mp.mpf(1)] + [
            (n * mu + (k - 1) * theta) / rate * g[k - 1] + (1 - (n * mu + k * theta) / rate) * g[k]
            for k in range(1, size + 1)
        ]
        m += 1
        mass = mass * lt / m
    answered = below + mp.fsum(weights[i] * acc[i + 1] for i in range(size))
    return answered / (below + mp.fsum(weights))


@pytest.mark.parametrize(
    ("lam", "aht", "patience", "n", "threshold"),
    [(0.05, 180.0, 120.0, 10, 20.0), (0.02, 300.0, 600.0, 4, 0.5), (0.05, 180.0, 90.0, 8, 60.0)],
)
def test_given_threshold_when_erlang_a_service_level_then_matches_tagged_customer_chain(
    lam: float, aht: float, patience: float, n: int, threshold: float
) -> None:
    ref = tagged_service_level(lam, aht, patience, n, threshold)
    assert close(erlang_a(lam, aht, patience, n, threshold).service_level, ref)


def test_given_tiny_service_level_when_most_waits_exceed_threshold_then_still_relative() -> None:
    # 7.5× overloaded: P(answered within 2 s) is about 5e-6; the difference of two
    # incomplete gammas would cancel, so the answered-within-T mass is integrated directly.
    lam, aht, patience, n, threshold = 0.05, 300.0, 300.0, 2, 2.0
    ref = tagged_service_level(lam, aht, patience, n, threshold)
    got = erlang_a(lam, aht, patience, n, threshold).service_level
    assert got < 1e-5
    assert close(got, ref)
    assert math.isfinite(got)
