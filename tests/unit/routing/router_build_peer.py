"""The other side of ``test_router_builds.py``, run in a child process on either build.

``python router_build_peer.py dump`` prints a snapshot of :func:`busy_router` (hex) and
its state digest; ``python router_build_peer.py load`` reads such a snapshot on stdin
and prints the digest of the router it restores, plus whether this process runs the
compiled router."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from enum import Enum
from typing import Any

from kefu.domain import events as ev
from kefu.domain import routing
from kefu.domain.model import AgentSpec, Channel, ContactSpec, OverflowStep, QueueSpec
from kefu.domain.routing import Router, RouterConfig
from kefu.domain.routing.digest import state_digest
from kefu.service.snapshots import dump_router, load_router


def busy_router() -> Router:
    """A router mid-flow: waiting, offered, active and wrapping-up contacts, two channels,
    an overflow step and an agent not ready."""
    router = Router(RouterConfig(offer_timeout_s=10.0))
    router.define_queue(
        QueueSpec(
            "账单",
            Channel.VOICE,
            {"billing": 2},
            wrapup_s=5.0,
            overflow=(OverflowStep(30.0, skills={}),),
        ),
        0.0,
    )
    router.define_queue(QueueSpec("chat", Channel.CHAT, {}), 0.0)
    for i in range(4):
        skills = {"billing": 1 + i % 3}
        router.define_agent(AgentSpec(f"a{i}", skills, {Channel.VOICE: 1, Channel.CHAT: 2}), 0.0)
        router.set_presence(f"a{i}", "ready" if i != 3 else "not_ready", 0.0)
    offers = []
    for n in range(12):
        queue = "账单" if n % 3 else "chat"
        router.enqueue(ContactSpec(f"c{n}", queue, value_tier=n % 2), 1.0 + n / 2)
        offers += [e.offer_id for e in router.drain() if isinstance(e, ev.OfferCreated)]
    router.accept(offers[0], 7.0)
    router.accept(offers[1], 7.5)
    router.complete("c0", 8.0)
    router.advance(9.0)
    router.drain()
    return router


def digest_text(router: Router) -> str:
    """The state digest as text, comparable across processes: mappings and sets sorted
    (a set's order follows string hashes, which differ from process to process)."""
    return repr(_plain(state_digest(router)))


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return sorted((repr(_plain(k)), _plain(v)) for k, v in value.items())
    if isinstance(value, set | frozenset):
        return sorted(repr(_plain(v)) for v in value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        named = {f.name: getattr(value, f.name) for f in fields(value)}
        return [type(value).__name__, _plain(named)]
    if isinstance(value, Enum):
        return value.value
    return value


if __name__ == "__main__":
    if sys.argv[1] == "dump":
        router = busy_router()
        out = {"snapshot": dump_router(router).hex(), "digest": digest_text(router)}
    else:
        restored = load_router(bytes.fromhex(sys.stdin.read().strip()))
        out = {"digest": digest_text(restored), "compiled": routing.COMPILED}
    sys.stdout.write(json.dumps(out) + "\n")
