"""A shadow of the router, rebuilt event by event from its log, that checks every decision.

The stateful test (``test_router_stateful.py``) feeds each new event of the router's log to
:class:`Shadow`, which keeps its own view of queues, agents and waiting contacts and asserts,
at the instant of the event, the routing rules of ``kefu.domain.routing.router``: offers only
to ready agents with room who meet the contact's requirement at its current overflow step,
strict contact order, timers firing on time. :meth:`Shadow.check_router` then compares the
shadow with the router's own records. The tests at the end pin the shadow's rules on small
hand-made cases, so a wrong shadow cannot silently pass a wrong router.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kefu.domain import events as ev
from kefu.domain.model import AgentSpec, Channel, ContactSpec, OverflowStep, QueueSpec
from kefu.domain.routing import Router

__all__ = ["MAgent", "MContact", "Shadow"]

TERMINAL = ("completed", "abandoned")
HELD = ("offered", "active", "wrapup")


@dataclass
class MContact:
    """The shadow's view of a contact; ``personal`` names the agent a transfer targeted."""

    contact_id: str
    queue_id: str
    channel: Channel
    tier: int
    priority: int
    deadline: float
    arrival: int
    entered_at: float
    state: str = "queued"
    step: int = 0
    agent_id: str | None = None
    personal: str | None = None
    declined: set[str] = field(default_factory=set)
    callback: bool = False
    on_hold: bool = False
    offer_id: str | None = None
    offers: int = 0
    expires_at: float | None = None
    wrap_due: float | None = None

    def key(self) -> tuple[int, int, float, int]:
        """Contact order: value tier, priority (larger first), SL deadline, arrival."""
        return (-self.tier, -self.priority, self.deadline, self.arrival)


@dataclass
class MAgent:
    spec: AgentSpec
    presence: str = "offline"
    pending: str | None = None
    held: dict[str, Channel] = field(default_factory=dict)

    def load(self, channel: Channel) -> int:
        return sum(1 for c in self.held.values() if c is channel)

    def has_room(self, channel: Channel) -> bool:
        """Capacity alone: an exclusive (voice) contact blocks everything else."""
        if any(c in self.spec.exclusive for c in self.held.values()):
            return False
        cap = self.spec.capacity.get(channel, 0)
        if channel in self.spec.exclusive:
            return cap > 0 and not self.held
        return self.load(channel) < cap

    def free_for(self, channel: Channel) -> bool:
        return self.presence == "ready" and self.pending is None and self.has_room(channel)

    def slots(self, channel: Channel) -> int:
        cap = self.spec.capacity.get(channel, 0)
        return min(cap, 1) if channel in self.spec.exclusive else cap


def meets(skills: Mapping[str, int], requirement: Mapping[str, int]) -> bool:
    return all(skills.get(name, 0) >= level for name, level in requirement.items())


