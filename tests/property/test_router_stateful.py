"""Stateful property tests of the ACD router: random command sequences over a small center.

Every command first moves time forward (so offers time out, overflow steps fire and wrap-ups
end on their own), then acts. Each new event is checked by the shadow
(``test_router_shadow.py``) at the instant it happens; after every step the router's records
are compared with the shadow, and a twin router fed the same commands must log the same
bytes. Commands the router must refuse are part of the sequence: they have to raise the
specific ``KefuError`` and change nothing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from test_router_center import SKILLS, Center, centers, check_records, define, state_of
from test_router_shadow import TERMINAL, MContact, Shadow

from kefu.domain import events as ev
from kefu.domain.errors import (
    AgentAtCapacity,
    AlreadyExists,
    InvalidState,
    KefuError,
    OfferNotPending,
    UnknownAgent,
    UnknownContact,
    UnknownOffer,
    UnknownQueue,
    ValidationError,
)
from kefu.domain.model import AgentSpec, ContactSpec
from kefu.domain.routing import Router

DT = st.sampled_from([0.0, 0.0, 0.5, 1.0, 1.0, 2.5, 4.0, 9.0, 30.0])
PICK = st.integers(0, 10_000)
Expected = type[KefuError] | None


class RouterMachine(RuleBasedStateMachine):
    """Drives a router, a twin fed the same commands, and (after a replay) the replayed one."""

    @initialize(center=centers())
    def setup(self, center: Center) -> None:
        self.config = center.config
        self.router = Router(center.config)
        self.twin = Router(center.config)
        self.replayed: Router | None = None
        self.shadow = Shadow(center.config.offer_timeout_s)
        self.seen = 0
        self.now = 0.0
        self.serial = 0
        self.attributes: dict[str, dict[str, str]] = {}
        self.notes: dict[str, list[str]] = defaultdict(list)
        for router in self._routers():
            define(router, center)
        self._absorb()

    # -- plumbing ----------------------------------------------------------------------
    def _routers(self) -> list[Router]:
        return [r for r in (self.router, self.twin, self.replayed) if r is not None]

    def _absorb(self) -> None:
        new = self.router.log[self.seen :]
        for event in new:
            self.shadow.apply(event)
        text = ev.events_to_jsonl(new)
        for other in self._routers()[1:]:
            assert ev.events_to_jsonl(other.log[self.seen :]) == text, "logs diverged"
        self.seen = len(self.router.log)

    def _run(self, expected: Expected, method: str, *args: Any, **kwargs: Any) -> Any:
        """Run a command on every router; a refused one must raise ``expected`` exactly
        and leave the log and every observable state unchanged."""
        if expected is None:
            results = [getattr(r, method)(*args, **kwargs) for r in self._routers()]
            self._absorb()
            return results[0]
        for router in self._routers():
            before, size = state_of(router), len(router.log)
            with pytest.raises(KefuError) as info:
                getattr(router, method)(*args, **kwargs)
            error = info.value
            assert type(error) is expected, f"{method}{args}: {error!r}, not {expected.__name__}"
            assert error.message and error.error_id == expected.error_id
            assert len(router.log) == size and state_of(router) == before, f"{method} changed"
        return None

    def _command(self, first: type[ev.Event], method: str, *args: Any, **kw: Any) -> ev.Event:
        size = len(self.router.log)
        self._run(None, method, *args, **kw)
        assert len(self.router.log) > size, f"{method} logged nothing"
        event = self.router.log[size]
        assert isinstance(event, first), f"{method} logged {event}, expected {first.__name__}"
        return event

    def _tick(self, dt: float) -> None:
        self.now += dt
        self._run(None, "advance", self.now)

    def _in(self, *states: str) -> list[MContact]:
        return [c for c in self.shadow.contacts.values() if c.state in states]

    def _choose(self, i: int, *states: str) -> MContact | None:
        found = sorted(self._in(*states), key=lambda c: c.arrival)
        return found[i % len(found)] if found else None

    def _agent_id(self, i: int) -> str:
        ids = sorted(self.shadow.agents)
        return ids[i % len(ids)]

    # -- commands ----------------------------------------------------------------------
    @rule(dt=DT)
    def advance(self, dt: float) -> None:
        self._tick(dt)

    @rule(offset=st.sampled_from([0.0, 0.0, 0.25]))
    def advance_to_next_due(self, offset: float) -> None:
        """Jump exactly onto (or just past) the next timer: offer timeout, overflow, wrap-up."""
        due = self.router.next_due()
        if due is not None:
            self.now = max(self.now, due + offset)
            self._tick(0.0)

    @rule(
        dt=DT,
        arrivals=st.lists(
            st.tuples(PICK, st.integers(0, 2), st.integers(0, 3), st.booleans()),
            min_size=1,
            max_size=3,
        ),
        topic=st.sampled_from(["账单", "退款 refund", "tech", ""]),
        answer=st.booleans(),
    )
    def enqueue(
        self, dt: float, arrivals: list[tuple[int, int, int, bool]], topic: str, answer: bool
    ) -> None:
        """A burst of arrivals at one instant (so contacts wait and compete); with
        ``answer`` every ringing offer is then accepted (so agents get busy)."""
        self._tick(dt)
        for q, tier, priority, zh in arrivals:
            queue_id = sorted(self.shadow.queues)[q % len(self.shadow.queues)]
            self.serial += 1
            contact_id = f"客户{self.serial}" if zh else f"c{self.serial}"
            self._enqueue(ContactSpec(contact_id, queue_id, tier, priority, "客户甲"), topic)
        if answer:
            self._accept_all(named=False)

    def _enqueue(self, spec: ContactSpec, topic: str) -> None:
        attributes = {"topic": topic, "已验证 verified": "是"}
        self.attributes[spec.contact_id] = attributes
        queue_id, tier, priority = spec.queue_id, spec.value_tier, spec.priority
        staffed = self.shadow.staffed(queue_id)
        aht = self.router.queue_status(queue_id)["aht_estimate_s"]
        ahead = self.shadow.ahead_of(queue_id, tier, priority)
        spec = ContactSpec(spec.contact_id, queue_id, tier, priority, "客户甲", attributes)
        queued = self._command(ev.ContactQueued, "enqueue", spec, self.now)
        assert isinstance(queued, ev.ContactQueued)
        if self.shadow.contacts[spec.contact_id].state != "queued":
            assert queued.estimated_wait_s == 0.0
        elif staffed == 0:
            assert queued.estimated_wait_s is None
        else:
            assert queued.estimated_wait_s == (ahead + 1) * aht / staffed

    @precondition(lambda self: self._in("offered"))
    @rule(dt=DT, named=st.booleans())
    def accept_all(self, dt: float, named: bool) -> None:
        """Every ringing offer is answered at the same instant."""
        self._tick(dt)
        self._accept_all(named)

    def _accept_all(self, named: bool) -> None:
        for c in sorted(self._in("offered"), key=lambda c: c.arrival):
            by = c.agent_id if named else None
            self._command(ev.OfferAccepted, "accept", c.offer_id, self.now, by)

    @precondition(lambda self: self._in("offered"))
    @rule(dt=DT, i=PICK, named=st.booleans())
    def accept(self, dt: float, i: int, named: bool) -> None:
        self._tick(dt)
        c = self._choose(i, "offered")
        if c is not None:
            by = c.agent_id if named else None
            self._command(ev.OfferAccepted, "accept", c.offer_id, self.now, by)

    @precondition(lambda self: self._in("offered"))
    @rule(dt=DT, i=PICK)
    def reject(self, dt: float, i: int) -> None:
        self._tick(dt)
        c = self._choose(i, "offered")
        if c is not None:
            self._command(ev.OfferRejected, "reject", c.offer_id, self.now)

    @precondition(lambda self: self._in("queued", "offered"))
    @rule(dt=DT, i=PICK)
    def abandon(self, dt: float, i: int) -> None:
        self._tick(dt)
        c = self._choose(i, "queued", "offered")
        if c is not None:
            first = ev.OfferWithdrawn if c.state == "offered" else ev.ContactAbandoned
            self._command(first, "abandon", c.contact_id, self.now)

    @precondition(lambda self: self._in("queued"))
    @rule(dt=DT, i=PICK)
    def request_callback(self, dt: float, i: int) -> None:
        self._tick(dt)
        c = self._choose(i, "queued")
        if c is not None:
            expected = InvalidState if c.callback else None
            if expected is None:
                self._command(ev.CallbackRequested, "request_callback", c.contact_id, self.now)
            else:
                self._run(expected, "request_callback", c.contact_id, self.now)

    @precondition(lambda self: self._in("active"))
    @rule(dt=DT, i=PICK)
    def hold_or_resume(self, dt: float, i: int) -> None:
        self._tick(dt)
        c = self._choose(i, "active")
        if c is not None:
            if c.on_hold:
                self._command(ev.ContactResumed, "resume", c.contact_id, self.now)
            else:
                self._command(ev.ContactHeld, "hold", c.contact_id, self.now)

    @precondition(lambda self: self._in("active"))
    @rule(
        dt=DT,
        i=PICK,
        q=PICK,
        note=st.sampled_from(["", "已核实身份 verified", "refund"]),
        same_channel=st.booleans(),
    )
    def transfer_to_queue(self, dt: float, i: int, q: int, note: str, same_channel: bool) -> None:
        self._tick(dt)
        c = self._choose(i, "active")
        if c is not None:
            queues = sorted(self.shadow.queues)
            if same_channel:
                queues = [q_id for q_id in queues if self.shadow.queues[q_id].channel is c.channel]
            queue_id = queues[q % len(queues)]
            if self.shadow.queues[queue_id].channel is c.channel:
                self._transfer(c, note, to_queue=queue_id)
            else:  # a contact keeps its channel
                self._run(ValidationError, "transfer", c.contact_id, self.now, to_queue=queue_id)

    @precondition(lambda self: self._in("active"))
    @rule(dt=DT, i=PICK, a=PICK, note=st.sampled_from(["", "VIP 客户"]))
    def transfer_to_agent(self, dt: float, i: int, a: int, note: str) -> None:
        self._tick(dt)
        c = self._choose(i, "active")
        if c is None:
            return
        target = self.shadow.agents[self._agent_id(a)]
        refused = target.spec.agent_id == c.agent_id or not target.spec.capacity.get(c.channel)
        if refused:
            self._run(
                ValidationError, "transfer", c.contact_id, self.now, to_agent=target.spec.agent_id
            )
        else:
            self._transfer(c, note, to_agent=target.spec.agent_id)

    def _transfer(self, c: MContact, note: str, **target: str) -> None:
        self._command(
            ev.ContactTransferred, "transfer", c.contact_id, self.now, note=note, **target
        )
        if note:
            self.notes[c.contact_id].append(note)

    @precondition(lambda self: self._in("active"))
    @rule(dt=DT, i=PICK, disposition=st.sampled_from([None, "resolved", "已解决"]))
    def complete(self, dt: float, i: int, disposition: str | None) -> None:
        self._tick(dt)
        c = self._choose(i, "active")
        if c is not None:
            self._command(ev.ContactCompleted, "complete", c.contact_id, self.now, disposition)

    @precondition(lambda self: self._in("wrapup"))
    @rule(dt=DT, i=PICK)
    def end_wrapup(self, dt: float, i: int) -> None:
        self._tick(dt)
        c = self._choose(i, "wrapup")
        if c is not None:
            self._command(ev.WrapupEnded, "end_wrapup", c.contact_id, self.now)

    @rule(
        dt=DT,
        a=PICK,
        presence=st.sampled_from(["ready", "ready", "ready", "not_ready", "offline"]),
        reason=st.sampled_from([None, "lunch", "培训 training"]),
        busy=st.booleans(),
    )
    def set_presence(
        self, dt: float, a: int, presence: str, reason: str | None, busy: bool
    ) -> None:
        """``busy`` picks an agent holding contacts, if any (so presences go pending)."""
        self._tick(dt)
        holding = sorted(a_id for a_id, m in self.shadow.agents.items() if m.held)
        agent_id = holding[a % len(holding)] if busy and holding else self._agent_id(a)
        agent = self.shadow.agents[agent_id]
        deferred = bool(agent.held) and (
            presence == "offline" or (presence != "ready" and agent.presence == "ready")
        )
        first = ev.AgentStatePending if deferred else ev.AgentStateChanged
        event = self._command(
            first, "set_presence", agent.spec.agent_id, presence, self.now, reason
        )
        assert isinstance(event, ev.AgentStatePending | ev.AgentStateChanged)
        assert event.presence == presence and event.reason == reason

    @precondition(lambda self: self._in("queued"))
    @rule(dt=DT, i=PICK, a=PICK)
    def assign(self, dt: float, i: int, a: int) -> None:
        self._tick(dt)
        c = self._choose(i, "queued")
        if c is None:
            return
        agent = self.shadow.agents[self._agent_id(a)]
        if agent.presence == "offline":
            self._run(InvalidState, "assign", c.contact_id, agent.spec.agent_id, self.now)
        elif not agent.has_room(c.channel):
            self._run(AgentAtCapacity, "assign", c.contact_id, agent.spec.agent_id, self.now)
        else:
            self.shadow.manual_offers.add(f"{c.contact_id}/{c.offers + 1}")
            self._command(ev.OfferCreated, "assign", c.contact_id, agent.spec.agent_id, self.now)

    # -- commands the router must refuse -------------------------------------------------
    @precondition(lambda self: self.shadow.contacts)
    @rule(
        i=PICK,
        verb=st.sampled_from(
            ["complete", "hold", "resume", "end_wrapup", "abandon", "request_callback", "assign"]
        ),
    )
    def command_in_wrong_state(self, i: int, verb: str) -> None:
        """Each verb on a contact in a state that forbids it (completing twice, ...)."""
        allowed = {
            "complete": lambda c: c.state == "active",
            "hold": lambda c: c.state == "active" and not c.on_hold,
            "resume": lambda c: c.state == "active" and c.on_hold,
            "end_wrapup": lambda c: c.state == "wrapup",
            "abandon": lambda c: c.state in ("queued", "offered"),
            "request_callback": lambda c: c.state == "queued" and not c.callback,
            "assign": lambda c: c.state == "queued",
        }[verb]
        refused = sorted(
            (c for c in self.shadow.contacts.values() if not allowed(c)), key=lambda c: c.arrival
        )
        if not refused:
            return
        c = refused[i % len(refused)]
        args: tuple[Any, ...] = (c.contact_id, self.now)
        if verb == "assign":
            args = (c.contact_id, self._agent_id(i), self.now)
        self._run(InvalidState if self._kept(c) else UnknownContact, verb, *args)

    def _kept(self, c: MContact) -> bool:
        return self.config.retain_closed or c.state not in TERMINAL

    @precondition(lambda self: self.shadow.offer_ids)
    @rule(i=PICK)
    def accept_or_reject_stale_offer(self, i: int) -> None:
        offer_id = self.shadow.offer_ids[i % len(self.shadow.offer_ids)]
        contact = self.shadow.contacts[offer_id.rpartition("/")[0]]
        if contact.offer_id == offer_id:
            other = next(a for a in sorted(self.shadow.agents) if a != contact.agent_id)
            self._run(OfferNotPending, "accept", offer_id, self.now, other)
        else:
            expected = OfferNotPending if self._kept(contact) else UnknownOffer
            self._run(expected, "accept" if i % 2 else "reject", offer_id, self.now)

    @rule(dt=DT, a=PICK, skills=st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 10)))
    def redefine_agent_skills(self, dt: float, a: int, skills: dict[str, int]) -> None:
        """New skills take effect at once, also for an agent who is ready or busy."""
        self._tick(dt)
        spec = self.shadow.agents[self._agent_id(a)].spec
        new = AgentSpec(spec.agent_id, skills, spec.capacity, spec.exclusive, spec.name)
        self._command(ev.AgentDefined, "define_agent", new, self.now)

    @rule(
        case=st.sampled_from(
            [
                "unknown_queue",
                "duplicate",
                "unknown_offer",
                "future_offer",
                "unknown_contact",
                "unknown_agent",
                "bad_presence",
                "transfer_two_targets",
                "transfer_unknown_queue",
                "transfer_unknown_agent",
                "backwards",
            ]
        )
    )
    def bad_input(self, case: str) -> None:
        now = self.now
        some = self._choose(0, "queued", "offered", "active", "wrapup")
        active = self._choose(0, "active")
        if case == "unknown_queue":
            self._run(UnknownQueue, "enqueue", ContactSpec("new", "无此队列"), now)
        elif case == "duplicate" and some is not None:
            self._run(AlreadyExists, "enqueue", ContactSpec(some.contact_id, "general"), now)
        elif case == "unknown_offer":
            self._run(UnknownOffer, "accept", "nobody/1", now)
        elif case == "future_offer" and some is not None:
            self._run(UnknownOffer, "reject", f"{some.contact_id}/{some.offers + 1}", now)
        elif case == "unknown_contact":
            self._run(UnknownContact, "complete", "幽灵", now)
        elif case == "unknown_agent":
            self._run(UnknownAgent, "set_presence", "nobody", "ready", now)
        elif case == "bad_presence":
            self._run(ValidationError, "set_presence", self._agent_id(0), "busy", now)
        elif case == "transfer_two_targets" and active is not None:
            kw = {"to_queue": "general", "to_agent": self._agent_id(0)}
            self._run(ValidationError, "transfer", active.contact_id, now, **kw)
        elif case == "transfer_unknown_queue" and active is not None:
            self._run(UnknownQueue, "transfer", active.contact_id, now, to_queue="nowhere")
        elif case == "transfer_unknown_agent" and active is not None:
            self._run(UnknownAgent, "transfer", active.contact_id, now, to_agent="nobody")
        elif case == "backwards" and now > 0:
            self._run(ValidationError, "advance", now - 0.5)

    # -- replay ------------------------------------------------------------------------
    @rule()
    def replay_from_jsonl(self) -> None:
        """A router rebuilt from the JSON-lines log is indistinguishable from the live one;
        it then receives every later command too, and must log the same bytes."""
        text = ev.events_to_jsonl(self.router.log)
        events = [ev.event_from_dict(json.loads(line)) for line in text.splitlines()]
        replayed = Router.replay(events, self.config)
        assert ev.events_to_jsonl(replayed.log) == text
        replayed.advance(self.router.time)
        assert len(replayed.log) == len(events), "the replayed router found work already done"
        assert state_of(replayed) == state_of(self.router)
        self.replayed = replayed

    # -- invariants --------------------------------------------------------------------
    @invariant()
    def router_agrees_with_shadow(self) -> None:
        self.shadow.check_quiescent(self.router.time)
        check_records(self.router, self.shadow)
        for cid in self.router.contacts:
            m, snap = self.shadow.contacts[cid], self.router.contact(cid)
            assert snap["attributes"] == self.attributes[cid], f"{cid} lost its attributes"
            assert snap["notes"] == self.notes[cid]
            assert (snap["queue_id"], snap["step"]) == (m.queue_id, m.step)
            assert (snap["callback"], snap["on_hold"]) == (m.callback, m.on_hold)

    def teardown(self) -> None:
        if hasattr(self, "router"):
            text = ev.events_to_jsonl(self.router.log)
            assert ev.events_to_jsonl(self.twin.log) == text
            if self.replayed is not None:
                assert ev.events_to_jsonl(self.replayed.log) == text


RouterMachine.TestCase.settings = settings(
    stateful_step_count=120, suppress_health_check=[HealthCheck.too_slow]
)
TestRouterStateful = RouterMachine.TestCase
