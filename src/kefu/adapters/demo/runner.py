"""One demo run: seed the center, create the demo users, run the traffic, stop cleanly and
summarize. Its ``start``/``stop`` are the app's startup and shutdown hooks."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass

from kefu.adapters.demo.ivr_chats import IvrChatCustomers
from kefu.adapters.demo.seed import DemoCredential, create_demo_users, seed
from kefu.adapters.demo.traffic import TrafficGenerator
from kefu.config import Settings
from kefu.domain.model import ContactState
from kefu.service import RoutingEngine
from kefu.service.branch import BranchDesk
from kefu.service.channels import ChannelService

__all__ = ["DemoRun", "DemoSummary"]


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """Contacts in the store at the end of the run (all runs on this database)."""

    offered: int
    answered: int
    abandoned: int
    completed: int
    waiting: int


class DemoRun:
    """Wire with ``engine`` set before the app starts. ``duration_s`` ends the run by
    calling ``request_exit``; ``announce`` is called once with the demo credentials."""

    def __init__(
        self,
        *,
        rate: float = 1.0,
        seed: int | None = None,
        duration_s: float | None = None,
        request_exit: Callable[[], None] | None = None,
        announce: Callable[[bool, list[DemoCredential]], None] | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.rate = rate
        self.seed = seed
        self.duration_s = duration_s
        self.request_exit = request_exit
        self.announce = announce
        self.settings = settings
        """Password costs and the demo password; the environment's when not given."""
        self.engine: RoutingEngine | None = None
        self.taken: Callable[[str], bool] | None = None
        """Agents a person works as at a desktop (the simulation steps aside for them)."""
        self.branch: BranchDesk | None = None
        """The hall's desk: synthetic tickets and simulated clerks (none without it)."""
        self.channels: ChannelService | None = None
        self.chat_flow: str | None = None
        """The flow greeting chats: synthetic chat customers answer it (with channels)."""
        self.traffic: TrafficGenerator | None = None
        self.summary: DemoSummary | None = None

    async def start(self) -> None:
        engine = self._engine()
        created = await seed(engine)
        credentials = await create_demo_users(engine, self.settings)
        if self.announce is not None:
            self.announce(created, credentials)
        ivr_chats = None
        if self.channels is not None and self.chat_flow is not None:
            rng = random.Random(None if self.seed is None else self.seed + 1)
            ivr_chats = IvrChatCustomers(self.channels, self.chat_flow, rng)
        self.traffic = TrafficGenerator(
            engine,
            rate=self.rate,
            seed=self.seed,
            taken=self.taken,
            branch=self.branch,
            ivr_chats=ivr_chats,
        )
        if self.branch is not None:
            self.branch.declines = self.traffic.declines
        await self.traffic.start()
        if self.duration_s is not None and self.request_exit is not None:
            asyncio.get_running_loop().call_later(self.duration_s, self.request_exit)

    async def stop(self) -> None:
        if self.traffic is not None:
            await self.traffic.stop()
        if self.branch is not None:
            self.branch.declines = None
        self.summary = await self._engine().query(_summarize)

    def _engine(self) -> RoutingEngine:
        if self.engine is None:
            raise RuntimeError("DemoRun.engine must be set before the app starts")
        return self.engine


def _summarize(engine: RoutingEngine) -> DemoSummary:
    contacts = engine.router.contacts.values()
    return DemoSummary(
        offered=len(contacts),
        answered=sum(1 for c in contacts if c.answered_at is not None),
        abandoned=sum(1 for c in contacts if c.state is ContactState.ABANDONED),
        completed=sum(1 for c in contacts if c.state is ContactState.COMPLETED),
        waiting=sum(1 for c in contacts if c.state is ContactState.QUEUED),
    )
