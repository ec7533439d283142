"""A snapshot dumped by a forked child: the parent goes on at once, the child sees the
state as it was at the fork, and a failing or stuck child is reported, never hangs."""

from __future__ import annotations

import asyncio
import pickle
import time

import pytest

from kefu.service.snapshot_fork import fork_dump


def test_given_a_slow_dump_when_forked_then_the_parent_goes_on_and_gets_the_frozen_state() -> None:
    async def scenario() -> None:
        state = {"contacts": list(range(1_000))}

        def dump() -> bytes:
            time.sleep(0.3)  # in the child: the parent must not wait for it
            return pickle.dumps(state)

        began = time.perf_counter()
        child = fork_dump(dump)
        assert child is not None
        assert time.perf_counter() - began < 0.25
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
