"""One draw at a time from blocks of numpy draws: the simulator's per-contact random source.

Its own module so that the compiled build can compile it: the engine draws a handle time
for every contact, and a compiled call into it costs a fraction of a Python one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from kefu.sim.distributions import Distribution

__all__ = ["BlockSampler"]


class BlockSampler:
    """Hands out draws one at a time from blocks of ``block`` numpy draws (as floats)."""

    __slots__ = ("_block", "_buf", "_dist", "_pos", "_rng")

    def __init__(self, dist: Distribution, rng: np.random.Generator, block: int = 4096) -> None:
        if block < 1:
            raise ValueError(f"block must be ≥ 1, not {block}")
        self._dist = dist
        self._rng = rng
        self._block = block
        self._buf: list[float] = []
        self._pos = 0

    def draw(self) -> float:
        """The next draw (seconds)."""
        pos = self._pos
        if pos == len(self._buf):
            self._buf = self._dist.sample(self._rng, self._block).tolist()
            pos = 0
        self._pos = pos + 1
        return self._buf[pos]
