"""Random durations (seconds) drawn in numpy blocks from an explicit generator.

Each distribution draws ``n`` values at once (:meth:`Distribution.sample`), so the
simulator pays numpy's call overhead once per block rather than once per contact.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "Distribution",
    "Empirical",
    "Exponential",
    "Fixed",
    "Gamma",
    "LogNormal",
    "Never",
    "Triangular",
    "Uniform",
]


class Distribution:
    """A distribution of durations in seconds."""

    mean_s: float

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` independent draws (seconds)."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Exponential(Distribution):
    """Exponential with mean ``mean_s`` seconds (rate 1 / mean_s per second)."""

    mean_s: float

    def __post_init__(self) -> None:
        if not (self.mean_s > 0 and math.isfinite(self.mean_s)):
            raise ValueError(f"exponential mean_s must be > 0 s, not {self.mean_s}")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(self.mean_s, n)


@dataclass(frozen=True, slots=True)
class LogNormal(Distribution):
    """Log-normal given by its own mean and standard deviation (seconds)."""

    mean_s: float
    sd_s: float
    mu: float = field(init=False)
    sigma: float = field(init=False)

    def __post_init__(self) -> None:
        if not (self.mean_s > 0 and self.sd_s > 0):
            raise ValueError(
                f"lognormal mean_s and sd_s must be > 0 s, not {self.mean_s}, {self.sd_s}"
            )
        # Moments of a log-normal: mean = exp(mu + sigma²/2), var = (exp(sigma²) − 1) mean².
        sigma2 = math.log1p((self.sd_s / self.mean_s) ** 2)
        object.__setattr__(self, "sigma", math.sqrt(sigma2))
        object.__setattr__(self, "mu", math.log(self.mean_s) - sigma2 / 2)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.lognormal(self.mu, self.sigma, n)


@dataclass(frozen=True, slots=True)
class Uniform(Distribution):
    """Uniform on [low_s, high_s] seconds."""

    low_s: float
    high_s: float
    mean_s: float = field(init=False)

    def __post_init__(self) -> None:
        if not (0 <= self.low_s <= self.high_s and math.isfinite(self.high_s)):
            raise ValueError(f"uniform needs 0 ≤ low_s ≤ high_s, not {self.low_s}, {self.high_s}")
        object.__setattr__(self, "mean_s", (self.low_s + self.high_s) / 2)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low_s, self.high_s, n)


@dataclass(frozen=True, slots=True)
class Triangular(Distribution):
    """Triangular on [low_s, high_s] seconds with its peak at ``mode_s``."""

    low_s: float
    mode_s: float
    high_s: float
    mean_s: float = field(init=False)

    def __post_init__(self) -> None:
        if not (
            0 <= self.low_s <= self.mode_s <= self.high_s
            and self.low_s < self.high_s
            and math.isfinite(self.high_s)
        ):
            raise ValueError(
                "triangular needs 0 ≤ low_s ≤ mode_s ≤ high_s and low_s < high_s, not "
                f"{self.low_s}, {self.mode_s}, {self.high_s}"
            )
        object.__setattr__(self, "mean_s", (self.low_s + self.mode_s + self.high_s) / 3)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.triangular(self.low_s, self.mode_s, self.high_s, n)


@dataclass(frozen=True, slots=True)
class Gamma(Distribution):
    """Gamma given by its mean and standard deviation (seconds): shape (mean/sd)², scale
    sd²/mean. An Erlang-k with mean m is the gamma with sd = m/√k."""

    mean_s: float
    sd_s: float
    shape: float = field(init=False)
    scale: float = field(init=False)

    def __post_init__(self) -> None:
        if not (self.mean_s > 0 and self.sd_s > 0 and math.isfinite(self.mean_s)):
            raise ValueError(f"gamma mean_s and sd_s must be > 0 s, not {self.mean_s}, {self.sd_s}")
        object.__setattr__(self, "shape", (self.mean_s / self.sd_s) ** 2)
        object.__setattr__(self, "scale", self.sd_s**2 / self.mean_s)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.gamma(self.shape, self.scale, n)


@dataclass(frozen=True, slots=True)
class Fixed(Distribution):
    """Always ``mean_s`` seconds."""

    mean_s: float

    def __post_init__(self) -> None:
        if not (self.mean_s >= 0 and math.isfinite(self.mean_s)):
            raise ValueError(
                f"fixed value must be a finite number of seconds ≥ 0, not {self.mean_s}"
            )

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        del rng  # a constant draws nothing
        return np.full(n, self.mean_s)


class Empirical(Distribution):
    """Resampling (with replacement) of observed durations in seconds."""

    __slots__ = ("mean_s", "values")

    def __init__(self, values: Sequence[float] | np.ndarray) -> None:
        array = np.asarray(values, dtype=float)
        if array.ndim != 1 or array.size == 0:
            raise ValueError("an empirical distribution needs at least one value")
        if not np.all(np.isfinite(array)) or np.any(array < 0):
            raise ValueError("empirical values must be finite numbers of seconds ≥ 0")
        self.values = array
        self.mean_s = float(array.mean())

    def __repr__(self) -> str:
        return f"Empirical(n={self.values.size}, mean_s={self.mean_s:.6g})"

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.values[rng.integers(0, self.values.size, n)]


@dataclass(frozen=True, slots=True)
class Never(Distribution):
    """Infinite durations: a customer with no patience limit never abandons."""

    mean_s: float = math.inf

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        del rng  # never abandoning draws nothing
        return np.full(n, math.inf)
