"""Routing benchmark: the kefu ACD under a steady stream of contacts, and a naive peer.

A center of 10,000 agents, 500 skills and 200 queues (voice, chat, e-mail; 1–3 required
skills each) receives Poisson arrivals sized so that about 95 % of the agents' capacity is
used. A small discrete-event driver answers every offer after a ring delay, completes the
contact after its handle time (wrap-up of 10 s on half of the voice queues, timed by the
router) and takes whichever comes first: its own next event or ``router.next_due()``.

Figures, over the steady-state window (after the warm-up share of arrivals):

- decisions per second: ``OfferCreated`` events (contact queued → assigned) per second of
  time spent inside router calls ("router") and of the whole loop ("end to end"). Seconds
  are CPU seconds of this process (``time.process_time``), so that other work on a shared
  machine does not count; the wall time of the main run is recorded beside them;
- events per second (every event the router logged);
- peak memory: the process's peak resident set size, and its growth over the run;
- how many decisions were taken when a contact arrived (contact-triggered) and when an
  agent freed up (agent-triggered), and the share of agents busy at the end.

Peer, in the same run: :class:`NaiveRouter`, the same ordering rules implemented by
scanning every agent for each new contact and every waiting contact for each freed agent.
It is far too slow for the whole stream, so both routers take the first ``--peer-contacts``
contacts of the same stream (the center filling up), and their decisions are compared.

Run: ``.venv/bin/python bench/routing.py`` (``--quick`` for a small center).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import platform
import pstats
import random
import resource
import sys
import time
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from heapq import heappop, heappush
from pathlib import Path
from typing import Any

from kefu.domain import events as ev
from kefu.domain import routing as routing_build
from kefu.domain.model import AgentSpec, Channel, ContactSpec, QueueSpec
from kefu.domain.routing import Router, RouterConfig

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TARGET_DECISIONS_PER_S = 100_000
CLOCK_READ_S = 0.0  # CPU seconds of one time.process_time() call, measured by main()

AHT = {Channel.VOICE: 180.0, Channel.CHAT: 240.0, Channel.EMAIL: 300.0}
SL_THRESHOLD = {Channel.VOICE: 20.0, Channel.CHAT: 60.0, Channel.EMAIL: 3600.0}
SLOTS = {Channel.VOICE: 1, Channel.CHAT: 3, Channel.EMAIL: 5}
ARRIVE, ACCEPT, REJECT, COMPLETE, WRAPPED = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class Center:
    queues: list[QueueSpec]
    agents: list[AgentSpec]
    rates: list[float]  # arrivals per second, per queue
    mean_eligible_queues: float


@dataclass(frozen=True)
class Contact:
    at: float
    contact_id: str
    queue: int
    value_tier: int
    priority: int
    handle_s: float
    ring_s: float
    reject_first: bool


def build_center(agents: int, skills: int, queues: int, load: float, seed: int) -> Center:
    """Queues with 1–3 required skills; each agent gets the skills of 2–6 queues of its
    channel, so it is eligible for a handful of queues; arrival rates put ``load`` of every
    queue's share of agent capacity to use."""
    rng = random.Random(seed)
    names = [f"s{i}" for i in range(skills)]
    channel_of = [Channel.VOICE] * 7 + [Channel.CHAT] * 2 + [Channel.EMAIL]
    qspecs = []
    for i in range(queues):
        channel = channel_of[i % len(channel_of)]
        required = {s: rng.randint(1, 5) for s in rng.sample(names, rng.randint(1, 3))}
        wrapup = 10.0 if channel is Channel.VOICE and i % 2 == 0 else 0.0
        qspecs.append(
            QueueSpec(
                f"q{i}",
                channel,
                required,
                sl_threshold_s=SL_THRESHOLD[channel],
                wrapup_s=wrapup,
                aht_s=AHT[channel],
            )
        )
    by_channel = {c: [i for i, q in enumerate(qspecs) if q.channel is c] for c in SLOTS}
    by_skill: dict[str, list[int]] = {}
    for i, q in enumerate(qspecs):
        for s in q.skills:
            by_skill.setdefault(s, []).append(i)
    supply = [0.0] * queues
    aspecs = []
    eligible_total = 0
    for a in range(agents):
        channel = channel_of[rng.randrange(len(channel_of))]
        own: dict[str, int] = {}
        for qi in rng.sample(by_channel[channel], min(rng.randint(2, 6), len(by_channel[channel]))):
            for s, level in qspecs[qi].skills.items():
                own[s] = max(own.get(s, 0), rng.randint(level, 10))
        capacity = {c: (SLOTS[c] if c is channel else 0) for c in SLOTS}
        spec = AgentSpec(f"a{a}", own, capacity, name=f"座席{a}")
        aspecs.append(spec)
        candidates = {qi for s in own for qi in by_skill.get(s, ())}
        eligible = [
            qi
            for qi in sorted(candidates)
            if qspecs[qi].channel is channel
            and all(own.get(s, 0) >= lv for s, lv in qspecs[qi].skills.items())
        ]
        eligible_total += len(eligible)
        for qi in eligible:  # this agent's capacity, shared among its queues
            supply[qi] += SLOTS[channel] / len(eligible)
    rates = [load * supply[i] / q.aht_s for i, q in enumerate(qspecs)]
    return Center(qspecs, aspecs, rates, eligible_total / agents)


