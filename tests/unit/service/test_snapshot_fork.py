"""A snapshot dumped by a forked child: the parent goes on at once, the child sees the
state as it was at the fork, and a failing or stuck child is reported, never hangs."""

from __future__ import annotations

import asyncio
import pickle
import time
from typing import Any

import pytest

from kefu.adapters.storage.snapshots import MemorySnapshots
from kefu.bootstrap import routing_engine
from kefu.domain.model import Channel, QueueSpec
from kefu.service.ports import UnitOfWork
from kefu.service.routing import commands as c
from kefu.service.snapshot_fork import fork_dump
from kefu.service.snapshots import SnapshotPolicy, Snapshotter, open_snapshot
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock


def test_given_a_slow_dump_when_forked_then_the_parent_goes_on_and_gets_the_frozen_state() -> None:
    async def scenario() -> None:
        state = {"contacts": list(range(1_000))}

        def dump() -> bytes:
            time.sleep(1.0)  # in the child: the parent must not wait for it
            return pickle.dumps(state)

        began = time.perf_counter()
        child = fork_dump(dump)
        assert child is not None
        assert time.perf_counter() - began < 0.8
        state["contacts"].append(-1)  # a change after the fork is not in the dump
        data = await child.result(timeout_s=10.0)
        assert pickle.loads(data) == {"contacts": list(range(1_000))}

    asyncio.run(scenario())


def test_given_a_dump_that_fails_when_forked_then_the_result_raises() -> None:
    async def scenario() -> None:
        def dump() -> bytes:
            raise ValueError("take the channel state's writes before snapshotting it")

        child = fork_dump(dump)
        assert child is not None
        with pytest.raises(RuntimeError, match="code 1"):
            await child.result(timeout_s=10.0)

    asyncio.run(scenario())


def test_given_a_stuck_child_when_past_its_time_then_killed_and_reported() -> None:
    async def scenario() -> None:
        def dump() -> bytes:
            time.sleep(30)
            return b""

        child = fork_dump(dump)
        assert child is not None
        began = time.perf_counter()
        with pytest.raises(RuntimeError, match="took over"):
            await child.result(timeout_s=0.2)
        assert time.perf_counter() - began < 5.0

    asyncio.run(scenario())


def test_given_a_large_dump_when_forked_then_every_byte_comes_through_the_pipe() -> None:
    async def scenario() -> None:
        blob = bytes(range(256)) * 20_000  # 5 MB: many pipe buffers
        child = fork_dump(lambda: blob)
        assert child is not None
        assert await child.result(timeout_s=10.0) == blob

    asyncio.run(scenario())


class _SlowPart:
    """A state part whose dump takes a while (in the snapshot's child)."""

    snapshot_key = "slow"

    def fetch(self, uow: UnitOfWork) -> None:
        del uow

    def load(self, fetched: None) -> None:
        del fetched

    def reconcile(self, router: object, now: float) -> None:
        del router, now

    def take_writes(self) -> list[Any]:
        return []

    def dump(self) -> bytes:
        time.sleep(1.0)
        return b"slow"

    def fetch_since(self, uow: UnitOfWork, dumped: bytes) -> None:
        del uow, dumped

    def restore(self, fetched: None) -> None:
        del fetched


def test_given_a_slow_snapshot_when_taken_then_the_engine_answers_meanwhile() -> None:
    async def scenario() -> None:
        keeper = Snapshotter(MemorySnapshots(), SnapshotPolicy(every=0))
        engine = routing_engine(InMemoryUnitOfWorkFactory(), ManualClock(1_000.0))
        engine.snapshots = keeper
        engine.attach(_SlowPart())
        await engine.start()
        await engine.execute(c.CreateSite("sh", "上海"))
        began = time.perf_counter()
        taking = asyncio.create_task(engine.snapshot())
        await asyncio.sleep(0)  # the snapshot takes the lock and forks
        await engine.execute(c.DefineQueue(QueueSpec("voice", Channel.VOICE), "sh"))
        assert time.perf_counter() - began < 0.8, "a command waited for the pickling"
        assert not taking.done()
        snapshot = await taking
        assert snapshot is not None and snapshot.seq < engine.last_seq
        _, parts = open_snapshot(snapshot.data)
        assert parts.keys() == {"slow", "reports"} and parts["slow"] == b"slow"
        await engine.stop()

    asyncio.run(scenario())
