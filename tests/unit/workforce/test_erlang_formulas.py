"""Erlang B/C/A: textbook closed forms, limits, edge cases, vectorization and bad input."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from kefu.workforce import erlang as E


def test_given_one_server_when_erlang_b_then_a_over_one_plus_a() -> None:
    for a in (0.1, 1.0, 7.5, 19_900.0):
        assert E.erlang_b(a, 1) == pytest.approx(a / (1 + a), rel=1e-14)


def test_given_mm1_when_erlang_c_then_textbook_rho_formulas() -> None:
    # M/M/1: P(wait) = ρ, ASA = ρ·aht/(1−ρ), P(W <= t) = 1 − ρ e^{−(1−ρ)t/aht}.
    rho, aht, t = 0.75, 240.0, 30.0
    assert E.erlang_c(rho, 1) == pytest.approx(rho, rel=1e-14)
    assert E.average_speed_of_answer(rho, 1, aht) == pytest.approx(rho * aht / (1 - rho))
    sl = 1 - rho * math.exp(-(1 - rho) * t / aht)
    assert E.service_level(rho, 1, aht, t) == pytest.approx(sl, rel=1e-14)


def test_given_mm2_when_erlang_c_then_two_rho_squared_over_one_plus_rho() -> None:
    for a in (0.2, 1.0, 1.9):
        rho = a / 2
        assert E.erlang_c(a, 2) == pytest.approx(2 * rho**2 / (1 + rho), rel=1e-14)


def test_given_erlang_b_table_when_5_erlangs_on_10_lines_then_1_84_percent() -> None:
    # The classic Erlang B table entry: 5 Erlangs offered to 10 circuits lose 1.84 %.
    assert E.erlang_b(5.0, 10) == pytest.approx(0.01838, abs=5e-6)


def test_given_b_and_c_when_compared_then_c_from_b_relation_holds() -> None:
    for n, a in ((10, 8.0), (400, 360.0), (5_000, 4_900.0)):
        b = E.erlang_b(a, n)
        assert E.erlang_c(a, n) == pytest.approx(n * b / (n - a * (1 - b)), rel=1e-13)
        assert E.erlang_c(a, n) > b


def test_given_traffic_at_or_above_agents_when_erlang_c_then_unstable_values() -> None:
    assert E.erlang_c(10.0, 10) == 1.0
    assert E.erlang_c(12.5, 10) == 1.0
    assert E.service_level(10.0, 10, 180.0, 20.0) == 0.0
    assert E.average_speed_of_answer(10.0, 10, 180.0) == math.inf


def test_given_no_traffic_when_evaluated_then_nobody_waits() -> None:
    assert E.erlang_b(0.0, 3) == 0.0
    assert E.erlang_b(0.0, 0) == 1.0
    assert E.erlang_b(2.0, 0) == 1.0
    assert E.erlang_c(0.0, 3) == 0.0
    assert E.service_level(0.0, 3, 180.0, 20.0) == 1.0
    assert E.average_speed_of_answer(0.0, 3, 180.0) == 0.0
    a = E.erlang_a(0.0, 180.0, 60.0, 3)
    assert (a.p_wait, a.p_abandon, a.asa, a.service_level) == (0.0, 0.0, 0.0, 1.0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: E.erlang_b(-1.0, 3), "traffic must be a finite number >= 0"),
        (lambda: E.erlang_b(math.nan, 3), "traffic must be a number"),
        (lambda: E.erlang_b(2.0, -1), "agents must be >= 0"),
        (lambda: E.erlang_b(2.0, 2.5), "agents must be a whole number"),
        (lambda: E.erlang_c(2.0, 0), "agents must be >= 1"),
        (lambda: E.service_level(2.0, 3, 0.0, 20.0), "aht must be a finite number > 0"),
        (lambda: E.service_level(2.0, 3, 180.0, -1.0), "threshold must be a number >= 0"),
        (lambda: E.average_speed_of_answer(math.inf, 3, 180.0), "traffic must be a finite"),
        (lambda: E.erlang_a(-0.1, 180.0, 60.0, 3), "arrival_rate must be a finite number >= 0"),
        (lambda: E.erlang_a(0.1, 180.0, 0.0, 3), "patience must be a number > 0"),
        (lambda: E.erlang_a(0.1, 180.0, 60.0, 0), "agents must be >= 1"),
        (lambda: E.erlang_b("many", 3), "traffic must be a number"),
    ],
)
def test_given_bad_arguments_when_called_then_value_error_says_why(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_given_arrays_when_vectorized_then_equal_to_scalar_calls() -> None:
    traffic = np.array([[0.5, 9.0, 360.0], [4_900.0, 19_900.0, 1.0]])
    agents = np.array([[1, 12, 380], [5_000, 20_000, 3]])
    b = E.erlang_b_array(traffic, agents)
    c = E.erlang_c_array(traffic, agents)
    sl = E.service_level_array(traffic, agents, 180.0, 20.0)
    asa = E.average_speed_of_answer_array(traffic, agents, 180.0)
    assert b.shape == c.shape == sl.shape == asa.shape == (2, 3)
    for idx in np.ndindex(traffic.shape):
        a, n = float(traffic[idx]), int(agents[idx])
        # The scalar functions have their own float path: equal up to rounding.
        assert b[idx] == pytest.approx(E.erlang_b(a, n), rel=1e-13)
        assert c[idx] == pytest.approx(E.erlang_c(a, n), rel=1e-13)
        assert sl[idx] == pytest.approx(E.service_level(a, n, 180.0, 20.0), rel=1e-13)
        assert asa[idx] == pytest.approx(E.average_speed_of_answer(a, n, 180.0), rel=1e-13)


def test_given_erlang_a_arrays_when_vectorized_then_equal_to_scalar_calls() -> None:
    rate = np.array([0.05, 2.0, 2.0])
    agents = np.array([10, 400, 300])
    arr = E.erlang_a_array(rate, 180.0, 120.0, agents, 20.0)
    for i in range(3):
        one = E.erlang_a(float(rate[i]), 180.0, 120.0, int(agents[i]), 20.0)
        # Equal up to rounding: numpy's vectorized exp and log may differ from the C
        # library's by an ulp, and which one is closer changes with numpy's version.
        assert arr.p_wait[i] == pytest.approx(one.p_wait, rel=1e-13)
        assert arr.service_level[i] == pytest.approx(one.service_level, rel=1e-13)
        assert arr.asa[i] == pytest.approx(one.asa, rel=1e-13)


def test_given_long_patience_when_erlang_a_then_approaches_erlang_c() -> None:
    rate, aht, n, t = 2.0, 180.0, 380, 20.0
    a = rate * aht
    c = E.erlang_c(a, n)
    asa = E.average_speed_of_answer(a, n, aht)
    sl = E.service_level(a, n, aht, t)
    gaps = []
    for patience in (1e3, 1e5, 1e7, 1e9):
        m = E.erlang_a(rate, aht, patience, n, t)
        gaps.append(abs(m.p_wait - c) / c)
        assert m.p_abandon <= asa / patience * 1.0001  # P(ab) = E[W]/patience <= ASA/patience
    assert gaps == sorted(gaps, reverse=True)
    far = E.erlang_a(rate, aht, 1e9, n, t)
    assert far.p_wait == pytest.approx(c, rel=1e-6)
    assert far.asa == pytest.approx(asa, rel=1e-6)
    assert far.service_level == pytest.approx(sl, rel=1e-6)
    inf = E.erlang_a(rate, aht, math.inf, n, t)
    assert (inf.p_wait, inf.p_abandon, inf.asa) == (c, 0.0, asa)


def test_given_overload_when_erlang_a_then_stable_and_consistent() -> None:
    # 360 Erlangs on 300 agents: Erlang C has no steady state, Erlang A does.
    m = E.erlang_a(2.0, 180.0, 120.0, 300, 20.0)
    assert all(math.isfinite(v) for v in (m.p_wait, m.p_abandon, m.asa, m.service_level))
    assert m.p_abandon >= 1 - 300 / 360  # at most n/a of the arrivals can be served
    assert m.mean_wait == pytest.approx(m.p_abandon * 120.0, rel=1e-12)  # P(ab) = θ E[W]
    assert m.service_level <= 1 - m.p_abandon
    assert m.occupancy == pytest.approx(2.0 * 180.0 * (1 - m.p_abandon) / 300, rel=1e-12)


def test_given_sizes_from_1_to_20000_when_evaluated_then_no_overflow_or_nan() -> None:
    agents = np.array([1, 10, 100, 1_000, 10_000, 20_000])
    for load in (0.01, 0.9, 1.0, 1.5, 19_900 / 20_000):
        traffic = np.minimum(agents * load, 19_900.0)
        for values in (
            E.erlang_b_array(traffic, agents),
            E.erlang_c_array(traffic, agents),
            E.service_level_array(traffic, agents, 180.0, 20.0),
        ):
            assert np.isfinite(values).all() and (values >= 0).all() and (values <= 1).all()
        m = E.erlang_a_array(traffic / 180.0, 180.0, 90.0, agents, 20.0)
        for values in (m.p_wait, m.p_abandon, m.asa, m.service_level, m.occupancy):
            assert np.isfinite(values).all()


def test_given_5000_agents_when_erlang_a_evaluated_then_well_under_10_ms() -> None:
    E.erlang_a(27.0, 180.0, 120.0, 5_000)  # warm-up (imports, caches)
    best = math.inf
    for _ in range(5):
        start = time.perf_counter()
        E.erlang_a(27.0, 180.0, 120.0, 5_000)
        best = min(best, time.perf_counter() - start)
    assert best < 0.010
