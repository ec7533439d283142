"""required_agents: every target honoured, minimality, vectorized days, bad targets."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kefu.workforce.erlang import (
    average_speed_of_answer,
    erlang_a,
    erlang_a_array,
    required_agents,
    required_agents_array,
    service_level,
    service_level_array,
)


def test_given_360_erlangs_when_80_in_20_then_fewest_agents_meeting_sl() -> None:
    n = required_agents(2.0, 180.0, service_level=0.8, threshold=20.0)
    assert service_level(360.0, n, 180.0, 20.0) >= 0.8 > service_level(360.0, n - 1, 180.0, 20.0)


def test_given_asa_and_occupancy_targets_when_erlang_c_then_all_hold_and_minimal() -> None:
    n = required_agents(2.0, 180.0, asa=5.0, max_occupancy=0.9)
    assert average_speed_of_answer(360.0, n, 180.0) <= 5.0 and 360.0 / n <= 0.9
    fewer = n - 1
    assert average_speed_of_answer(360.0, fewer, 180.0) > 5.0 or 360.0 / fewer > 0.9
    assert required_agents(2.0, 180.0, max_occupancy=0.9) == math.ceil(360 / 0.9)


def test_given_patience_when_sl_only_then_fewer_agents_than_load_and_high_abandonment() -> None:
    # Over all arrivals, 80 % within 20 s can be met below the offered load while a fifth of
    # the callers hang up: the case the abandonment cap exists for.
    n = required_agents(2.0, 180.0, service_level=0.8, patience=30.0)
    m = erlang_a(2.0, 180.0, 30.0, n)
    assert n < 360 and m.service_level >= 0.8 and m.p_abandon > 0.05
    capped = required_agents(2.0, 180.0, service_level=0.8, patience=30.0, abandon=0.05)
    mc = erlang_a(2.0, 180.0, 30.0, capped)
    assert capped > n and mc.p_abandon <= 0.05
    assert erlang_a(2.0, 180.0, 30.0, capped - 1).p_abandon > 0.05


def test_given_asa_target_with_patience_when_solved_then_erlang_a_asa_meets_it() -> None:
    n = required_agents(2.0, 180.0, asa=10.0, patience=120.0)
    assert erlang_a(2.0, 180.0, 120.0, n).asa <= 10.0 < erlang_a(2.0, 180.0, 120.0, n - 1).asa


def test_given_no_arrivals_when_solved_then_zero_agents() -> None:
    assert required_agents(0.0, 180.0, service_level=0.8) == 0
    assert required_agents(0.0, 180.0, abandon=0.05, patience=60.0) == 0


def test_given_a_day_of_many_queues_when_vectorized_then_each_equals_scalar_answer() -> None:
    profile = 0.2 + 0.8 * np.sin(np.linspace(0.0, np.pi, 96)) ** 2
    loads = np.geomspace(1.0, 5_000.0, 6)[:, None] * profile[None, :]
    rates = loads / 300.0
    n = required_agents_array(rates, 300.0, service_level=0.8, threshold=20.0)
    assert n.shape == (6, 96) and n.dtype == np.int64
    assert (service_level_array(loads, n, 300.0, 20.0) >= 0.8).all()
    fewer = service_level_array(loads, np.maximum(n - 1, 1), 300.0, 20.0)
    assert ((fewer < 0.8) | (n == 1)).all()
    for idx in [(0, 0), (2, 40), (5, 48), (5, 95)]:
        assert n[idx] == required_agents(float(rates[idx]), 300.0, service_level=0.8)


def test_given_a_day_with_patience_when_vectorized_then_targets_hold_and_minimal() -> None:
    rates = np.geomspace(0.01, 15.0, 40)
    kw = {"service_level": 0.8, "abandon": 0.03, "patience": 150.0}
    n = required_agents_array(rates, 240.0, **kw)
    now = erlang_a_array(rates, 240.0, 150.0, n, 20.0, with_asa=False)
    less = erlang_a_array(rates, 240.0, 150.0, np.maximum(n - 1, 1), 20.0, with_asa=False)
    assert (now.service_level >= 0.8).all() and (now.p_abandon <= 0.03).all()
    missed = (less.service_level < 0.8) | (less.p_abandon > 0.03)
    assert (missed | (n == 1)).all()


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({}, "at least one target"),
        ({"service_level": 1.0}, "service_level must be a fraction"),
        ({"service_level": 80.0}, "service_level must be a fraction"),
        ({"abandon": 0.05}, "needs a finite patience"),
        ({"asa": 0.0}, "asa must be"),
        ({"max_occupancy": 1.5}, "max_occupancy"),
        ({"service_level": 0.8, "threshold": -1.0}, "threshold"),
        ({"service_level": 0.8, "patience": -5.0}, "patience"),
    ],
)
def test_given_bad_targets_when_solved_then_value_error(kwargs: dict, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        required_agents(2.0, 180.0, **kwargs)


def test_given_bad_rates_when_solved_then_value_error() -> None:
    with pytest.raises(ValueError, match="arrival_rate"):
        required_agents(-1.0, 180.0, service_level=0.8)
    with pytest.raises(ValueError, match="aht"):
        required_agents_array([1.0, 2.0], [180.0, 0.0], service_level=0.8)