def contact_stream(center: Center, count: int, reject_rate: float, seed: int) -> Iterator[Contact]:
    """The same ``count`` arrivals for every router: Poisson, value tiers 0–2, priorities."""
    rng = random.Random(seed)
    total = sum(center.rates)
    cum: list[float] = []
    acc = 0.0
    for r in center.rates:
        acc += r
        cum.append(acc)
    t = 0.0
    for n in range(count):
        t += rng.expovariate(total)
        q = min(bisect_right(cum, rng.random() * acc), len(cum) - 1)
        u = rng.random()
        tier = 2 if u < 0.02 else 1 if u < 0.12 else 0
        aht = center.queues[q].aht_s
        yield Contact(
            t,
            f"c{n}",
            q,
            tier,
            1 if rng.random() < 0.05 else 0,
            rng.expovariate(1.0 / aht),
            rng.uniform(0.5, 3.0),
            rng.random() < reject_rate,
        )


class NaiveAgent:
    __slots__ = ("agent_id", "capacity", "last", "load", "seq", "skills")

    def __init__(self, seq: int, spec: AgentSpec) -> None:
        self.agent_id = spec.agent_id
        self.seq = seq
        self.skills = dict(spec.skills)
        self.capacity = {c: spec.capacity.get(c, 0) for c in SLOTS}
        self.load = dict.fromkeys(SLOTS, 0)
        self.last = 0.0


class NaiveRouter:
    """The reference: kefu's ordering rules with no index. A new contact scans every agent
    (best skill sum, then longest since last offer, then definition order); a freed agent
    scans every waiting contact (value tier, priority, SL deadline, arrival). Every agent
    is ready and offers are always answered; agents here serve one channel each, so the
    blocking rule of voice needs no code."""

    def __init__(self, queues: list[QueueSpec], agents: list[AgentSpec]) -> None:
        self.queues = [(q.channel, tuple(q.skills.items()), q.sl_threshold_s) for q in queues]
        self.agents = [NaiveAgent(i, a) for i, a in enumerate(agents)]
        self.waiting: dict[str, tuple[tuple[int, int, float, int], int]] = {}
        self.holder: dict[str, tuple[NaiveAgent, Channel]] = {}
        self.wrapup = {q.queue_id: q.wrapup_s for q in queues}
        self.seq = 0

    @staticmethod
    def _score(agent: NaiveAgent, required: tuple[tuple[str, int], ...]) -> int | None:
        total = 0
        for skill, minimum in required:
            level = agent.skills.get(skill, 0)
            if level < minimum:
                return None
            total += level
        return total

    def _offer(self, cid: str, channel: Channel, agent: NaiveAgent, now: float) -> tuple[str, str]:
        agent.load[channel] += 1
        agent.last = now
        self.holder[cid] = (agent, channel)
        return cid, agent.agent_id

    def enqueue(self, cid: str, q: int, tier: int, prio: int, now: float) -> list[tuple[str, str]]:
        channel, required, threshold = self.queues[q]
        self.seq += 1
        best, best_key = None, None
        for agent in self.agents:
            if agent.load[channel] < agent.capacity[channel]:
                score = self._score(agent, required)
                if score is not None:
                    key = (-score, agent.last, agent.seq)
                    if best_key is None or key < best_key:
                        best, best_key = agent, key
        if best is None:
            self.waiting[cid] = ((-tier, -prio, now + threshold, self.seq), q)
            return []
        return [self._offer(cid, channel, best, now)]

    def accept(self, _cid: str, _now: float) -> list[tuple[str, str]]:
        return []

    def complete(self, cid: str, now: float, wrapup_s: float) -> list[tuple[str, str]]:
        return [] if wrapup_s > 0 else self.end_wrapup(cid, now)

    def end_wrapup(self, cid: str, now: float) -> list[tuple[str, str]]:
        agent, channel = self.holder.pop(cid)
        agent.load[channel] -= 1
        offers = []
        while True:
            best, best_key = None, None
            for other, (key, q) in self.waiting.items():
                q_channel, required, _ = self.queues[q]
                if agent.load[q_channel] >= agent.capacity[q_channel]:
                    continue
                if (best_key is None or key < best_key) and self._score(
                    agent, required
                ) is not None:
                    best, best_key = other, key
            if best is None:
                return offers
            q = self.waiting.pop(best)[1]
            offers.append(self._offer(best, self.queues[q][0], agent, now))


