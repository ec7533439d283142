"""The report projection's rows in the in-memory store (tests, simulations, the demo)."""

from __future__ import annotations

from collections.abc import Sequence

from kefu.adapters.storage.memory_store import InMemoryStore
from kefu.analytics.archive import ArchivedContact, RecordingMark, archive_contacts
from kefu.analytics.projection import AgentSlot
from kefu.analytics.visits import Visit
from kefu.domain import events as ev
from kefu.service.ports import ReportMark

__all__ = ["MemoryReports"]


class MemoryReports:
    def __init__(self, work: InMemoryStore) -> None:
        self.work = work

    def mark(self) -> ReportMark | None:
        return self.work.report_mark

    def add(self, visits: Sequence[Visit], slots: Sequence[AgentSlot], mark: ReportMark) -> None:
        for visit in visits:
            self.work.visits[(visit.contact_id, visit.leg)] = visit
        self.work.slots.extend(slots)
        self.work.report_mark = mark

    def drop_provisional(self, slots_from: float) -> None:
        self.work.visits = {k: v for k, v in self.work.visits.items() if v.ended_at is not None}
        self.work.slots = [s for s in self.work.slots if s.slot_at < slots_from]

    def archived_contacts(self, contact_ids: Sequence[str]) -> dict[str, ArchivedContact]:
        wanted = set(contact_ids)
        visits = [
            v
            for v in self.work.visits.values()
            if v.contact_id in wanted and v.ended_at is not None
        ]
        marks = []
        for stored in self.work.events:
            event = stored.event
            if isinstance(event, ev.CallRecorded) and event.contact_id in wanted:
                marks.append(RecordingMark(event.contact_id, event.recording))
            elif isinstance(event, ev.RecordingDeleted) and event.contact_id in wanted:
                marks.append(RecordingMark(event.contact_id, event.recording, event.reason))
        return archive_contacts(visits, marks)
