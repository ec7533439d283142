"""The router's event log is byte-stable: seeded workloads log exactly the recorded bytes.

Speed work changes how the router represents its state, never what it decides: each
workload below hashes the JSON lines of every event the router logs (and, for the random
command driver, every error it raises), and the hash must equal the one recorded before
that work. Workloads: simulations (voice and chat, multi-skill with overflow steps and
moves, balking, callbacks, transfers, ring delay, shifts with breaks, trunk lines and
retrials; M/M/n+M with abandons), ``bench/routing.py``'s center and stream (value tiers,
priorities, rejects, forgetting closed contacts) and a random command driver (value tiers,
reprioritize, callbacks, transfers to queues and agents, holds, presence, manual
assignment, missed offers, bad offer ids).
"""

from __future__ import annotations

import hashlib
import importlib.util
import random
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from kefu.domain import events as ev
from kefu.domain.errors import KefuError
from kefu.domain.model import AgentSpec, Channel, ContactSpec, OverflowStep, QueueSpec
from kefu.domain.routing import Router, RouterConfig, timers
from kefu.domain.routing.log import LogEntry, materialize
from kefu.sim import compile_scenario, parse_scenario, replication_seed, run_replication

ROOT = Path(__file__).resolve().parents[3]


class _Digest:
    """SHA-256 of the events' JSON lines, in log order."""

    def __init__(self) -> None:
        self.hash = hashlib.sha256()
        self.count = 0

    def add(self, events: list[ev.Event]) -> None:
        if events:
            self.hash.update(ev.events_to_jsonl(events).encode())
            self.count += len(events)

    def note(self, text: str) -> None:
        self.hash.update(text.encode())

    def hexdigest(self) -> str:
        return self.hash.hexdigest()[:24]


class _RecordingRouter:
    """A router whose drained events go to a digest; everything else is the router's. A
    wrapper rather than a subclass: the compiled router takes no interpreted subclasses."""

    def __init__(self, router: Router, digest: _Digest) -> None:
        self._router = router
        self._digest = digest

    def drain(self) -> list[ev.Event]:
        out = self._router.drain()
        self._digest.add(out)
        return out

    def drain_records(self) -> list[LogEntry]:
        out = self._router.drain_records()
        self._digest.add(materialize(out))
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._router, name)


def _recording_router(
    digest: _Digest, max_classes: int | None = None
) -> Callable[..., _RecordingRouter]:
    def make(config: RouterConfig | None = None) -> _RecordingRouter:
        router = Router(config)
        if max_classes is not None:
            router.max_classes = max_classes
        return _RecordingRouter(router, digest)

    return make


def _dist(mean: float) -> dict[str, Any]:
    return {"dist": "exponential", "mean_s": mean}


MULTISKILL: dict[str, Any] = {
    "horizon_s": 3600.0,
    "interval_s": 900.0,
    "ring_delay_s": 2.0,
    "router": {"offer_timeout_s": 15.0},
    "queues": [
        {
            "id": "billing",
            "skills": {"billing": 5},
            "wrapup_s": 5.0,
            "arrivals": {"rate_per_s": 0.25},
            "handle": {"dist": "lognormal", "mean_s": 120.0, "sd_s": 60.0},
            "patience": _dist(90.0),
            "overflow": [{"after_s": 20.0, "skills": {"billing": 1}}],
            "balking": {"tolerance": _dist(300.0), "probability": 0.5},
        },
        {
            "id": "tech",
            "skills": {"tech": 3},
            "arrivals": {"rate_per_s": 0.15},
            "handle": _dist(150.0),
            "patience": _dist(120.0),
            "callback": {"above_s": 30.0, "accept_share": 0.5},
            "transfer": {"to_queue": "billing", "share": 0.1},
            "trunks": 25,
            "retrial": {"probability": 0.5, "delay": _dist(60.0)},
        },
        {
            "id": "spill",
            "skills": {"english": 1},
            "arrivals": {"rate_per_s": 0.08},
            "handle": _dist(100.0),
            "patience": _dist(60.0),
            "overflow": [{"after_s": 15.0, "to_queue": "tech"}],
        },
        {
            "id": "chat",
            "channel": "chat",
            "skills": {"chat": 1},
            "arrivals": {"rate_per_s": 0.1},
            "handle": _dist(200.0),
        },
    ],
    "agents": [
        {"group": "bill", "skills": {"billing": 7}, "count": 30},
        {"group": "tech", "skills": {"tech": 5, "english": 2}, "count": 20},
        {"group": "mixed", "skills": {"billing": 3, "tech": 3, "chat": 1}, "count": 10},
        {
            "group": "late",
            "skills": {"tech": 4, "billing": 2, "chat": 1},
            "count": 8,
            "shift": {
                "start_s": 600.0,
                "breaks": [{"start_s": 1800.0, "duration_s": 300.0, "spread_s": 600.0}],
            },
        },
    ],
}