class Meter:
    """Counts decisions and events, split by what triggered the decision."""

    def __init__(self) -> None:
        self.decisions = 0
        self.on_arrival = 0
        self.events = 0
        self.router_s = 0.0
        self.timed_calls = 0
        self.offers: list[tuple[str, str]] = []

    def snapshot(self) -> tuple[int, int, int, float, int]:
        return self.decisions, self.on_arrival, self.events, self.router_s, self.timed_calls


def _new_router(center: Center) -> Router:
    """A router with the center's queues defined and every agent ready at instant 0."""
    router = Router(RouterConfig(retain_closed=False))
    for q in center.queues:
        router.define_queue(q, 0.0)
    for a in center.agents:
        router.define_agent(a, 0.0)
        router.set_presence(a.agent_id, "ready", 0.0)
    router.drain()
    return router


BATCH = 4096  # router commands timed together by the timed twin


def drive_kefu(
    center: Center,
    stream: Iterator[Contact],
    count: int,
    warmup: int,
    keep_offers: bool = False,
    profiler: cProfile.Profile | None = None,
    timed_twin: bool = True,
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Run the stream through the kefu router; figures (and the profile, if any) over
    arrivals ``warmup``..``count``.

    The router's own time is measured on a *timed twin*: a second router given the same
    commands in batches of :data:`BATCH` (each command then ``drain_records``), timed once
    per batch, so clock reads cost nothing per call and the driver's work (its heap, the
    stream, building each ``ContactSpec``) is not counted. Being deterministic, the twin
    takes exactly the driver's router's decisions (checked at the end). Without the twin
    (``timed_twin=False``, for instruction counts) every router call is timed instead."""
    router = _new_router(center)
    twin = _new_router(center) if timed_twin else None
    batch: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
    meter = Meter()
    pending: dict[str, Contact] = {}
    heap: list[tuple[float, int, int, str]] = []
    seq = 0
    clock = time.process_time
    offer_type, accepted_type = ev.OfferCreated, ev.OfferAccepted
    # The hot events as compact records, never built (kefu.domain.routing.log).
    drain = getattr(router, "drain_records", router.drain)
    arrivals = 0
    start_cpu = clock()
    start: tuple[int, int, int, float, int] = (0, 0, 0, 0.0, 0)
    waiting_at_warmup = 0
    twin_s = 0.0  # CPU seconds of the twin's batches in the window

    def replay() -> float:
        """Give the twin the commands batched so far; returns the CPU seconds it took."""
        assert twin is not None
        twin_drain = getattr(twin, "drain_records", twin.drain)
        t0 = clock()
        for fn, args in batch:
            fn(*args)
            twin_drain()
        spent = clock() - t0
        batch.clear()
        return spent

    nxt = next(stream, None)
    while nxt is not None or heap:
        t_next = nxt.at if nxt is not None else float("inf")
        if heap and heap[0][0] < t_next:
            t_next = heap[0][0]
        due = router.next_due()
        t0 = clock() if twin is None else 0.0
        kind = -1
        if due is not None and due <= t_next:
            router.advance(due)
            if twin is not None:
                batch.append((twin.advance, (due,)))
        elif nxt is not None and nxt.at == t_next:
            c = nxt
            pending[c.contact_id] = c
            q = center.queues[c.queue]
            spec = ContactSpec(c.contact_id, q.queue_id, c.value_tier, c.priority)
            router.enqueue(spec, c.at)
            if twin is not None:
                batch.append((twin.enqueue, (spec, c.at)))
            kind = ARRIVE
            arrivals += 1
            if arrivals == warmup:
                waiting_at_warmup = _waiting(router)
                if twin is not None:
                    replay()  # the warm-up, untimed
                start_cpu, start = clock(), meter.snapshot()
                twin_s = 0.0
                if profiler is not None:
                    profiler.enable()
            nxt = next(stream, None) if arrivals < count else None
        else:
            at, _, kind, cid = heappop(heap)
            if kind == ACCEPT:
                router.accept(cid, at)
                if twin is not None:
                    batch.append((twin.accept, (cid, at)))
            elif kind == REJECT:
                router.reject(cid, at)
                if twin is not None:
                    batch.append((twin.reject, (cid, at)))
            else:
                router.complete(cid, at)
                if twin is not None:
                    batch.append((twin.complete, (cid, at)))
        log = drain()
        if twin is None:
            meter.router_s += clock() - t0
            meter.timed_calls += 1
        elif len(batch) >= BATCH:
            if arrivals >= warmup:
                if profiler is not None:
                    profiler.disable()
                spent = replay()
                twin_s += spent
                meter.router_s += spent
                meter.timed_calls += 1
                if profiler is not None:
                    profiler.enable()
            else:
                replay()
        meter.events += len(log)
        for e in log:
            # Offers and accepts: (class, at, offer_id, contact_id, agent_id, ...) as a
            # compact record, or an event (a router without drain_records).
            if type(e) is tuple:
                if e[0] is not offer_type and e[0] is not accepted_type:
                    continue
                e_kind, e_at, offer_id, e_contact, e_agent = e[0], e[1], e[2], e[3], e[4]
            elif type(e) is offer_type or type(e) is accepted_type:
                e_kind, e_at, offer_id, e_contact, e_agent = (
                    type(e),
                    e.at,
                    e.offer_id,
                    e.contact_id,
                    e.agent_id,
                )
            else:
                continue
            if e_kind is offer_type:
                meter.decisions += 1
                meter.on_arrival += kind == ARRIVE
                if keep_offers:
                    meter.offers.append((e_contact, e_agent))
                c = pending[e_contact]
                seq += 1
                if c.reject_first and offer_id.endswith("/1"):
                    heappush(heap, (e_at + c.ring_s, seq, REJECT, offer_id))
                else:
                    heappush(heap, (e_at + c.ring_s, seq, ACCEPT, offer_id))
            elif e_kind is accepted_type:
                c = pending.pop(e_contact)
                seq += 1
                heappush(heap, (e_at + c.handle_s, seq, COMPLETE, e_contact))
        if nxt is None and arrivals >= count:
            break
    if twin is not None and batch:
        spent = replay()
        twin_s += spent
        meter.router_s += spent
        meter.timed_calls += 1
    end_cpu = clock()
    if profiler is not None:
        profiler.disable()
    busy = sum(1 for a in router.agents.values() if a.held)
    if twin is not None:  # the twin decided the same (same time, waiting and busy agents)
        twin_busy = sum(1 for a in twin.agents.values() if a.held)
        if (twin.time, _waiting(twin), twin_busy) != (router.time, _waiting(router), busy):
            raise AssertionError("the timed twin took other decisions than the driven router")
    figures = _figures(
        meter, start, start_cpu, end_cpu - twin_s, len(center.agents), busy, _waiting(router)
    )
    figures["waiting_at_warmup"] = waiting_at_warmup
    figures["timing"] = f"timed twin, batches of {BATCH} commands" if twin else "per call"
    return figures, meter.offers


def _waiting(router: Router) -> int:
    return sum(b.waiting for q in router.queues.values() for b in q.buckets)


def drive_naive(
    center: Center, stream: Iterator[Contact], count: int
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The same driver around :class:`NaiveRouter` (no rejections, wrap-up by the driver)."""
    router = NaiveRouter(center.queues, center.agents)
    meter = Meter()
    heap: list[tuple[float, int, int, str]] = []
    seq = 0
    clock = time.process_time
    contacts: dict[str, Contact] = {}
    arrivals = 0
    begin = clock()
    nxt = next(stream, None)
    while nxt is not None:
        if heap and heap[0][0] < nxt.at:
            at, _, kind, cid = heappop(heap)
            t0 = clock()
            if kind == ACCEPT:
                offers = router.accept(cid, at)
            elif kind == COMPLETE:
                offers = router.complete(cid, at, center.queues[contacts[cid].queue].wrapup_s)
            else:
                offers = router.end_wrapup(cid, at)
        else:
            c = nxt
            contacts[c.contact_id] = c
            kind, at = ARRIVE, c.at
            t0 = clock()
            offers = router.enqueue(c.contact_id, c.queue, c.value_tier, c.priority, c.at)
            arrivals += 1
            nxt = next(stream, None) if arrivals < count else None
        meter.router_s += clock() - t0
        meter.timed_calls += 1
        for cid, agent_id in offers:
            meter.decisions += 1
            meter.on_arrival += kind == ARRIVE
            meter.offers.append((cid, agent_id))
            seq += 1
            heappush(heap, (at + contacts[cid].ring_s, seq, ACCEPT, cid))
        if kind == ACCEPT:
            seq += 1
            heappush(heap, (at + contacts[cid].handle_s, seq, COMPLETE, cid))
        elif kind == COMPLETE:
            wrapup = center.queues[contacts[cid].queue].wrapup_s
            if wrapup > 0:
                seq += 1
                heappush(heap, (at + wrapup, seq, WRAPPED, cid))
    figures = _figures(meter, (0, 0, 0, 0.0, 0), begin, clock(), len(center.agents), 0, 0)
    for key in ("events", "events_per_s_router", "busy_agents_share_at_end", "waiting_at_end"):
        del figures[key]  # the naive router logs no events and is not sampled
    return figures, meter.offers


