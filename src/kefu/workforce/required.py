"""Fewest agents meeting service targets (Erlang C, or Erlang A when patience is given).

Every target given must hold: service level (fraction answered within ``threshold`` s; under
Erlang A a fraction of ALL arrivals), ASA (mean wait of answered contacts, s), abandonment
(fraction of arrivals) and maximum occupancy. Each metric is monotone in the number of
agents, so the answer is found by a vectorized bracket-and-bisect over integers: a
square-root-staffing guess ``a + 2√a`` brackets it, and every step evaluates all the
still-open cases at once, so a day of intervals for many queues costs a dozen array calls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kefu.workforce._checks import as_nonnegative, as_positive, nonnegative_1, positive_1
from kefu.workforce._scalar import erlang_c_and_free_1
from kefu.workforce.erlang_abandon import erlang_a_array
from kefu.workforce.erlang_bc import average_speed_of_answer_array, service_level_array

__all__ = ["StaffingTarget", "required_agents", "required_agents_array"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class StaffingTarget:
    """Service targets; ``None`` means "no target". Times in seconds, fractions in [0, 1].

    ``service_level``: fraction answered within ``threshold`` s (over all arrivals with
    patience); ``asa``: mean wait of answered contacts; ``abandon``: fraction of arrivals
    abandoning (needs ``patience``); ``max_occupancy``: busy fraction of agents;
    ``patience``: mean patience in s (Erlang A), ``None`` or ``inf`` for Erlang C.
    """

    service_level: float | None = None
    threshold: float = 20.0
    asa: float | None = None
    abandon: float | None = None
    patience: float | None = None
    max_occupancy: float | None = None

    def __post_init__(self) -> None:
        if all(v is None for v in (self.service_level, self.asa, self.abandon)) and (
            self.max_occupancy is None
        ):
            raise ValueError(
                "give at least one target: service_level, asa, abandon or max_occupancy"
            )
        _open_fraction("service_level", self.service_level)
        _open_fraction("abandon", self.abandon)
        if self.max_occupancy is not None and not 0.0 < self.max_occupancy <= 1.0:
            raise ValueError(f"max_occupancy must be in (0, 1], got {self.max_occupancy}")
        if self.asa is not None and not (math.isfinite(self.asa) and self.asa > 0.0):
            raise ValueError(f"asa must be a finite number of seconds > 0, got {self.asa}")
        if not (math.isfinite(self.threshold) and self.threshold >= 0.0):
            raise ValueError(
                f"threshold must be a finite number of seconds >= 0, got {self.threshold}"
            )
        if self.patience is not None and not self.patience > 0.0:
            raise ValueError(f"patience must be > 0 seconds, got {self.patience}")
        if self.abandon is not None and not self.uses_abandonment:
            raise ValueError("an abandon target needs a finite patience (Erlang A)")

    @property
    def uses_abandonment(self) -> bool:
        """True when the model is Erlang A (a finite mean patience is given)."""
        return self.patience is not None and math.isfinite(self.patience)


def _open_fraction(name: str, value: float | None) -> None:
    if value is not None and not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be a fraction strictly between 0 and 1, got {value}")


def _meets(
    target: StaffingTarget, lam: FloatArray, aht: FloatArray, n: FloatArray
) -> npt.NDArray[np.bool_]:
    """Whether ``n`` agents meet every target (n >= 1, λ > 0; 1-d arrays)."""
    a = lam * aht
    ok = np.ones(n.shape, dtype=bool)
    if target.uses_abandonment:
        assert target.patience is not None
        m = erlang_a_array(
            lam, aht, target.patience, n, target.threshold, with_asa=target.asa is not None
        )
        if target.service_level is not None:
            ok &= m.service_level >= target.service_level
        if target.asa is not None:
            ok &= m.asa <= target.asa
        if target.abandon is not None:
            ok &= m.p_abandon <= target.abandon
        if target.max_occupancy is not None:
            ok &= m.occupancy <= target.max_occupancy
        return ok
    ok &= a < n
    if target.service_level is not None:
        ok &= service_level_array(a, n, aht, target.threshold) >= target.service_level
    if target.asa is not None:
        ok &= average_speed_of_answer_array(a, n, aht) <= target.asa
    if target.max_occupancy is not None:
        ok &= a <= target.max_occupancy * n
    return ok


def _lower_bound(target: StaffingTarget, a: FloatArray) -> FloatArray:
    """A number of agents known to miss the targets (0 counts as missing)."""
    if not target.uses_abandonment:
        return np.floor(a)  # n <= a is unstable under Erlang C
    lo = np.zeros_like(a)
    # Answered <= n/a of arrivals, so SL over all arrivals <= n/a and abandon >= 1 − n/a.
    if target.service_level is not None:
        lo = np.maximum(lo, np.ceil(target.service_level * a) - 1.0)
    if target.abandon is not None:
        lo = np.maximum(lo, np.ceil((1.0 - target.abandon) * a) - 1.0)
    return lo


def _solve(target: StaffingTarget, lam: FloatArray, aht: FloatArray) -> IntArray:
    a = lam * aht
    out = np.zeros(a.shape, dtype=np.int64)
    busy = lam > 0.0
    lam, aht, a = lam[busy], aht[busy], a[busy]
    lo = _lower_bound(target, a)
    if target.max_occupancy is not None and not target.uses_abandonment:
        lo = np.maximum(lo, np.ceil(a / target.max_occupancy) - 1.0)
    guess = np.maximum(lo + 1.0, np.ceil(a + 2.0 * np.sqrt(a) + 1.0))
    hi = guess.copy()
    step = np.maximum(1.0, np.ceil(np.sqrt(a)))
    open_ = ~_meets(target, lam, aht, hi)
    # Grow the bracket geometrically until the upper end meets every target.
    while open_.any():
        idx = np.nonzero(open_)[0]
        lo[idx] = hi[idx]
        step[idx] *= 2.0
        hi[idx] = hi[idx] + step[idx]
        if (hi[idx] > 1e9).any():
            raise ValueError("the targets cannot be met by any number of agents")
        open_[idx] = ~_meets(target, lam[idx], aht[idx], hi[idx])
    # Bisect: lo always misses, hi always meets.
    while True:
        idx = np.nonzero(hi - lo > 1.0)[0]
        if idx.size == 0:
            break
        mid = np.floor(0.5 * (lo[idx] + hi[idx]))
        ok = _meets(target, lam[idx], aht[idx], mid)
        hi[idx] = np.where(ok, mid, hi[idx])
        lo[idx] = np.where(ok, lo[idx], mid)
    out[busy] = hi.astype(np.int64)
    return out


def _meets_1(target: StaffingTarget, a: float, aht: float, n: float) -> bool:
    """Scalar Erlang C twin of :func:`_meets` (a > 0, n >= 1)."""
    if a >= n:
        return False
    c, free = erlang_c_and_free_1(a, n)
    if target.service_level is not None:
        sl = free - c * math.expm1(-(n - a) * target.threshold / aht)
        if sl < target.service_level:
            return False
    if target.asa is not None and c * aht / (n - a) > target.asa:
        return False
    return target.max_occupancy is None or a <= target.max_occupancy * n


def _solve_erlang_c_1(target: StaffingTarget, lam: float, aht: float) -> int:
    """Scalar twin of :func:`_solve` for Erlang C (same bracket and bisection)."""
    a = lam * aht
    if a == 0.0:
        return 0
    lo = math.floor(a)
    if target.max_occupancy is not None:
        lo = max(lo, math.ceil(a / target.max_occupancy) - 1)
    hi = max(lo + 1, math.ceil(a + 2.0 * math.sqrt(a) + 1.0))
    step = max(1, math.ceil(math.sqrt(a)))
    while not _meets_1(target, a, aht, hi):
        lo, step = hi, 2 * step
        hi += step
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _meets_1(target, a, aht, mid):
            hi = mid
        else:
            lo = mid
    return hi


def required_agents_array(
    arrival_rate: npt.ArrayLike,
    aht: npt.ArrayLike,
    *,
    service_level: float | None = None,
    threshold: float = 20.0,
    asa: float | None = None,
    abandon: float | None = None,
    patience: float | None = None,
    max_occupancy: float | None = None,
) -> IntArray:
    """Vectorized :func:`required_agents`: one answer per (arrival_rate, aht) pair.

    ``arrival_rate`` per second and ``aht`` in seconds broadcast together; the targets are
    shared by every pair. Zero arrivals need zero agents.
    """
    target = StaffingTarget(service_level, threshold, asa, abandon, patience, max_occupancy)
    lam = as_nonnegative("arrival_rate", arrival_rate)
    h = as_positive("aht", aht)
    lam, h = np.broadcast_arrays(lam, h)
    shape = lam.shape
    return _solve(target, lam.ravel().astype(float), h.ravel().astype(float)).reshape(shape)


def required_agents(
    arrival_rate: float,
    aht: float,
    *,
    service_level: float | None = None,
    threshold: float = 20.0,
    asa: float | None = None,
    abandon: float | None = None,
    patience: float | None = None,
    max_occupancy: float | None = None,
) -> int:
    """The fewest agents meeting every target given (Erlang A with ``patience``, else C).

    ``arrival_rate`` per second, ``aht``/``threshold``/``asa``/``patience`` in seconds,
    ``service_level``/``abandon``/``max_occupancy`` as fractions. Raises ``ValueError`` for
    bad arguments or when no target is given.
    """
    target = StaffingTarget(service_level, threshold, asa, abandon, patience, max_occupancy)
    if not target.uses_abandonment:
        lam = nonnegative_1("arrival_rate", arrival_rate)
        return _solve_erlang_c_1(target, lam, positive_1("aht", aht))
    result = required_agents_array(
        arrival_rate,
        aht,
        service_level=service_level,
        threshold=threshold,
        asa=asa,
        abandon=abandon,
        patience=patience,
        max_occupancy=max_occupancy,
    )
    return int(result)
