"""Per-contact records of a simulation, rebuilt from the event log (for small scenarios)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from kefu.domain import events as ev

__all__ = ["ContactTrace", "Tracer"]


@dataclass(frozen=True, slots=True)
class ContactTrace:
    """One contact's first queue visit: when it arrived (s), the wait the router predicted
    then (s, None when nobody was staffed), how it ended (``answered``, ``abandoned``,
    ``balked`` or ``waiting``), its wait until then (s; None while waiting), whether it
    became a callback and the talk time (s, answer to completion, without wrap-up) of its
    first conversation."""

    contact_id: str
    queue_id: str
    arrived_s: float
    predicted_wait_s: float | None
    outcome: str = "waiting"
    wait_s: float | None = None
    callback: bool = False
    talk_s: float | None = None


class Tracer:
    """Collects :class:`ContactTrace` records from events given in log order."""

    def __init__(self) -> None:
        self._records: dict[str, ContactTrace] = {}

    def consume(self, events: Iterable[ev.Event]) -> None:
        records = self._records
        for e in events:
            if isinstance(e, ev.ContactQueued):
                if e.contact_id not in records:
                    records[e.contact_id] = ContactTrace(
                        e.contact_id, e.queue_id, e.at, e.estimated_wait_s
                    )
            elif isinstance(e, ev.CallbackRequested):
                record = records.get(e.contact_id)
                if record is not None and record.outcome == "waiting":
                    records[e.contact_id] = replace(record, callback=True)
            elif isinstance(e, ev.OfferAccepted):
                self._finish(e.contact_id, e.at, "answered")
            elif isinstance(e, ev.ContactAbandoned):
                self._finish(e.contact_id, e.at, "abandoned")
            elif isinstance(e, ev.ContactCompleted | ev.ContactTransferred):
                record = records.get(e.contact_id)
                if record is not None and record.talk_s is None and record.wait_s is not None:
                    answered = record.arrived_s + record.wait_s
                    records[e.contact_id] = replace(record, talk_s=e.at - answered)

    def _finish(self, contact_id: str, at: float, outcome: str) -> None:
        record = self._records.get(contact_id)
        if record is None or record.outcome != "waiting":
            return
        wait = at - record.arrived_s
        if outcome == "abandoned" and wait <= 0.0:
            outcome = "balked"
        self._records[contact_id] = replace(record, outcome=outcome, wait_s=wait)

    def result(self) -> tuple[ContactTrace, ...]:
        """Every contact in arrival order (first queue visit)."""
        return tuple(self._records.values())