MMNM: dict[str, Any] = {
    "horizon_s": 8000.0,
    "interval_s": 3600.0,
    "queues": [
        {
            "id": "q",
            "arrivals": {"rate_per_s": 0.22},
            "handle": _dist(180.0),
            "patience": _dist(120.0),
        }
    ],
    "agents": [{"group": "pool", "count": 40}],
}


def _simulate(scenario: dict[str, Any]) -> tuple[str, int]:
    """The digest of every event the simulation's router logs (the engine's ``observe``
    hook: a compiled engine calls its router directly, so it cannot be patched)."""
    digest = _Digest()
    run_replication(
        compile_scenario(parse_scenario(scenario)),
        replication_seed(3, 0),
        observe=lambda entries: digest.add(materialize(entries)),
    )
    return digest.hexdigest(), digest.count


def _bench_routing() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kefu_bench_routing", ROOT / "bench/routing.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_given_multiskill_simulation_when_run_then_log_is_byte_identical() -> None:
    assert _simulate(MULTISKILL) == ("fb451091d04c8581db30a158", 10275)


def test_given_mmnm_simulation_when_run_then_log_is_byte_identical() -> None:
    assert _simulate(MMNM) == ("a503aa92b18477b1df57b220", 8536)


@pytest.mark.parametrize("max_classes", [None, 10_000])
def test_given_bench_routing_workload_when_run_then_log_is_byte_identical(
    monkeypatch: pytest.MonkeyPatch, max_classes: int | None
) -> None:
    """The same log whether buckets find free agents by heap (each agent its own skill
    profile: every bucket here, by default) or by class (10,000 classes allowed)."""
    bench = _bench_routing()
    digest = _Digest()
    monkeypatch.setattr(bench, "Router", _recording_router(digest, max_classes))
    center = bench.build_center(agents=300, skills=30, queues=20, load=0.97, seed=11)
    stream = bench.contact_stream(center, 4000, 0.05, 11)
    bench.drive_kefu(center, stream, 4000, 1000, timed_twin=False)  # one router's log
    assert (digest.hexdigest(), digest.count) == ("f2de5d7466ffff89dfc34f21", 19461)


