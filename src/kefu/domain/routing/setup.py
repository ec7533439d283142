"""The router's set-up commands: defining queues and agents, agents' presence and where
they answer calls.

:class:`RouterSetup` is a base of :class:`~kefu.domain.routing.router.Router`; its commands
validate, advance the clock, log an event and dispatch whatever the change makes possible.
"""

from __future__ import annotations

from kefu.domain import events as ev
from kefu.domain.errors import InvalidState, UnknownQueue, ValidationError
from kefu.domain.model import AgentPresence, AgentSpec, QueueSpec
from kefu.domain.routing.consulting import Consulting

__all__ = ["ENDPOINTS", "RouterSetup"]

READY = AgentPresence.READY
ENDPOINTS = ("sip", "browser")
"""Where an agent answers calls: its registered SIP phone, or the desktop's softphone."""


class RouterSetup(Consulting):
    """Queue and agent definitions and presence changes (a base of the router)."""

    def define_queue(self, spec: QueueSpec, now: float) -> None:
        """Add a queue, or redefine one that has no waiting contacts."""
        self._clock(now)
        old = self.queues.get(spec.queue_id)
        if old is not None and any(b.waiting for b in old.buckets):
            raise InvalidState(
                f"queue {spec.queue_id} has waiting contacts and cannot be redefined",
                queue_id=spec.queue_id,
            )
        for step in spec.overflow:
            # A queue of another routing domain is that domain's router's to check.
            if step.queue_id is not None and step.domain is None:
                if step.queue_id not in self.queues and step.queue_id != spec.queue_id:
                    raise UnknownQueue(
                        f"overflow of {spec.queue_id} names unknown queue {step.queue_id}",
                        queue_id=step.queue_id,
                    )
                if step.after_s <= 0:
                    raise ValidationError("an overflow step to another queue needs after_s > 0")
                target = self.queues.get(step.queue_id)
                if target is not None and target.spec.channel is not spec.channel:
                    # A contact keeps its channel: agents' capacity is counted per channel.
                    raise ValidationError(
                        f"overflow of {spec.queue_id} ({spec.channel.value}) names queue "
                        f"{step.queue_id} of another channel ({target.spec.channel.value})",
                        queue_id=step.queue_id,
                    )
        self._emit(ev.QueueDefined(self.time, spec))

    def define_agent(self, spec: AgentSpec, now: float) -> None:
        """Add an agent (offline), or change an agent's skills and capacity."""
        self._clock(now)
        self._emit(ev.AgentDefined(self.time, spec))
        self._dispatch_agent(self.agents[spec.agent_id])

    def set_presence(
        self, agent_id: str, presence: AgentPresence | str, now: float, reason: str | None = None
    ) -> None:
        """Ready, not ready (with a reason code) or offline.

        Asking for not-ready or offline while holding contacts sets a *pending* presence:
        no new contacts are offered, and it takes effect when the last contact ends.
        """
        agent = self._agent(agent_id)
        try:
            target = AgentPresence(presence)
        except ValueError as exc:
            known = ", ".join(p.value for p in AgentPresence)
            raise ValidationError(f"unknown presence {presence!r} (known: {known})") from exc
        self._clock(now)
        if agent.held and (
            target is AgentPresence.OFFLINE or (target is not READY and agent.presence is READY)
        ):
            self._emit(ev.AgentStatePending(self.time, agent_id, target.value, reason))
            return
        self._emit(ev.AgentStateChanged(self.time, agent_id, target.value, reason))
        if target is READY:
            self._dispatch_agent(agent)

    def choose_endpoint(self, agent_id: str, endpoint: str, now: float) -> bool:
        """The agent answers its next calls at *endpoint* (:data:`ENDPOINTS`); logged only
        when it changes. Returns whether it changed."""
        agent = self._agent(agent_id)
        if endpoint not in ENDPOINTS:
            raise ValidationError(
                f"unknown endpoint {endpoint!r} (known: sip, browser)",
                text_key="error.bad_endpoint",
            )
        if agent.endpoint == endpoint:
            return False
        self._clock(now)
        self._emit(ev.SoftphoneEndpointChosen(self.time, agent_id, endpoint))
        return True
