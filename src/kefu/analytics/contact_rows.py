"""One row per contact, for exports: its visits (transfers included) summed up.

:class:`ContactRows` is a sink for :class:`~kefu.analytics.visits.Visit` records (give it
to :class:`~kefu.analytics.history.HistoryBuilder` as ``on_visit``); it keeps the contacts
that first entered a queue in [since, until) seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from kefu.analytics.visits import Visit

__all__ = ["ContactRow", "ContactRows"]


@dataclass(frozen=True, slots=True)
class ContactRow:
    """A contact: instants in seconds since the epoch, durations in seconds summed over
    its visits. ``queue_id`` is the first queue, ``last_queue_id`` the one it ended in;
    ``agent_id`` the last agent who answered it; ``outcome`` that of its last visit
    (answered, abandoned or waiting); ``transfers`` the visits after the first."""

    contact_id: str
    channel: str
    queue_id: str
    last_queue_id: str
    customer_id: str | None
    value_tier: int
    queued_at: float
    answered_at: float | None
    ended_at: float | None
    wait_s: float
    talk_s: float
    hold_s: float
    wrapup_s: float
    agent_id: str | None
    outcome: str
    disposition: str | None
    transfers: int


class ContactRows:
    """Collects :class:`ContactRow` records of contacts that entered in [since, until)."""

    def __init__(self, since: float, until: float) -> None:
        self.since = since
        self.until = until
        self.rows: list[ContactRow] = []
        self._legs: dict[str, list[Visit]] = {}

    def __call__(self, visit: Visit) -> None:
        legs = self._legs.get(visit.contact_id)
        if legs is None:
            if visit.leg > 0:
                return  # its first visit was before the events read
            legs = self._legs[visit.contact_id] = []
        legs.append(visit)
        if not visit.transferred_out:  # the contact's last visit (or still open)
            del self._legs[visit.contact_id]
            first = legs[0]
            if self.since <= first.queued_at < self.until:
                self.rows.append(_row(legs))

    def sorted(self) -> list[ContactRow]:
        """The rows by the instant the contacts queued (then by id)."""
        return sorted(self.rows, key=lambda r: (r.queued_at, r.contact_id))


def _row(legs: list[Visit]) -> ContactRow:
    first, last = legs[0], legs[-1]
    answered = [v for v in legs if v.answered_at is not None]
    return ContactRow(
        contact_id=first.contact_id,
        channel=first.channel,
        queue_id=first.queue_id,
        last_queue_id=last.queue_id,
        customer_id=first.customer_id,
        value_tier=first.value_tier,
        queued_at=first.queued_at,
        answered_at=answered[0].answered_at if answered else None,
        ended_at=last.ended_at,
        wait_s=sum(v.wait_s for v in legs),
        talk_s=sum(v.talk_s for v in legs),
        hold_s=sum(v.hold_s for v in legs),
        wrapup_s=sum(v.wrapup_s for v in legs),
        agent_id=answered[-1].agent_id if answered else None,
        outcome=last.outcome,
        disposition=last.disposition,
        transfers=len(legs) - 1,
    )
