"""What the store keeps of a finished contact once the router has forgotten it (a day
after it finished, at a snapshot): its queues, site, agents, channel and customer from the
report projection's visits, and its call recording from the log's recording events. The
play of a recording and the customer's timeline read it for those contacts. Instants are
seconds since the epoch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kefu.analytics.visits import Visit

__all__ = ["ArchivedContact", "RecordingMark", "archive_contacts"]


@dataclass(frozen=True, slots=True)
class RecordingMark:
    """One recording event of a contact, in log order: ``deleted`` None when the call was
    recorded into ``recording``, else why that file was deleted (``retention``)."""

    contact_id: str
    recording: str
    deleted: str | None = None


@dataclass(frozen=True, slots=True)
class ArchivedContact:
    """A finished contact as the store has it. ``queue_id``, ``site_id`` (the owner of that
    queue when the contact was there) and ``agent_id`` are those of its last visit (where it
    ended, and who held it then); ``queues`` and ``agents`` every visit's in order.
    ``recording`` is its call recording's file name (None: not recorded) and
    ``recording_deleted`` why that file was deleted (None: kept)."""

    contact_id: str
    queue_id: str
    site_id: str | None
    agent_id: str | None
    channel: str
    customer_id: str | None
    queued_at: float
    ended_at: float | None
    outcome: str
    queues: tuple[str, ...]
    agents: tuple[str, ...]
    recording: str | None = None
    recording_deleted: str | None = None

    @property
    def recording_state(self) -> str | None:
        """``kept`` (playable), why it was deleted, or None (as a live contact shows it)."""
        if self.recording is None:
            return None
        return self.recording_deleted or "kept"


def archive_contacts(
    visits: Iterable[Visit], recordings: Iterable[RecordingMark]
) -> dict[str, ArchivedContact]:
    """The contacts of ``visits`` (any order) with their ``recordings`` (log order) folded
    in, by contact id; a contact without a visit is not archived."""
    legs: dict[str, list[Visit]] = {}
    for visit in visits:
        legs.setdefault(visit.contact_id, []).append(visit)
    files: dict[str, tuple[str, str | None]] = {}
    for mark in recordings:
        if mark.deleted is None:
            files[mark.contact_id] = (mark.recording, None)
        elif files.get(mark.contact_id, ("", None))[0] == mark.recording:
            # Only the deletion of the file the contact points at marks it deleted (as
            # the router does): a later bridge's file is its own.
            files[mark.contact_id] = (mark.recording, mark.deleted)
    found: dict[str, ArchivedContact] = {}
    for contact_id, seen in legs.items():
        seen.sort(key=lambda v: v.leg)
        first, last = seen[0], seen[-1]
        recording, deleted = files.get(contact_id, (None, None))
        found[contact_id] = ArchivedContact(
            contact_id=contact_id,
            queue_id=last.queue_id,
            site_id=last.site_id,
            agent_id=last.agent_id,
            channel=first.channel,
            customer_id=first.customer_id,
            queued_at=first.queued_at,
            ended_at=last.ended_at,
            outcome=last.outcome,
            queues=tuple(v.queue_id for v in seen),
            agents=tuple(dict.fromkeys(v.agent_id for v in seen if v.agent_id)),
            recording=recording,
            recording_deleted=deleted,
        )
    return found
