"""Pieces of the simulation engine kept out of its loop: the arrivals drawn up front, the
random draws of retrials and of group-specific handle times, and small counters."""

from __future__ import annotations

import math

import numpy as np

from kefu.sim.distributions import Distribution
from kefu.sim.plan import Plan
from kefu.sim.sampler import BlockSampler

__all__ = ["Extras", "arrivals", "attempts", "free_line", "uniform_draws"]

INF = math.inf


def arrivals(
    plan: Plan, streams: list[np.random.SeedSequence], scale: float
) -> tuple[list[float], list[int], list[str], list[float], list[float], list[bool]]:
    """All arrivals merged in time order: instants, queue index, contact id, patience,
    balking tolerance and whether the customer would accept a callback."""
    times: list[np.ndarray] = []
    queue: list[np.ndarray] = []
    patience: list[np.ndarray] = []
    tolerance: list[np.ndarray] = []
    callback: list[np.ndarray] = []
    ids: list[str] = []
    for q in plan.queues:
        rng = np.random.default_rng(streams[4 * q.index])
        n0 = q.initial_waiting
        parts = [a.generate(rng, plan.horizon_s, scale) for a in q.arrivals]
        t = np.concatenate([np.zeros(n0), np.sort(np.concatenate(parts), kind="stable")])
        n = t.size
        crng = np.random.default_rng(streams[4 * q.index + 1])
        tol = np.full(n, INF)
        if q.balk_tolerance is not None:
            tol = q.balk_tolerance.sample(crng, n)
            if q.balk_probability < 1.0:
                tol[crng.random(n) >= q.balk_probability] = INF
        cb = crng.random(n) < q.callback_share
        # The initial backlog was already waiting: no balking, no callback offer.
        tol[:n0] = INF
        cb[:n0] = False
        qid = q.spec.queue_id
        times.append(t)
        queue.append(np.full(n, q.index))
        ids.extend(f"{qid}-b{k}" for k in range(1, n0 + 1))
        ids.extend(f"{qid}-{k}" for k in range(1, n - n0 + 1))
        patience.append(q.patience.sample(crng, n))
        tolerance.append(tol)
        callback.append(cb)
    all_t = np.concatenate(times)
    order = np.argsort(all_t, kind="stable")
    return (
        all_t[order].tolist(),
        np.concatenate(queue)[order].tolist(),
        [ids[j] for j in order.tolist()],
        np.concatenate(patience)[order].tolist(),
        np.concatenate(tolerance)[order].tolist(),
        np.concatenate(callback)[order].tolist(),
    )


class _Uniform(Distribution):
    """Uniform on [0, 1): the draws deciding transfers and retrials."""

    mean_s = 0.5

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.random(n)


_UNIFORM = _Uniform()


def uniform_draws(seed: np.random.SeedSequence) -> BlockSampler:
    """Draws uniform on [0, 1), one at a time, from blocks."""
    return BlockSampler(_UNIFORM, np.random.default_rng(seed))


class Extras:
    """Random streams beyond the four per queue the engine always spawns: the day's
    busyness, retrials and handle times by agent group. They come from one further child
    of the replication's seed, spawned only when used, so scenarios without them draw
    exactly as before."""

    def __init__(self, plan: Plan, seed: np.random.SeedSequence) -> None:
        self.busyness = 1.0
        nq = len(plan.queues)
        self.retry_u: list[BlockSampler | None] = [None] * nq
        self.retry_delay: list[BlockSampler | None] = [None] * nq
        self.retry_patience: list[BlockSampler | None] = [None] * nq
        # Per queue: agent id → handle-time sampler of its group (None: the queue's own).
        self.handle_of: list[dict[str, BlockSampler] | None] = [None] * nq
        used = plan.busyness_sd is not None or any(
            q.retry_probability > 0 or q.handle_by_group for q in plan.queues
        )
        if not used:
            return
        extra = seed.spawn(1)[0]
        if plan.busyness_sd is not None:
            sd = plan.busyness_sd
            self.busyness = float(np.random.default_rng(extra).gamma(1.0 / sd**2, sd**2))
        children = extra.spawn(4 * nq)
        for q in plan.queues:
            ss = children[4 * q.index : 4 * q.index + 4]
            if q.retry_probability > 0 and q.retry_delay is not None:
                self.retry_u[q.index] = uniform_draws(ss[0])
                delay_rng, patience_rng = np.random.default_rng(ss[1]), np.random.default_rng(ss[2])
                self.retry_delay[q.index] = BlockSampler(q.retry_delay, delay_rng)
                self.retry_patience[q.index] = BlockSampler(q.patience, patience_rng)
            if q.handle_by_group:
                group_streams = ss[3].spawn(len(q.handle_by_group))
                draws = {
                    g: BlockSampler(dist, np.random.default_rng(s))
                    for (g, dist), s in zip(q.handle_by_group, group_streams, strict=True)
                }
                self.handle_of[q.index] = {
                    a.spec.agent_id: draws[a.group] for a in plan.agents if a.group in draws
                }


def attempts(times: list[float], queue: list[int], nq: int, start: float, end: float) -> list[int]:
    """Arrivals per queue with instants in [start, end) seconds."""
    t = np.asarray(times)
    inside = (t >= start) & (t < end)
    counts: list[int] = np.bincount(np.asarray(queue, dtype=np.intp)[inside], minlength=nq).tolist()
    return counts


def free_line(line_of: dict[str, int], lines: list[int], cid: str) -> None:
    """Release the trunk line ``cid`` holds, if it holds one."""
    qi = line_of.pop(cid, None)
    if qi is not None:
        lines[qi] -= 1
