from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.sim.distributions import Empirical, Exponential, Fixed, LogNormal, Never
from kefu.sim.sampler import BlockSampler


@settings(max_examples=30, deadline=None)
@given(
    block=st.integers(1, 300),
    seed=st.integers(0, 2**32 - 1),
    dist=st.sampled_from([Exponential(50.0), LogNormal(120.0, 80.0), Empirical([1.0, 5.0, 9.0])]),
)
def test_given_any_block_size_then_the_stream_of_draws_is_the_same(
    block: int, seed: int, dist: Exponential | LogNormal | Empirical
) -> None:
    one = BlockSampler(dist, np.random.default_rng(seed), block=block)
    ref = BlockSampler(dist, np.random.default_rng(seed), block=1000)
    assert [one.draw() for _ in range(700)] == [ref.draw() for _ in range(700)]


def test_given_lognormal_by_mean_and_sd_then_samples_have_those_moments() -> None:
    x = LogNormal(300.0, 200.0).sample(np.random.default_rng(1), 400_000)
    assert x.mean() == pytest.approx(300.0, rel=0.01)
    assert x.std() == pytest.approx(200.0, rel=0.03)
    assert (x > 0).all()


def test_given_empirical_then_only_observed_values_come_out_in_proportion() -> None:
    dist = Empirical([10.0, 10.0, 40.0])
    x = dist.sample(np.random.default_rng(2), 30_000)
    assert set(np.unique(x)) == {10.0, 40.0}
    assert (x == 40.0).mean() == pytest.approx(1 / 3, abs=0.02)
    assert dist.mean_s == pytest.approx(20.0)


def test_given_fixed_and_never_then_constant() -> None:
    rng = np.random.default_rng(3)
    assert (Fixed(7.0).sample(rng, 5) == 7.0).all()
    assert np.isinf(Never().sample(rng, 3)).all()
    assert math.isinf(Never().mean_s)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Exponential(0.0),
        lambda: LogNormal(10.0, -1.0),
        lambda: Fixed(-1.0),
        lambda: Empirical([]),
        lambda: Empirical([1.0, -2.0]),
        lambda: BlockSampler(Fixed(1.0), np.random.default_rng(), block=0),
    ],
)
def test_given_bad_parameters_then_value_error(make: object) -> None:
    with pytest.raises(ValueError):
        make()  # type: ignore[operator]
