"""The push-hub base: rounds after marks and after quiet periods, ordered outboxes,
subscriptions and sockets released on stop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from starlette.websockets import WebSocket

from kefu.adapters.sockets.hub import PushHub


class FakeSocket:
    """Records what a hub sends and how it closes the socket."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed: int | None = None
        self.delay_s = delay_s

    async def send_json(self, data: dict[str, Any]) -> None:
        await asyncio.sleep(self.delay_s)
        self.sent.append(data)

    async def close(self, code: int = 1000) -> None:
        self.closed = code


@dataclass(frozen=True)
class Numbered:
    """A frame carrying its number."""

    n: int

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n}


class CountingHub(PushHub[str]):
    def __init__(self, *, refresh_s: float = 10.0) -> None:
        super().__init__("test", refresh_s=refresh_s, min_gap_s=0.0)
        self.rounds: list[bool] = []
        self.prepared = False
        self.listeners: list[Callable[[], None]] = []

    def subscribe(self) -> list[Callable[[], None]]:
        self.listeners.append(self.mark)
        return [lambda: self.listeners.remove(self.mark)]

    async def prepare(self) -> None:
        self.prepared = True

    async def push(self, changed: bool) -> None:
        self.rounds.append(changed)


def _socket(fake: FakeSocket) -> WebSocket:
    return cast(WebSocket, fake)


async def _until(condition: Callable[[], bool], timeout_s: float = 2.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.001)


def test_given_a_started_hub_when_a_subscription_fires_then_one_changed_round_runs() -> None:
    async def scenario() -> None:
        hub = CountingHub()
        await hub.start()
        assert hub.prepared and len(hub.listeners) == 1
        hub.listeners[0]()
        await _until(lambda: hub.rounds == [True])
        await hub.stop()
        assert hub.listeners == []

    asyncio.run(scenario())


def test_given_no_change_when_refresh_passes_then_an_unchanged_round_runs() -> None:
    async def scenario() -> None:
        hub = CountingHub(refresh_s=0.01)
        await hub.start()
        await _until(lambda: len(hub.rounds) >= 2)
        await hub.stop()
        assert not any(hub.rounds)

    asyncio.run(scenario())


def test_given_frames_queued_when_the_socket_is_slow_then_they_go_out_in_order() -> None:
    async def scenario() -> None:
        hub = CountingHub()
        fake = FakeSocket(delay_s=0.001)
        hub.open_outbox(_socket(fake))
        for n in range(20):
            hub.enqueue(_socket(fake), Numbered(n))
        await _until(lambda: len(fake.sent) == 20)
        await hub.close_outbox(_socket(fake))
        hub.enqueue(_socket(fake), Numbered(99))  # no outbox any more: dropped
        await asyncio.sleep(0.01)
        assert [frame["n"] for frame in fake.sent] == list(range(20))

    asyncio.run(scenario())


def test_given_connected_sockets_when_the_hub_stops_then_they_close_with_going_away() -> None:
    async def scenario() -> None:
        hub = CountingHub()
        await hub.start()
        fakes = [FakeSocket(), FakeSocket()]
        for n, fake in enumerate(fakes):
            hub.sockets[_socket(fake)] = f"client-{n}"
        await hub.stop()
        assert [fake.closed for fake in fakes] == [1001, 1001]
        assert hub.sockets == {}

    asyncio.run(scenario())


def test_given_a_failing_round_when_marked_again_then_the_loop_keeps_running() -> None:
    class Flaky(CountingHub):
        async def push(self, changed: bool) -> None:
            await super().push(changed)
            if len(self.rounds) == 1:
                raise RuntimeError("the first round fails")

    async def scenario() -> None:
        hub = Flaky()
        await hub.start()
        hub.mark()
        await _until(lambda: len(hub.rounds) == 1)
        hub.mark()
        await _until(lambda: len(hub.rounds) == 2)
        await hub.stop()

    asyncio.run(scenario())
