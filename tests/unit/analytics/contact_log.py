"""Hand-written routing logs for the FCR and contact-map tests."""

from __future__ import annotations

from kefu.domain import events as ev

DAY = 86_400.0


class LogWriter:
    """Appends the events the router would emit for simple contact stories."""

    def __init__(self) -> None:
        self.events: list[ev.Event] = []
        self._offers = 0

    def queued(
        self,
        contact_id: str,
        at: float,
        queue: str,
        *,
        channel: str = "voice",
        customer: str | None = None,
        topic: str | None = None,
        case: str | None = None,
    ) -> None:
        attrs = {k: v for k, v in (("topic", topic), ("case_id", case)) if v is not None}
        self.events.append(
            ev.ContactQueued(at, contact_id, queue, channel, 0, 0, customer, attrs, None, 1)
        )

    def accepted(self, contact_id: str, at: float, agent: str) -> None:
        self._offers += 1
        offer = f"o{self._offers}"
        self.events.append(ev.OfferCreated(at, offer, contact_id, agent, at + 20, False))
        self.events.append(ev.OfferAccepted(at, offer, contact_id, agent))

    def transferred(
        self, contact_id: str, at: float, agent: str, *, queue: str | None = None,
        to_agent: str | None = None,
    ) -> None:  # fmt: skip
        self.events.append(ev.ContactTransferred(at, contact_id, agent, queue, to_agent, ""))

    def completed(self, contact_id: str, at: float, agent: str, disposition: str = "done") -> None:
        self.events.append(ev.ContactCompleted(at, contact_id, agent, disposition, 0.0))
        self.events.append(ev.WrapupEnded(at, contact_id, agent))

    def abandoned(self, contact_id: str, at: float, queue: str) -> None:
        self.events.append(ev.ContactAbandoned(at, contact_id, queue, 30.0))

    def handled(
        self,
        contact_id: str,
        at: float,
        queue: str,
        agent: str,
        *,
        channel: str = "voice",
        customer: str | None = None,
        topic: str | None = None,
        case: str | None = None,
        length_s: float = 300.0,
    ) -> None:
        """Queued, answered 10 s later and completed ``length_s`` after arriving."""
        self.queued(
            contact_id, at, queue, channel=channel, customer=customer, topic=topic, case=case
        )
        self.accepted(contact_id, at + 10, agent)
        self.completed(contact_id, at + length_s, agent)

    def sorted(self) -> list[ev.Event]:
        return sorted(self.events, key=lambda e: e.at)
