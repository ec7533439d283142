"""A network partition of the leading router, with each node a separate process in a
network namespace of its own (:mod:`netns_helpers`: a veth pair to the root namespace,
where PostgreSQL and NATS are reached through a relay on the veth). Under a steady load
through a web node, the leader's veth goes down while it keeps running: cut from the
store and the bus, it stops acting within its lease (before the server drops its lock),
the standby takes over, and once the link is back nothing the old leader staged is stored
(an append at its epoch is refused by the fence) and it exits, to be started again as a
standby; every acknowledged contact is stored exactly once."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cluster_helpers import NATS_URL, Node, seed
from netns_helpers import ServerRelay, namespaces
from sqlalchemy.engine import make_url
from test_cluster_processes import START_BOUND_S, Load, _drop_stream, _stored_queued

from kefu.adapters.cluster.lease import SERVER_GIVES_UP_S, LeaderLease
from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine, upgrade
from kefu.service.errors import NotLeader

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

TAKEOVER_BOUND_S = SERVER_GIVES_UP_S + 10.0
"""The server drops the silent leader's lock after SERVER_GIVES_UP_S; the standby then
starts (seconds on a loaded machine)."""


@pytest.fixture
def schema(postgres_schema: tuple[str, str]) -> Iterator[tuple[str, str]]:
    url, name = postgres_schema
    engine = make_engine(url, schema=name)
    upgrade(engine)
    engine.dispose()
    yield url, name


def _epoch(node: Node) -> int:
    """The epoch a router says it leads at, asked from its own host (0: it does not; a
    router that stopped answering, or exited, leads nothing)."""
    answer = node.get("/metrics")
    if answer is None:
        return 0
    for line in answer.text.splitlines():
        if line.startswith("kefu_leader_epoch "):
            return int(float(line.split()[1]))
    return 0


def test_given_a_leader_cut_from_the_store_when_it_keeps_running_then_it_stops_and_is_fenced(
    schema: tuple[str, str], tmp_path: Path
) -> None:
    url, name = schema
    domain = f"cut{uuid.uuid4().hex[:8]}"
    headers = asyncio.run(seed(url, name, domain))
    database = make_url(url)
    ports = [database.port or 5432, int(NATS_URL.rsplit(":", 1)[1])]
    with namespaces(3) as (ns_r1, ns_r2, ns_web):
        relays = [ServerRelay(ns.gateway, ports) for ns in (ns_r1, ns_r2, ns_web)]
        routers = [
            Node("router", f"r{i + 1}", url, name, domain, tmp_path, ns)
            for i, ns in enumerate((ns_r1, ns_r2))
        ]
        web = Node("web", "w1", url, name, domain, tmp_path, ns_web)
        try:
            _partition(url, name, domain, headers, routers, web)
        finally:
            for node in [*routers, web]:
                node.stop()
            for relay in relays:
                relay.close()
            asyncio.run(_drop_stream(domain))


def _partition(
    url: str, name: str, domain: str, headers: dict[str, str], routers: list[Node], web: Node
) -> None:
    nodes = [*routers, web]
    load = Load(web, headers)
    began = time.monotonic()
    try:
        for node in nodes:
            node.start()
        for node in nodes:
            node.wait("answers", START_BOUND_S)
        web.wait("ready", START_BOUND_S)
        deadline = time.monotonic() + START_BOUND_S
        while not any(r.ready() for r in routers) and time.monotonic() < deadline:
            time.sleep(0.1)
        first = 0 if routers[0].ready() else 1
        leader, standby = routers[first], routers[1 - first]
        assert _epoch(leader) == 1 and _epoch(standby) == 0

        print(f"nodes started and led in {time.monotonic() - began:.1f} s")  # noqa: T201
        load.start()
        time.sleep(2.0)
        cut = time.monotonic()
        assert routers[first].namespace is not None
        routers[first].namespace.cut()  # its veth goes down
        stopped_s = None
        while time.monotonic() - cut < TAKEOVER_BOUND_S:
            if stopped_s is None and _epoch(leader) == 0:
                stopped_s = time.monotonic() - cut
            if standby.ready():
                break
            time.sleep(0.05)
        takeover_s = time.monotonic() - cut
        print(f"leader stopped {stopped_s} s, standby leads {takeover_s:.2f} s after the cut")  # noqa: T201
        # The old leader stopped acting within its lease, before the server could drop
        # its lock; the standby leads with the next epoch.
        assert stopped_s is not None and stopped_s < SERVER_GIVES_UP_S
        assert standby.ready() and _epoch(standby) == 2
        assert takeover_s < TAKEOVER_BOUND_S

        retries = load.retries
        time.sleep(2.0)  # every command now goes to the new leader at the first try
        assert load.retries == retries
        routers[first].namespace.heal()  # the old leader's network comes back
        assert leader.process is not None
        healed = time.monotonic()
        leader.process.wait(timeout=30)  # it exits, to be started again as a standby
        print(f"old leader exited {time.monotonic() - healed:.1f} s after the heal")  # noqa: T201
        time.sleep(1.0)
        load.stop()
        assert load.failed == []

        fenced = make_engine(url, schema=name)
        try:  # an append at the old leader's epoch is refused now
            old = LeaderLease(fenced, domain, leader.name)
            old.epoch = 1
            with SqlUnitOfWorkFactory(fenced)() as uow, pytest.raises(NotLeader):
                old.fence(uow)
        finally:
            fenced.dispose()
        acked_ids = [contact_id for _k, contact_id, _t in load.acked]
        assert len(set(acked_ids)) == len(acked_ids)
        queued, _ = _stored_queued(url, name)
        assert [q.contact_id for q in queued] == acked_ids
        assert [q.position for q in queued] == list(range(1, len(queued) + 1))
    finally:
        load.stop()
