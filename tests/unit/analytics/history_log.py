"""A tiny writer of hand-made event logs for the historical report tests."""

from __future__ import annotations

from kefu.domain import events as ev
from kefu.domain.model import AgentSpec, Channel, QueueSpec

T0 = 1767571200.0  # 2026-01-05 00:00 UTC, a Monday


class Log:
    """Appends events in order; instants are given relative to :data:`T0` (seconds)."""

    def __init__(self) -> None:
        self.events: list[ev.Event] = []
        self._offers = 0

    def queue(self, t: float, queue_id: str, site: str = "s1", **kw: object) -> None:
        spec = QueueSpec(queue_id, site_id=site, **kw)  # type: ignore[arg-type]
        self.events.append(ev.QueueDefined(T0 + t, spec))

    def agent(self, t: float, agent_id: str, site: str = "s1") -> None:
        self.events.append(ev.AgentDefined(T0 + t, AgentSpec(agent_id, site_id=site)))

    def state(self, t: float, agent_id: str, presence: str) -> None:
        self.events.append(ev.AgentStateChanged(T0 + t, agent_id, presence, None))

    def queued(
        self,
        t: float,
        contact_id: str,
        queue_id: str,
        *,
        predicted: float | None = None,
        channel: str = Channel.VOICE.value,
        tier: int = 0,
        customer: str | None = None,
        attributes: dict[str, str] | None = None,
    ) -> None:
        """``tier`` is the router's rank; ``attributes`` may hold the customer's tier."""
        self.events.append(
            ev.ContactQueued(
                T0 + t,
                contact_id,
                queue_id,
                channel,
                tier,
                0,
                customer,
                attributes or {},
                predicted,
                1,
            )
        )

    def answer(self, t_offer: float, t: float, contact_id: str, agent_id: str) -> None:
        """Ring ``agent_id`` from ``t_offer``, accepted at ``t``."""
        self._offers += 1
        offer = f"o{self._offers}"
        self.events.append(
            ev.OfferCreated(T0 + t_offer, offer, contact_id, agent_id, T0 + 1e6, False)
        )
        self.events.append(ev.OfferAccepted(T0 + t, offer, contact_id, agent_id))

    def hold(self, t0: float, t1: float, contact_id: str, agent_id: str) -> None:
        self.events.append(ev.ContactHeld(T0 + t0, contact_id, agent_id))
        self.events.append(ev.ContactResumed(T0 + t1, contact_id, agent_id))

    def complete(
        self, t: float, t_wrapped: float, contact_id: str, agent_id: str, disp: str | None = None
    ) -> None:
        self.events.append(ev.ContactCompleted(T0 + t, contact_id, agent_id, disp, t_wrapped - t))
        self.events.append(ev.WrapupEnded(T0 + t_wrapped, contact_id, agent_id))

    def abandon(self, t: float, contact_id: str, queue_id: str, waited: float) -> None:
        self.events.append(ev.ContactAbandoned(T0 + t, contact_id, queue_id, waited))

    def transfer(self, t: float, contact_id: str, agent_id: str, to_queue: str | None) -> None:
        self.events.append(ev.ContactTransferred(T0 + t, contact_id, agent_id, to_queue, None, ""))

    def sorted(self) -> list[ev.Event]:
        return sorted(self.events, key=lambda e: e.at)