def _figures(
    meter: Meter,
    start: tuple[int, int, int, float, int],
    start_cpu: float,
    end_cpu: float,
    agents: int,
    busy: int,
    waiting: int,
) -> dict[str, Any]:
    decisions = meter.decisions - start[0]
    on_arrival = meter.on_arrival - start[1]
    events = meter.events - start[2]
    router_s = meter.router_s - start[3]
    # Each timed call spends about one clock read inside its interval: taken off here.
    net_s = router_s - (meter.timed_calls - start[4]) * CLOCK_READ_S
    cpu_s = end_cpu - start_cpu
    return {
        "decisions": decisions,
        "decisions_on_arrival": on_arrival,
        "decisions_on_agent_free": decisions - on_arrival,
        "events": events,
        "router_s": round(router_s, 3),
        "end_to_end_s": round(cpu_s, 3),
        "decisions_per_s_router": round(decisions / router_s) if router_s else None,
        "clock_reads_s": round(router_s - net_s, 3),
        "decisions_per_s_router_net": round(decisions / net_s) if net_s > 0 else None,
        "router_us_per_decision": round(1e6 * router_s / decisions, 1) if decisions else None,
        "events_per_decision": round(events / decisions, 2) if decisions else None,
        "decisions_per_s_end_to_end": round(decisions / cpu_s) if cpu_s else None,
        "events_per_s_router": round(events / router_s) if router_s else None,
        "busy_agents_share_at_end": round(busy / agents, 3),
        "waiting_at_end": waiting,
    }