class Shadow:
    """Replays the router's events into its own state, asserting the rules at each one."""

    def __init__(self, offer_timeout_s: float) -> None:
        self.offer_timeout_s = offer_timeout_s
        self.queues: dict[str, QueueSpec] = {}
        self.agents: dict[str, MAgent] = {}
        self.contacts: dict[str, MContact] = {}
        self.manual_offers: set[str] = set()
        self.offer_ids: list[str] = []
        self.arrivals = 0
        self.time = float("-inf")
        self.withdrawn: str | None = None

    # -- rules -------------------------------------------------------------------------
    def requirement(self, contact: MContact) -> Mapping[str, int]:
        """Skills required at the contact's current overflow step of its current queue."""
        spec = self.queues[contact.queue_id]
        required: Mapping[str, int] = spec.skills
        for step in spec.overflow[: contact.step]:
            if step.skills is not None:
                required = step.skills
        return required

    def eligible(self, agent: MAgent, contact: MContact) -> bool:
        """Whether the router may offer ``contact`` to ``agent`` right now."""
        if agent.spec.agent_id in contact.declined or not agent.free_for(contact.channel):
            return False
        if contact.personal is not None:
            return contact.personal == agent.spec.agent_id
        return meets(agent.spec.skills, self.requirement(contact))

    def waiting(self) -> list[MContact]:
        return [c for c in self.contacts.values() if c.state == "queued"]

    def overflow_due(self, contact: MContact) -> float | None:
        if contact.personal is not None or contact.state not in ("queued", "offered"):
            return None
        steps = self.queues[contact.queue_id].overflow
        if contact.step < len(steps):
            return contact.entered_at + steps[contact.step].after_s
        return None

    def dues(self) -> list[float]:
        """Instants of every timer the router must still honour."""
        out: list[float] = []
        for c in self.contacts.values():
            if c.state == "offered" and c.expires_at is not None:
                out.append(c.expires_at)
            if c.state == "wrapup" and c.wrap_due is not None:
                out.append(c.wrap_due)
            due = self.overflow_due(c)
            if due is not None:
                out.append(due)
        return out

    def staffed(self, queue_id: str) -> int:
        """Ready slots of agents eligible for the queue's own requirement (step 0)."""
        spec = self.queues[queue_id]
        return sum(
            a.slots(spec.channel)
            for a in self.agents.values()
            if a.presence == "ready"
            and a.spec.capacity.get(spec.channel, 0) > 0
            and meets(a.spec.skills, spec.skills)
        )

    def ahead_of(self, queue_id: str, tier: int, priority: int) -> int:
        return sum(
            1
            for c in self.waiting()
            if c.queue_id == queue_id
            and c.personal is None
            and (c.tier, c.priority) >= (tier, priority)
        )

    # -- events ------------------------------------------------------------------------
    def apply(self, e: ev.Event) -> None:
        assert e.at >= self.time, f"log goes back in time: {e}"
        self.time = e.at
        if self.withdrawn is not None:
            assert isinstance(e, ev.ContactAbandoned) and e.contact_id == self.withdrawn, e
        handler = getattr(self, "_on_" + type(e).__name__)
        handler(e)

    def _on_QueueDefined(self, e: ev.QueueDefined) -> None:
        self.queues[e.spec.queue_id] = e.spec

    def _on_AgentDefined(self, e: ev.AgentDefined) -> None:
        known = self.agents.get(e.spec.agent_id)
        if known is None:
            self.agents[e.spec.agent_id] = MAgent(e.spec)
        else:
            known.spec = e.spec

    def _on_AgentStateChanged(self, e: ev.AgentStateChanged) -> None:
        agent = self.agents[e.agent_id]
        assert not (e.presence == "offline" and agent.held), f"{e.agent_id} offline while holding"
        agent.presence, agent.pending = e.presence, None

    def _on_AgentStatePending(self, e: ev.AgentStatePending) -> None:
        agent = self.agents[e.agent_id]
        assert agent.held, f"pending presence for {e.agent_id}, who holds nothing"
        agent.pending = e.presence

    def _on_ContactQueued(self, e: ev.ContactQueued) -> None:
        assert e.contact_id not in self.contacts, f"{e.contact_id} queued twice"
        spec = self.queues[e.queue_id]
        assert e.channel == spec.channel.value
        ahead = self.ahead_of(e.queue_id, e.value_tier, e.priority)
        assert e.position == ahead + 1, f"position {e.position}, expected {ahead + 1}"
        self.arrivals += 1
        self.contacts[e.contact_id] = MContact(
            e.contact_id,
            e.queue_id,
            spec.channel,
            e.value_tier,
            e.priority,
            e.at + spec.sl_threshold_s,
            self.arrivals,
            e.at,
        )

    def _on_ContactOverflowed(self, e: ev.ContactOverflowed) -> None:
        c = self.contacts[e.contact_id]
        due = self.overflow_due(c)
        assert due is not None and e.at == due, f"overflow of {c.contact_id} at {e.at}, due {due}"
        assert e.step == c.step + 1
        step = self.queues[c.queue_id].overflow[c.step]
        expected = step.queue_id if step.queue_id is not None else c.queue_id
        assert e.queue_id == expected, f"overflow to {e.queue_id}, expected {expected}"
        if e.queue_id != c.queue_id:
            c.queue_id, c.step, c.entered_at = e.queue_id, 0, e.at
        else:
            c.step = e.step

    def _on_OfferCreated(self, e: ev.OfferCreated) -> None:
        c = self.contacts[e.contact_id]
        agent = self.agents[e.agent_id]
        assert c.state == "queued", f"offer of {c.contact_id} while {c.state}"
        assert e.offer_id == f"{c.contact_id}/{c.offers + 1}"
        assert e.expires_at == e.at + self.offer_timeout_s
        assert e.callback == c.callback
        assert agent.has_room(c.channel), f"{e.agent_id} has no room for {c.channel}: {e}"
        if e.offer_id not in self.manual_offers:
            assert agent.presence == "ready" and agent.pending is None, (
                f"offer to {e.agent_id} who is {agent.presence} (pending {agent.pending})"
            )
            assert self.eligible(agent, c), (
                f"{e.agent_id} {dict(agent.spec.skills)} is not eligible for {c.contact_id} "
                f"(queue {c.queue_id} step {c.step} needs {dict(self.requirement(c))}, "
                f"personal {c.personal}, declined {sorted(c.declined)})"
            )
            better = [
                w.contact_id
                for w in self.waiting()
                if w is not c and w.key() < c.key() and self.eligible(agent, w)
            ]
            assert not better, f"{e.agent_id} offered {c.contact_id} while {better} waited ahead"
        c.state, c.agent_id, c.offer_id = "offered", e.agent_id, e.offer_id
        c.offers += 1
        c.expires_at = e.expires_at
        agent.held[c.contact_id] = c.channel
        self.offer_ids.append(e.offer_id)

    def _offer_ended(self, e: ev.OfferAccepted | ev.OfferRejected | ev.OfferTimedOut) -> MContact:
        c = self.contacts[e.contact_id]
        assert c.state == "offered" and c.offer_id == e.offer_id and c.agent_id == e.agent_id, e
        c.offer_id = None
        return c

    def _on_OfferAccepted(self, e: ev.OfferAccepted) -> None:
        self._offer_ended(e).state = "active"

    def _returned(self, c: MContact) -> None:
        assert c.agent_id is not None
        del self.agents[c.agent_id].held[c.contact_id]
        c.declined.add(c.agent_id)
        c.state, c.agent_id = "queued", None

    def _on_OfferRejected(self, e: ev.OfferRejected) -> None:
        self._returned(self._offer_ended(e))

    def _on_OfferTimedOut(self, e: ev.OfferTimedOut) -> None:
        c = self._offer_ended(e)
        assert e.at == c.expires_at, f"offer {e.offer_id} timed out at {e.at}, due {c.expires_at}"
        self._returned(c)

    def _on_OfferWithdrawn(self, e: ev.OfferWithdrawn) -> None:
        c = self.contacts[e.contact_id]
        assert c.state == "offered" and c.offer_id == e.offer_id and c.agent_id == e.agent_id, e
        del self.agents[e.agent_id].held[c.contact_id]
        c.agent_id = c.offer_id = None
        self.withdrawn = c.contact_id

    def _on_ContactAbandoned(self, e: ev.ContactAbandoned) -> None:
        c = self.contacts[e.contact_id]
        assert c.state == "queued" or self.withdrawn == c.contact_id, f"abandon while {c.state}"
        assert e.queue_id == c.queue_id
        self.withdrawn = None
        c.state = "abandoned"

    def _on_CallbackRequested(self, e: ev.CallbackRequested) -> None:
        c = self.contacts[e.contact_id]
        assert c.state == "queued" and not c.callback
        c.callback = True

    def _on_ContactHeld(self, e: ev.ContactHeld) -> None:
        c = self.contacts[e.contact_id]
        assert c.state == "active" and not c.on_hold and c.agent_id == e.agent_id
        c.on_hold = True

    def _on_ContactResumed(self, e: ev.ContactResumed) -> None:
        c = self.contacts[e.contact_id]
        assert c.state == "active" and c.on_hold and c.agent_id == e.agent_id
        c.on_hold = False

    def _on_ContactTransferred(self, e: ev.ContactTransferred) -> None:
        c = self.contacts[e.contact_id]
        assert c.state == "active" and c.agent_id == e.from_agent_id, e
        del self.agents[e.from_agent_id].held[c.contact_id]
        c.state, c.agent_id, c.on_hold, c.declined = "queued", None, False, set()
        if e.to_agent_id is not None:
            c.personal = e.to_agent_id
            return
        assert e.to_queue_id is not None
        self.arrivals += 1
        c.personal, c.queue_id, c.step, c.entered_at = None, e.to_queue_id, 0, e.at
        c.deadline = e.at + self.queues[e.to_queue_id].sl_threshold_s
        c.arrival = self.arrivals

    def _on_ContactCompleted(self, e: ev.ContactCompleted) -> None:
        c = self.contacts[e.contact_id]
        assert c.state == "active" and c.agent_id == e.agent_id, e
        assert e.wrapup_s == self.queues[c.queue_id].wrapup_s
        c.state, c.on_hold = "wrapup", False
        c.wrap_due = e.at + e.wrapup_s

    def _on_WrapupEnded(self, e: ev.WrapupEnded) -> None:
        c = self.contacts[e.contact_id]
        assert c.state == "wrapup" and c.agent_id == e.agent_id, e
        assert c.wrap_due is not None and e.at <= c.wrap_due, f"wrap-up of {c.contact_id} late"
        del self.agents[e.agent_id].held[c.contact_id]
        c.state = "completed"

    # -- quiescence --------------------------------------------------------------------
    def check_quiescent(self, now: float) -> None:
        """After a command: no ready agent idles beside work it may take, no timer is late,
        and no pending presence outlives the agent's last contact."""
        assert self.withdrawn is None
        for agent in self.agents.values():
            assert not (agent.pending is not None and not agent.held), agent
            assert not (agent.presence == "offline" and agent.held), agent
            idle_beside = [c.contact_id for c in self.waiting() if self.eligible(agent, c)]
            assert not idle_beside, f"{agent.spec.agent_id} idles while {idle_beside} wait"
        late = [d for d in self.dues() if d <= now]
        assert not late, f"timers due at {late} not processed by {now}"


