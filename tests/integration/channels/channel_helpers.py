"""Helpers of the channel tests: an event loop in a background thread, and a sink doing what
the server will do with inbound messages."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kefu.domain.customers import ConversationBook, CustomerDirectory, Direction, Message, Placement
from kefu.service.channels import Inbound

T = TypeVar("T")


class LoopThread:
    """An event loop running in a daemon thread; :meth:`run` waits for a coroutine."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        """Cancel what still runs on the loop (a session a peer left open) and wait for it,
        as ``asyncio.run`` does, so no task or stream is collected after the loop closed."""

        async def drain() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.run(drain())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


@dataclass
class DeskSink:
    """A hand-written sink doing what the server will: link the sender to a customer and file
    the message into a conversation, with the real domain objects."""

    directory: CustomerDirectory = field(default_factory=CustomerDirectory)
    book: ConversationBook = field(init=False)
    messages: list[Inbound] = field(default_factory=list)
    placements: list[Placement] = field(default_factory=list)
    fail: bool = False

    def __post_init__(self) -> None:
        self.book = ConversationBook(identities=self.directory.identities)

    def on_message(self, message: Inbound) -> None:
        if self.fail:
            raise RuntimeError("the platform is unavailable")
        link = self.directory.link(message.sender, at=message.at, name=message.sender_name)
        placement = self.book.receive(
            link.customer_id,
            _as_message(message, link.customer_id),
            thread_refs=message.thread_refs,
        )
        self.messages.append(message)
        self.placements.append(placement)


def _as_message(inbound: Inbound, author: str) -> Message:
    """The conversation message of ``inbound`` by ``author`` (the customer it links to)."""
    return Message(
        Direction.INBOUND,
        inbound.channel,
        author,
        inbound.text,
        inbound.at,
        subject=inbound.subject,
        external_id=inbound.external_id,
        attachments=inbound.attachments,
    )