NOTES = [
    "Seconds are CPU seconds of this process (time.process_time); the machine is shared.",
    "Each decision comes with about five events (queued, offered, accepted, completed, "
    "wrap-up ended), logged and applied to the state; the driver drains them with "
    "drain_records, so all but the ContactQueued that enqueue returns stay compact records "
    "and are never built as dataclasses (as in the simulator).",
    "The peer runs on the first contacts of the stream (the center filling up), where "
    "decisions are taken on arrival; the naive router needs no warm-up to be slow.",
]

HOT_PATH = (
    "enqueue",
    "accept",
    "reject",
    "complete",
    "advance",
    "next_due",
    "drain",
    "_emit",
    "_touch",
    "_dispatch_contact",
    "_dispatch_agent",
    "best_contact",
    "has_free_agent",
    "_estimate",
)


def profile_kefu(
    center: Center, count: int, warmup: int, reject_rate: float, seed: int
) -> dict[str, Any]:
    """cProfile of the steady state (arrivals ``warmup``..``count``): the top functions by
    own time, and the cumulative share of the router's entry points and inner steps, as
    shares of the profiled time (driver included)."""
    profiler = cProfile.Profile()
    stream = contact_stream(center, count, reject_rate, seed)
    drive_kefu(center, stream, count, warmup, profiler=profiler, timed_twin=False)
    rows = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in rows.values())
    top = sorted(rows.items(), key=lambda kv: kv[1][2], reverse=True)[:15]
    routing = {
        name: round(v[3] / total, 3)
        for (file, _, name), v in rows.items()
        if "routing" in Path(file).parts and name in HOT_PATH
    }
    return {
        "profiled_contacts": count - warmup,
        "top_own_time": [
            {
                "function": f"{Path(file).name}:{line}({name})",
                "own_share": round(v[2] / total, 3),
                "cumulative_share": round(v[3] / total, 3),
                "calls": v[1],
            }
            for (file, line, name), v in top
        ],
        "router_cumulative_share": dict(sorted(routing.items(), key=lambda kv: -kv[1])),
    }


