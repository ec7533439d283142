"""The discrete-event engine: synthetic customers and agents driving the real router.

One heap of ``(time, kind, seq, a, b)`` tuples holds the simulator's own future events
(completions, ring-delayed answers, presence changes, patience expiries); arrivals are
generated up front per queue with numpy and walked in order, never pushed on the heap.
The router keeps its own timers (offer timeouts, overflow steps, wrap-up ends): at every
step the engine takes whichever comes first — the next arrival, the heap's top or
``router.next_due()`` — so nothing the router does is ever late. After every command the
router's new events are drained: an ``OfferCreated`` is answered by the simulated agent
(at once or after the ring delay) and a handle time is drawn; all events go, in batches,
to the same :class:`~kefu.analytics.KpiAccumulator` the live server uses.

Customers: a customer told a predicted wait above its balking tolerance leaves at once
(logged as an abandon at the instant it queued: a short abandon, counted as ``balked``);
otherwise, when offered a callback (predicted wait above the queue's threshold) a share
accepts and keeps its place without patience; otherwise it abandons at arrival + patience
if still unanswered. Transfers: a share of the contacts handled in a queue is transferred
to another queue instead of completing (at most once per contact); the target queue's
handle-time distribution applies to the rest of the conversation.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable
from heapq import heappop, heappush
from itertools import count
from typing import Any

import numpy as np

from kefu.analytics import KpiAccumulator
from kefu.domain import events as ev
from kefu.domain.model import ContactState
from kefu.domain.routing import Router
from kefu.domain.routing.log import LogEntry, materialize
from kefu.sim.engine_parts import Extras, arrivals, attempts, free_line, uniform_draws
from kefu.sim.plan import Plan
from kefu.sim.replication import Replication
from kefu.sim.sampler import BlockSampler
from kefu.sim.trace import Tracer

__all__ = ["Replication", "run_replication"]

INF = math.inf
K_COMPLETE, K_ACCEPT, K_PRESENCE, K_ABANDON, K_RETRY = 0, 1, 2, 3, 4
WAITING = (ContactState.QUEUED, ContactState.OFFERED)
BATCH = 4096


def run_replication(
    plan: Plan,
    seed: np.random.SeedSequence,
    index: int = 0,
    *,
    trace: bool = False,
    progress: Callable[[float], None] | None = None,
    observe: Callable[[list[LogEntry]], None] | None = None,
) -> Replication:
    """Simulate ``plan`` once with the random streams of ``seed``; ``progress`` receives the
    share of the horizon done (0–1) now and then; ``observe`` every entry of the router's
    log, in order, in batches (events, and the hot ones as compact records: see
    :func:`kefu.domain.routing.log.materialize`)."""
    # The loop allocates millions of short-lived objects and few cycles: the cyclic
    # collector would only cost time meanwhile (measured: a third of a 200,000-contact run).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _run(plan, seed, index, trace, progress, observe)
    finally:
        if enabled:
            gc.enable()


def _run(
    plan: Plan,
    seed: np.random.SeedSequence,
    index: int,
    trace: bool,
    progress: Callable[[float], None] | None,
    observe: Callable[[list[LogEntry]], None] | None,
) -> Replication:
    started = time.perf_counter()
    cpu_started = time.process_time()
    nq = len(plan.queues)
    streams = seed.spawn(4 * nq)
    extras = Extras(plan, seed)
    router = Router(plan.router)
    acc = KpiAccumulator(
        plan.interval_s,
        start=plan.warmup_s,
        end=plan.horizon_s,
        agent_groups={a.spec.agent_id: a.group for a in plan.agents},
        wait_bins_s=plan.wait_bins_s,
    )
    tracer = Tracer() if trace else None
    for qi in plan.define_order:
        router.define_queue(plan.queues[qi].spec, 0.0)
    for agent in plan.agents:
        router.define_agent(agent.spec, 0.0)
    buffer: list[LogEntry] = router.drain_records()
    n_events = len(buffer)

    heap: list[tuple[float, int, int, str, Any]] = []
    seq = count()
    for agent in plan.agents:
        for at, presence, reason in agent.timeline:
            heappush(heap, (at, K_PRESENCE, next(seq), agent.spec.agent_id, (presence, reason)))

    a_t, a_q, a_id, a_pat, a_tol, a_cb = arrivals(
        plan, streams, extras.busyness * plan.arrival_scale
    )
    n_arr = len(a_t)
    # Trunk lines: a contact of a limited queue holds one from arrival until it leaves.
    trunks = [INF if q.trunks is None else q.trunks for q in plan.queues]
    lines = [0] * nq
    blocked = [0] * nq
    retried = [0] * nq  # retrials in the reporting window
    line_of: dict[str, int] = {}
    warm = plan.warmup_s
    qids = [q.spec.queue_id for q in plan.queues]
    handle = [
        BlockSampler(q.handle, np.random.default_rng(streams[4 * q.index + 2])) for q in plan.queues
    ]
    handle_of = extras.handle_of
    transfer_u = [uniform_draws(streams[4 * q.index + 3]) for q in plan.queues]
    transfer_to = [q.transfer_to for q in plan.queues]
    transfer_share = [q.transfer_share for q in plan.queues]
    cb_above = [INF if q.callback_above_s is None else q.callback_above_s for q in plan.queues]
    ring = plan.ring_delay_s
    horizon = plan.horizon_s
    retry_u = extras.retry_u
    retry_after_blocked = [q.retry_after_blocked and q.retry_probability > 0 for q in plan.queues]
    retry_after_abandon = [q.retry_after_abandon and q.retry_probability > 0 for q in plan.queues]
    attempt_of: dict[str, tuple[str, int]] = {}  # a retrial's contact id → (first id, retry n)
    # Whole-run switches: scenarios without these features skip their look-ups per contact.
    any_trunks = any(n < INF for n in trunks)
    any_retry_abandon = any(retry_after_abandon)
    by_group = any(h is not None for h in handle_of)

    def retry(qi: int, first: str, n: int, t: float) -> None:
        """Maybe call again (retry number ``n + 1`` of the customer first seen as ``first``)."""
        q = plan.queues[qi]
        draw_u, draw_delay = retry_u[qi], extras.retry_delay[qi]
        if n >= q.retry_max or draw_u is None or draw_delay is None:
            return
        if draw_u.draw() < q.retry_probability:
            when = t + draw_delay.draw()
            if when < horizon:
                heappush(heap, (when, K_RETRY, next(seq), first, (qi, n + 1)))

    # The router's and the accumulator's methods are called on the objects, not through
    # bound methods kept in locals: compiled, a call on the object is a direct C call, and
    # a bound method goes through Python's calling convention (×0.96 instructions a contact
    # on the 400-agent model, with the same change in the KPIs).
    contacts = router.contacts
    offer_created = ev.OfferCreated
    work_of: dict[str, int] = {}  # contact id → queue whose handle times it draws
    transferred: set[str] = set()

    i = 0
    t = 0.0
    due = INF
    steps = 0
    while True:
        ta = a_t[i] if i < n_arr else INF
        th = heap[0][0] if heap else INF
        if due <= th and due <= ta:
            if due == INF:
                break
            t = due
            router.advance(t)
        elif th <= ta:
            t, kind, _, cid, extra = heappop(heap)
            if kind == K_COMPLETE:
                qi = extra
                target = transfer_to[qi]
                if (
                    target is not None
                    and cid not in transferred
                    and transfer_u[qi].draw() < transfer_share[qi]
                ):
                    transferred.add(cid)
                    work_of[cid] = target
                    router.transfer(cid, t, to_queue=qids[target])
                else:
                    del work_of[cid]
                    if transferred:
                        transferred.discard(cid)
                    if line_of:
                        free_line(line_of, lines, cid)
                    router.complete(cid, t)
            elif kind == K_ABANDON:
                c = contacts.get(cid)
                if c is None or c.answered_at is not None or c.state not in WAITING:
                    continue
                if line_of:
                    free_line(line_of, lines, cid)
                if any_retry_abandon:
                    qi = work_of.pop(cid)
                    router.abandon(cid, t)
                    if retry_after_abandon[qi]:
                        first, n = attempt_of.pop(cid, (cid, 0))
                        retry(qi, first, n, t)
                else:
                    del work_of[cid]
                    router.abandon(cid, t)
            elif kind == K_ACCEPT:
                c = contacts.get(cid)
                if c is None or c.offer_id != extra or c.state is not ContactState.OFFERED:
                    continue
                router.accept(extra, t)
                qi = work_of[cid]
                by_agent = handle_of[qi]
                sampler = (
                    handle[qi] if by_agent is None else by_agent.get(c.agent_id or "", handle[qi])
                )
                heappush(heap, (t + sampler.draw(), K_COMPLETE, next(seq), cid, qi))
            elif kind == K_RETRY:
                qi, n = extra
                first = cid
                cid = f"{first}-r{n}"
                if warm <= t:
                    retried[qi] += 1
                if any_trunks:
                    if lines[qi] >= trunks[qi]:
                        if warm <= t:
                            blocked[qi] += 1
                        if retry_after_blocked[qi]:
                            retry(qi, first, n, t)
                        continue
                    lines[qi] += 1
                    line_of[cid] = qi
                work_of[cid] = qi
                attempt_of[cid] = (first, n)
                est = router.arrive(cid, qids[qi], t)
                draw_patience = extras.retry_patience[qi]
                patience = INF if draw_patience is None else draw_patience.draw()
                if patience < INF and (est != 0.0 or ring > 0.0):
                    heappush(heap, (t + patience, K_ABANDON, next(seq), cid, None))
            else:
                presence, reason = extra
                router.set_presence(cid, presence, t, reason)
        else:
            t = ta
            qi = a_q[i]
            cid = a_id[i]
            if any_trunks:
                if lines[qi] >= trunks[qi]:
                    if warm <= t < horizon:
                        blocked[qi] += 1
                    if retry_after_blocked[qi]:
                        retry(qi, cid, 0, t)
                    i += 1
                    continue  # a busy signal: the router never hears of it
                lines[qi] += 1
                line_of[cid] = qi
            work_of[cid] = qi
            est = router.arrive(cid, qids[qi], t)
            if est is not None and est > a_tol[i]:
                del work_of[cid]
                if line_of:
                    free_line(line_of, lines, cid)
                router.abandon(cid, t)
            elif est is not None and est > cb_above[qi] and a_cb[i]:
                if line_of:
                    free_line(line_of, lines, cid)  # the customer hangs up and is called back
                router.request_callback(cid, t)
            elif a_pat[i] < INF and (est != 0.0 or ring > 0.0):
                # A predicted wait of 0 means a free agent took the offer at once: the
                # customer is answered now and its patience never matters.
                heappush(heap, (t + a_pat[i], K_ABANDON, next(seq), cid, None))
            i += 1

        # The router's answer: offers go to the simulated agents, events to the KPIs.
        evs = router.drain_records()
        while evs:
            for e in evs:
                # An offer is always a record (_, at, offer_id, contact_id, agent_id, ...).
                if type(e) is tuple and e[0] is offer_created:
                    cid = e[3]
                    if ring > 0.0:
                        heappush(heap, (t + ring, K_ACCEPT, next(seq), cid, e[2]))
                    else:
                        router.accept(e[2], t)
                        qi = work_of[cid]
                        sampler = handle[qi]
                        if by_group:
                            by_agent = handle_of[qi]
                            if by_agent is not None:
                                sampler = by_agent.get(e[4], sampler)
                        heappush(heap, (t + sampler.draw(), K_COMPLETE, next(seq), cid, qi))
            n_events += len(evs)
            buffer += evs
            evs = router.drain_records()
        if len(buffer) >= BATCH:
            if observe is not None:
                observe(buffer)
            acc.consume_records(buffer)
            if tracer is not None:
                tracer.consume(materialize(buffer))
            buffer = []
        nd = router.next_due()
        due = INF if nd is None else nd
        steps += 1
        if progress is not None and not steps & 0x3FFF:
            progress(min(t / horizon, 1.0))

    if observe is not None:
        observe(buffer)
    acc.consume_records(buffer)
    if tracer is not None:
        tracer.consume(materialize(buffer))
    end = max(t, horizon)
    if progress is not None:
        progress(1.0)
    tried = attempts(a_t, a_q, nq, warm, horizon)
    return Replication(
        index=index,
        report=acc.result(end),
        contacts=n_arr,
        events=n_events,
        sim_end_s=t,
        wall_s=time.perf_counter() - started,
        cpu_s=time.process_time() - cpu_started,
        trace=None if tracer is None else tracer.result(),
        attempts=tuple(a + r for a, r in zip(tried, retried, strict=True)),
        blocked=tuple(blocked),
        busyness=extras.busyness,
        retrials=tuple(retried),
    )