# -- tests of the shadow itself ----------------------------------------------------------
def _shadow_of(router: Router) -> Shadow:
    shadow = Shadow(router.config.offer_timeout_s)
    for e in router.log:
        shadow.apply(e)
    return shadow


def test_given_relaxing_step_when_reached_then_shadow_requirement_follows_it() -> None:
    r = Router()
    relax = OverflowStep(10.0, skills={"x": 1})
    r.define_queue(QueueSpec("q", skills={"x": 5}, overflow=(relax,)), 0.0)
    r.enqueue(ContactSpec("c", "q"), 0.0)
    shadow = _shadow_of(r)
    assert dict(shadow.requirement(shadow.contacts["c"])) == {"x": 5}
    r.advance(10.0)
    shadow = _shadow_of(r)
    assert dict(shadow.requirement(shadow.contacts["c"])) == {"x": 1}
    assert shadow.dues() == []


def test_given_voice_held_when_checking_room_then_nothing_else_fits() -> None:
    agent = MAgent(AgentSpec("a", capacity={Channel.VOICE: 1, Channel.CHAT: 3}), "ready")
    assert agent.free_for(Channel.CHAT) and agent.free_for(Channel.VOICE)
    agent.held["v"] = Channel.VOICE
    assert not agent.has_room(Channel.CHAT) and not agent.has_room(Channel.VOICE)
    agent.held = {"c1": Channel.CHAT}
    assert agent.has_room(Channel.CHAT) and not agent.has_room(Channel.VOICE)