def machine() -> dict[str, Any]:
    """CPU model and cores (from /proc/cpuinfo), platform, Python version and the load
    average (1, 5, 15 minutes) now: the machine is shared."""
    model, cores = platform.processor() or "unknown", 0
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                cores += 1
    return {
        "cpu_model": model,
        "cores": cores,
        "platform": platform.platform(),
        "python": platform.python_version(),
        # the router compiled with mypyc (PYTHONPATH=build/mypyc, `make compiled`) or not
        "router_build": "compiled" if routing_build.COMPILED else "pure",
        "loadavg_at_start": os.getloadavg(),
    }


def clock_read_s(reads: int = 200_000) -> float:
    """CPU seconds one ``time.process_time()`` call costs here (best of 3 batches)."""
    clock = time.process_time
    best = float("inf")
    for _ in range(3):
        t0 = clock()
        for _ in range(reads // 10):
            clock(), clock(), clock(), clock(), clock(), clock(), clock(), clock(), clock(), clock()
        best = min(best, (clock() - t0) / reads)
    return best


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print the figures and write ``bench/results/routing-*.json``."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="a small center and a short stream")
    p.add_argument("--contacts", type=int, help="arrivals in the main run")
    p.add_argument("--peer-contacts", type=int, help="arrivals for the naive peer comparison")
    p.add_argument("--load", type=float, default=0.95, help="share of capacity offered")
    p.add_argument("--reject-rate", type=float, default=0.02, help="offers rejected first")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--no-profile", action="store_true")
    p.add_argument("--no-write", action="store_true", help="do not write the JSON record")
    args = p.parse_args(argv)
    if args.quick:
        size = {"agents": 1_000, "skills": 50, "queues": 20}
        contacts, peer = args.contacts or 40_000, args.peer_contacts or 2_000
    else:
        size = {"agents": 10_000, "skills": 500, "queues": 200}
        contacts, peer = args.contacts or 400_000, args.peer_contacts or 1_500
    warmup = contacts // 4
    machine_at_start = machine()
    global CLOCK_READ_S
    CLOCK_READ_S = clock_read_s()
    rss_before = _rss_mib()
    center = build_center(**size, load=args.load, seed=args.seed)
    print(
        f"center: {size['agents']} agents, {size['skills']} skills, {size['queues']} queues; "
        f"an agent is eligible for {center.mean_eligible_queues:.1f} queues on average; "
        f"{sum(center.rates):.1f} arrivals/s at load {args.load}"
    )
    gc.collect()
    stream = contact_stream(center, contacts, args.reject_rate, args.seed)
    wall = time.perf_counter()
    main_run, _ = drive_kefu(center, stream, contacts, warmup)
    main_run["wall_s_whole_run"] = round(time.perf_counter() - wall, 3)
    rss_peak = _rss_mib()
    print(
        f"kefu, {contacts} contacts (steady state after {warmup}): "
        f"{main_run['decisions_per_s_router']:,} decisions/s in the router, "
        f"{main_run['decisions_per_s_router_net']:,} without the clock reads "
        f"({CLOCK_READ_S * 1e6:.2f} us each); "
        f"{main_run['decisions_per_s_end_to_end']:,} end to end; "
        f"{main_run['events_per_s_router']:,} events/s; "
        f"{main_run['decisions_on_arrival']} decisions on arrival, "
        f"{main_run['decisions_on_agent_free']} on an agent freeing; "
        f"{main_run['busy_agents_share_at_end']:.0%} agents busy at the end; "
        f"{main_run['waiting_at_warmup']} contacts waiting after the warm-up, "
        f"{main_run['waiting_at_end']} at the end"
    )
    print(f"peak RSS {rss_peak:.0f} MiB (+{rss_peak - rss_before:.0f} MiB over the start)")
    kefu_peer, kefu_offers = drive_kefu(
        center,
        contact_stream(center, peer, 0.0, args.seed),
        peer,
        0,
        keep_offers=True,
        timed_twin=False,  # timed per call, as the naive router is
    )
    naive, naive_offers = drive_naive(center, contact_stream(center, peer, 0.0, args.seed), peer)
    same = kefu_offers == naive_offers
    ratio = (
        kefu_peer["decisions_per_s_router"] / naive["decisions_per_s_router"]
        if naive["decisions_per_s_router"]
        else None
    )
    print(
        f"peer, first {peer} contacts: kefu {kefu_peer['decisions_per_s_router']:,} decisions/s, "
        f"naive scan {naive['decisions_per_s_router']:,} decisions/s: ratio {ratio:.1f}×; "
        f"same decisions: {same}"
    )
    profile = None
    if not args.no_profile:
        span = warmup + max(contacts // 10, 1_000)
        profile = profile_kefu(center, span, warmup, args.reject_rate, args.seed)
        print("profile of the steady state, share of own time (driver included):")
        for row in profile["top_own_time"][:10]:
            print(f"  {row['own_share']:6.1%}  {row['function']}  ({row['calls']} calls)")
        print("router steps, cumulative share:")
        for name, share in profile["router_cumulative_share"].items():
            print(f"  {share:6.1%}  {name}")
    reached = (main_run["decisions_per_s_router_net"] or 0) >= TARGET_DECISIONS_PER_S
    machine_facts = {**machine_at_start, "loadavg_at_end": os.getloadavg()}
    record = {
        "benchmark": "routing",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_facts,
        "mode": "quick" if args.quick else "full",
        "center": {**size, "mean_eligible_queues": round(center.mean_eligible_queues, 2)},
        "stream": {
            "contacts": contacts,
            "warmup_contacts": warmup,
            "load": args.load,
            "reject_rate": args.reject_rate,
            "arrivals_per_s": round(sum(center.rates), 2),
            "seed": args.seed,
        },
        "clock_read_us": round(CLOCK_READ_S * 1e6, 3),
        "kefu": main_run,
        "peak_rss_mib": round(rss_peak, 1),
        "rss_growth_mib": round(rss_peak - rss_before, 1),
        "peer": {
            "contacts": peer,
            "kefu": kefu_peer,
            "naive_scan": naive,
            "ratio_decisions_per_s": None if ratio is None else round(ratio, 1),
            "same_decisions": same,
        },
        "target_decisions_per_s": TARGET_DECISIONS_PER_S,
        "target_reached": reached,
        "profile": profile,
        "notes": NOTES,
    }
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        suffix = "-quick" if args.quick else ""
        path = RESULTS / f"routing-{stamp}{suffix}.json"
        path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
        print(f"recorded {path.relative_to(ROOT)}")
    return record


if __name__ == "__main__":
    main(sys.argv[1:])
