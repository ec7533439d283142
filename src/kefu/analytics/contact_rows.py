"""One row per contact, for exports: its visits (transfers included) summed up.

:class:`ContactRows` is a sink for :class:`~kefu.analytics.visits.Visit` records (give it
to :class:`~kefu.analytics.history.HistoryBuilder` as ``on_visit``); it keeps the contacts
that first entered a queue in [since, until) seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from kefu.analytics.visits import Visit

__all__ = [
    "CONTACT_VISIT_FIELDS",
    "ContactCells",
    "ContactRow",
    "ContactRows",
    "contact_cells",
]


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


CONTACT_VISIT_FIELDS = (
    "contact_id",
    "leg",
    "channel",
    "queue_id",
    "customer_id",
    "value_tier",
    "queued_at",
    "answered_at",
    "ended_at",
    "wait_s",
    "talk_s",
    "hold_s",
    "wrapup_s",
    "agent_id",
    "outcome",
    "disposition",
    "transferred_out",
)
"""The :class:`Visit` fields :func:`contact_cells` reads, in the order it reads them."""

ContactCells = tuple[Any, ...]
"""A :class:`ContactRow`'s values as a plain tuple, in its field order."""


def contact_cells(
    visits: Iterable[Sequence[Any]], since: float, until: float
) -> list[ContactCells]:
    """The rows :class:`ContactRows` gives, as plain tuples (``ContactRow(*cells)`` is the
    row), sorted the same way, from visit tuples in :data:`CONTACT_VISIT_FIELDS` order
    sorted by contact and leg: the export's fast path, with no object per visit or row."""
    out: list[ContactCells] = []
    append = out.append
    legs: list[Sequence[Any]] = []
    current: Any = None
    done = True
    for visit in visits:
        if visit[0] != current:
            current, done, legs = visit[0], False, []
            if visit[1] > 0:  # its first visit was before the visits read
                done = True
        if done:
            continue
        legs.append(visit)
        if visit[16]:  # transferred out: more visits follow
            continue
        done = True
        first = legs[0]
        if since <= first[6] < until:
            append(_cells(legs))
    out.sort(key=_order)
    return out


def _order(cells: ContactCells) -> tuple[float, str]:
    return cells[6], cells[0]


def _cells(legs: list[Sequence[Any]]) -> ContactCells:
    # Sums start from 0 in leg order, as ``sum`` does in _row: the same floats.
    first, last = legs[0], legs[-1]
    if len(legs) == 1:
        answered = first[7] is not None
        return (
            first[0],
            first[2],
            first[3],
            first[3],
            first[4],
            first[5],
            first[6],
            first[7],
            first[8],
            0 + first[9],
            0 + first[10],
            0 + first[11],
            0 + first[12],
            first[13] if answered else None,
            first[14],
            first[15],
            0,
        )
    answered_legs = [v for v in legs if v[7] is not None]
    return (
        first[0],
        first[2],
        first[3],
        last[3],
        first[4],
        first[5],
        first[6],
        answered_legs[0][7] if answered_legs else None,
        last[8],
        sum(v[9] for v in legs),
        sum(v[10] for v in legs),
        sum(v[11] for v in legs),
        sum(v[12] for v in legs),
        answered_legs[-1][13] if answered_legs else None,
        last[14],
        last[15],
        len(legs) - 1,
    )
