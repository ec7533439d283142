"""The demo's traffic: synthetic customers (Chinese and English names) arriving as Poisson
processes, and simulated agents who accept, handle (sometimes with hold), complete and
take the odd break — all through the same commands the API sends. Branch tickets are
taken at the kiosk's service and called by simulated counter clerks; chat customers go
through the IVR flow first when one greets the demo's chats (:mod:`.ivr_chats`).

Simulated agents serve only synthetic customers (contacts with the attribute
:data:`~kefu.adapters.demo.seed.SYNTHETIC`), and people only people. A contact from a
person (a chat on ``/chat/demo``, an e-mail, a kiosk ticket) may still be offered to a
simulated agent, since people pick any chat topic and any queue an admin adds: the
simulated agent rejects it at once, and the router never offers it to that agent again
(its place in line is kept), so it waits for a person logged in as an agent who is not
simulated. Likewise a synthetic customer offered to a person is handed back at once, so
the person's desktop shows only people, who write back.

``rate`` multiplies every queue's arrival rate (tests use a high one to see traffic within
seconds). Races are normal (a customer hangs up while an agent accepts): refused commands
are ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

from kefu.adapters.demo.ivr_chats import IvrChatCustomers
from kefu.adapters.demo.seed import AGENTS, SYNTHETIC, TRAFFIC, QueueTraffic
from kefu.domain import events as ev
from kefu.domain.errors import KefuError
from kefu.domain.model import Channel
from kefu.service import RoutingEngine, StoredEvent
from kefu.service.branch import BranchDesk
from kefu.service.routing import commands as c

__all__ = ["TrafficGenerator"]

log = logging.getLogger(__name__)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超"]
ENGLISH = [
    "Alice Smith",
    "Bob Jones",
    "Maria Garcia",
    "James Brown",
    "Sophie Martin",
    "David Lee",
    "Emily Clark",
    "Lucas Müller",
]
TOPICS = [
    "账单 billing",
    "退款 refund",
    "套餐 plan",
    "故障 fault",
    "投诉 complaint",
    "咨询 inquiry",
]
BREAK_REASON = "休息 break"
DEMO_AGENTS = tuple(agent.agent_id for agent in AGENTS)


class TrafficGenerator:
    """Customers and simulated agents driving ``engine`` on the running loop."""

    def __init__(
        self,
        engine: RoutingEngine,
        *,
        rate: float = 1.0,
        seed: int | None = None,
        traffic: Mapping[str, QueueTraffic] = TRAFFIC,
        agents: Sequence[str] = DEMO_AGENTS,
        break_chance: float = 0.04,
        taken: Callable[[str], bool] | None = None,
        branch: BranchDesk | None = None,
        ivr_chats: IvrChatCustomers | None = None,
    ) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be > 0, not {rate}")
        self.engine = engine
        self.rate = rate
        self.rng = random.Random(seed)
        self.traffic = traffic
        self.agents = set(agents)
        self.taken = taken or (lambda _agent_id: False)
        """Agents a person works as at a desktop: the simulation leaves them alone."""
        self.break_chance = break_chance
        self.branch = branch
        """Issues the synthetic tickets and calls the next one for simulated clerks (no
        branch traffic without it)."""
        self.ivr_chats = ivr_chats
        """Chat customers go through the IVR flow first (straight to the queue without)."""
        self.created = 0
        self._queue_of: dict[str, str] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._unsubscribe: Any = None

    async def start(self) -> None:
        self._unsubscribe = self.engine.subscribe(self._on_events)
        for agent_id in sorted(self.agents):
            await self._try(c.SetAgentState(agent_id, "ready"))
        await self._adopt()
        for queue_id, traffic in self.traffic.items():
            self._spawn(self._arrivals(queue_id, traffic))
        for agent_id in sorted(self.agents):  # a counter calls its first number itself
            if self.branch is not None and self._is_counter(agent_id):
                self._spawn(self._call_next(agent_id, 0.0))

    def declines(self, agent_id: str, attributes: Mapping[str, str]) -> bool:
        """Whether ``agent_id`` must not serve a contact with ``attributes``: a simulated
        agent a person's contact, a person (an agent not simulated, or one a person works
        as) a synthetic customer, who would never write back."""
        simulated = agent_id in self.agents and not self.taken(agent_id)
        return simulated != (attributes.get(SYNTHETIC[0]) == SYNTHETIC[1])

    def _is_counter(self, agent_id: str) -> bool:
        record = self.engine.router.agents.get(agent_id)
        return record is not None and record.capacity.get(Channel.BRANCH, 0) > 0

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # -- plumbing ----------------------------------------------------------------------
    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _try(self, command: c.Command) -> dict[str, Any] | None:
        try:
            result: dict[str, Any] | None = await self.engine.execute(command)
            return result
        except KefuError as exc:
            log.debug("demo command %s refused: %s", type(command).__name__, exc)
            return None

    async def _adopt(self) -> None:
        """After a restart: carry on with the contacts the simulated agents hold."""

        def held(engine: RoutingEngine) -> list[tuple[str, str, str, str | None, bool]]:
            out = []
            for agent_id in self.agents:
                record = engine.router.agents.get(agent_id)
                if record is None:
                    continue
                for contact in record.held.values():
                    if contact.channel is Channel.BRANCH:
                        continue  # a clerk's ticket: its first "call next" finishes it
                    state = contact.state.value
                    person = self.declines(agent_id, contact.attributes)
                    out.append((agent_id, contact.contact_id, state, contact.offer_id, person))
                    self._queue_of[contact.contact_id] = contact.queue_id
            return out

        for agent_id, contact_id, state, offer_id, person in await self.engine.query(held):
            if state == "offered" and offer_id is not None:
                if person:
                    self._spawn(self._try(c.RejectOffer(contact_id, offer_id, agent_id)))
                else:
                    self._spawn(self._handle(agent_id, contact_id, offer_id))
            elif state == "active" and not person:
                self._spawn(self._finish(agent_id, contact_id))

    def _on_events(self, batch: Sequence[StoredEvent]) -> None:
        for stored in batch:
            event = stored.event
            if isinstance(event, ev.ContactQueued | ev.ContactOverflowed):
                self._queue_of[event.contact_id] = event.queue_id
            elif isinstance(event, ev.ContactTransferred) and event.to_queue_id:
                self._queue_of[event.contact_id] = event.to_queue_id
            elif isinstance(event, ev.OfferCreated):
                self._offered(event)
            elif isinstance(event, ev.OfferAccepted) and self._simulated_ticket(event):
                self._spawn(self._call_next(event.agent_id, self._handle_time(event.contact_id)))
            elif isinstance(event, ev.WrapupEnded | ev.ContactAbandoned):
                self._queue_of.pop(event.contact_id, None)

    def _offered(self, event: ev.OfferCreated) -> None:
        contact = self.engine.router.contacts.get(event.contact_id)
        if contact is None or contact.channel is Channel.BRANCH:
            return  # the branch desk answers (or declines) counter offers in the command
        if self.declines(event.agent_id, contact.attributes):
            # Handed back at once, and never offered to this agent again.
            reject = c.RejectOffer(event.contact_id, event.offer_id, event.agent_id)
            self._spawn(self._try(reject))
        elif event.agent_id in self.agents and not self.taken(event.agent_id):
            self._spawn(self._handle(event.agent_id, event.contact_id, event.offer_id))

    def _simulated_ticket(self, event: ev.OfferAccepted) -> bool:
        contact = self.engine.router.contacts.get(event.contact_id)
        return (
            self.branch is not None
            and contact is not None
            and contact.channel is Channel.BRANCH
            and event.agent_id in self.agents
            and not self.taken(event.agent_id)
        )

    # -- customers ---------------------------------------------------------------------
    def _customer(self) -> str:
        if self.rng.random() < 0.7:
            return self.rng.choice(SURNAMES) + "".join(self.rng.sample(GIVEN, 2))
        return self.rng.choice(ENGLISH)

    async def _arrivals(self, queue_id: str, traffic: QueueTraffic) -> None:
        per_second = traffic.per_hour * self.rate / 3600.0
        while True:
            await asyncio.sleep(self.rng.expovariate(per_second))
            name = self._customer()
            if self._branch_queue(queue_id):
                made = await self._ticket(queue_id, name)
            elif self.ivr_chats is not None and self._chat_queue(queue_id):
                self._spawn(self._ivr_chat(name, traffic))
                continue
            else:
                made = await self._try(
                    c.CreateContact(
                        queue_id,
                        value_tier=1 if self.rng.random() < 0.1 else 0,
                        customer_id=f"cust-{self.rng.randrange(100_000):05d}",
                        attributes={
                            "customer": name,
                            "topic": self.rng.choice(TOPICS),
                            SYNTHETIC[0]: SYNTHETIC[1],
                        },
                    )
                )
            if made is not None:
                self.created += 1
                if made["state"] == "queued":
                    patience = self.rng.expovariate(1.0 / traffic.patience_s)
                    self._spawn(self._patience(made["contact_id"], patience))

    async def _ivr_chat(self, name: str, traffic: QueueTraffic) -> None:
        assert self.ivr_chats is not None
        contact_id = await self.ivr_chats.arrive(name, name not in ENGLISH)
        if contact_id is not None:
            self.created += 1
            patience = self.rng.expovariate(1.0 / traffic.patience_s)
            self._spawn(self._patience(contact_id, patience))

    def _chat_queue(self, queue_id: str) -> bool:
        record = self.engine.router.queues.get(queue_id)
        return record is not None and record.spec.channel is Channel.CHAT

    def _branch_queue(self, queue_id: str) -> bool:
        record = self.engine.router.queues.get(queue_id)
        return record is not None and record.spec.channel is Channel.BRANCH

    async def _ticket(self, queue_id: str, name: str) -> dict[str, Any] | None:
        if self.branch is None:
            return None
        try:
            ticket = await self.branch.issue(
                queue_id, name=name, attributes={SYNTHETIC[0]: SYNTHETIC[1]}
            )
            return ticket.to_json()
        except KefuError as exc:
            log.debug("demo ticket refused: %s", exc)
            return None

    async def _patience(self, contact_id: str, patience_s: float) -> None:
        await asyncio.sleep(patience_s)
        # Refused (and ignored) when the contact was answered in the meantime.
        await self._try(c.AbandonContact(contact_id))

    # -- agents ------------------------------------------------------------------------
    async def _handle(self, agent_id: str, contact_id: str, offer_id: str) -> None:
        await asyncio.sleep(self.rng.uniform(1.0, 4.0))
        if self.taken(agent_id):
            return
        accepted = await self._try(c.AcceptOffer(contact_id, offer_id, agent_id))
        if accepted is not None:
            await self._finish(agent_id, contact_id)

    def _handle_time(self, contact_id: str) -> float:
        """A random handle time (s) of the contact's queue, at most six times its mean."""
        traffic = self.traffic.get(self._queue_of.get(contact_id, ""), None)
        mean = traffic.handle_s if traffic else 60.0
        return min(self.rng.expovariate(1.0 / mean), 6 * mean)

    async def _call_next(self, agent_id: str, after_s: float) -> None:
        """A simulated clerk serves the ticket for ``after_s`` seconds, then calls the next."""
        await asyncio.sleep(after_s)
        if self.branch is None or self.taken(agent_id):
            return
        try:
            await self.branch.call_next(agent_id)
        except KefuError as exc:
            log.debug("demo call next refused: %s", exc)

    async def _finish(self, agent_id: str, contact_id: str) -> None:
        handle = self._handle_time(contact_id)
        if self.rng.random() < self.break_chance:
            # Asked while busy: the break is pending until the agent's last contact ends.
            self._spawn(self._take_break(agent_id, handle))
        if self.rng.random() < 0.15:
            await asyncio.sleep(handle / 2)
            await self._try(c.HoldContact(contact_id))
            await asyncio.sleep(self.rng.uniform(5.0, 15.0))
            await self._try(c.ResumeContact(contact_id))
            await asyncio.sleep(handle / 2)
        else:
            await asyncio.sleep(handle)
        await self._try(c.CompleteContact(contact_id, self.rng.choice(["resolved", "follow_up"])))

    async def _take_break(self, agent_id: str, delay_s: float) -> None:
        if self.taken(agent_id):
            return
        await asyncio.sleep(delay_s * self.rng.random())
        if self.taken(agent_id):
            return
        await self._try(c.SetAgentState(agent_id, "not_ready", BREAK_REASON))
        await asyncio.sleep(delay_s + self.rng.uniform(30.0, 90.0))
        if not self.taken(agent_id):
            await self._try(c.SetAgentState(agent_id, "ready"))