def _random_commands(seed: int, steps: int, max_classes: int | None = None) -> tuple[str, int]:
    """Seeded random commands on a small tiered center; logs and errors are hashed."""
    rng = random.Random(seed)
    digest = _Digest()
    router = Router(RouterConfig(offer_timeout_s=8.0))
    if max_classes is not None:
        router.max_classes = max_classes
    queues = [
        QueueSpec("gold", Channel.VOICE, {"billing": 4}, sl_threshold_s=10.0, wrapup_s=3.0),
        QueueSpec(
            "voice",
            Channel.VOICE,
            {"billing": 2},
            sl_threshold_s=20.0,
            overflow=(OverflowStep(12.0, skills={}), OverflowStep(30.0, queue_id="gold")),
        ),
        QueueSpec("chat", Channel.CHAT, {"chat": 1}, sl_threshold_s=30.0, wrapup_s=2.0),
    ]
    router.define_queue(queues[0], 0.0)
    for q in queues[1:]:
        router.define_queue(q, 0.0)
    agents = [
        AgentSpec(
            f"a{i}",
            {"billing": rng.randint(1, 6), "chat": 2} if i % 3 else {"billing": rng.randint(1, 6)},
            {Channel.VOICE: 1, Channel.CHAT: rng.randint(1, 3) if i % 3 else 0},
        )
        for i in range(9)
    ]
    for a in agents:
        router.define_agent(a, 0.0)
        router.set_presence(a.agent_id, "ready", 0.0)
    t = 0.0
    n = 0
    for _ in range(steps):
        t += rng.expovariate(2.0)
        by_state: dict[str, list[str]] = {"queued": [], "active": [], "wrapup": [], "any": []}
        for contact in router.contacts.values():
            by_state.setdefault(contact.state.value, []).append(contact.contact_id)
            by_state["any"].append(contact.contact_id)
        offers = [c.offer_id for c in router.contacts.values() if c.offer_id is not None]
        aid = rng.choice(agents).agent_id
        u = rng.random()

        def pick(state: str, by_state: dict[str, list[str]] = by_state) -> str:
            ids = by_state.get(state) if rng.random() < 0.85 else by_state["any"]
            return rng.choice(ids) if ids else "none"

        try:
            if u < 0.25:
                n += 1
                q = rng.choice(queues).queue_id
                spec = ContactSpec(f"c{n}", q, rng.choice((0, 0, 0, 1, 2)), rng.choice((0, 0, 1)))
                router.enqueue(spec, t)
            elif u < 0.5 and offers:
                router.accept(rng.choice(offers), t)
            elif u < 0.53 and offers:
                router.reject(rng.choice(offers), t)
            elif u < 0.62:
                router.complete(pick("active"), t, rng.choice((None, "sold")))
            elif u < 0.66:
                router.abandon(pick("queued"), t)
            elif u < 0.69:
                router.end_wrapup(pick("wrapup"), t)
            elif u < 0.72:
                router.reprioritize(pick("queued"), rng.randint(0, 3), t)
            elif u < 0.75:
                router.request_callback(pick("queued"), t, "+86 10 1234")
            elif u < 0.78:
                router.transfer(pick("active"), t, to_queue=rng.choice(queues).queue_id, note="see")
            elif u < 0.8:
                router.transfer(pick("active"), t, to_agent=aid)
            elif u < 0.83:
                router.hold(pick("active"), t)
            elif u < 0.85:
                router.resume(pick("active"), t)
            elif u < 0.9:
                presence = rng.choice(("ready", "ready", "ready", "not_ready", "offline"))
                router.set_presence(aid, presence, t, "lunch")
            elif u < 0.93:
                router.assign(pick("queued"), aid, t)
            elif u < 0.95:
                router.accept(f"{pick('any')}/{rng.randint(0, 3)}", t, agent_id=aid)
            elif u < 0.96:
                skills = {"billing": rng.randint(1, 6), "chat": rng.randint(1, 3)}
                router.define_agent(AgentSpec(aid, skills, {Channel.VOICE: 1, Channel.CHAT: 2}), t)
            else:
                router.advance(t)
        except KefuError as exc:
            digest.note(f"{type(exc).__name__}:{exc}\n")
        digest.add(router.drain())
        digest.note(repr(router.next_due()))
    for queue in queues:
        digest.note(repr(sorted(router.queue_status(queue.queue_id).items())))
    return digest.hexdigest(), digest.count


@pytest.mark.parametrize("max_classes", [None, 0, 10_000])
def test_given_random_commands_when_run_then_log_and_errors_are_byte_identical(
    max_classes: int | None,
) -> None:
    """The same log whatever the buckets' way to their free agents (routing.classes): all
    by heap (0), all by class (10,000), and the default (up to 8 classes a bucket), with
    which four of the five buckets here go from class to heap as agents are redefined."""
    assert _random_commands(17, 6000, max_classes) == ("629c472cea48febf42144c46", 7314)


def test_given_wrapups_on_the_heap_when_run_then_log_is_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(timers, "MAX_SPANS", 0)
    assert _random_commands(17, 6000) == ("629c472cea48febf42144c46", 7314)