def test_given_vip_waiting_when_router_offers_the_standard_contact_then_shadow_objects() -> None:
    r = Router()
    r.define_queue(QueueSpec("q", skills={"x": 1}), 0.0)
    r.enqueue(ContactSpec("std", "q"), 0.0)
    r.enqueue(ContactSpec("vip", "q", value_tier=2), 1.0)
    shadow = _shadow_of(r)
    shadow.apply(ev.AgentDefined(2.0, AgentSpec("a", {"x": 1})))
    shadow.apply(ev.AgentStateChanged(2.0, "a", "ready", None))
    wrong = ev.OfferCreated(2.0, "std/1", "std", "a", 22.0, False)
    try:
        shadow.apply(wrong)
    except AssertionError as exc:
        assert "vip" in str(exc)
    else:
        raise AssertionError("the shadow accepted an offer that skips a better contact")


def test_given_blended_queues_when_ordering_then_earlier_sl_deadline_wins_in_shadow() -> None:
    r = Router()
    r.define_queue(QueueSpec("fast", skills={"x": 1}, sl_threshold_s=20.0), 0.0)
    r.define_queue(QueueSpec("slow", skills={"x": 1}, sl_threshold_s=60.0), 0.0)
    r.enqueue(ContactSpec("slow-0", "slow"), 0.0)
    r.enqueue(ContactSpec("fast-35", "fast"), 35.0)
    shadow = _shadow_of(r)
    assert shadow.contacts["fast-35"].key() < shadow.contacts["slow-0"].key()
    assert shadow.ahead_of("slow", 0, 0) == 1 and shadow.ahead_of("fast", 1, 0) == 0
