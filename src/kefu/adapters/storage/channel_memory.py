"""The channel repository in memory, on an :class:`InMemoryStore` (a unit of work's
working copy): like the SQL one, its changes become visible only when the unit of work
committed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from kefu.adapters.storage.memory_store import InMemoryStore
from kefu.analytics.contactmap_more import MapExtras, Record, case_deadlines, extras_from_records
from kefu.domain.events import ContactQueued
from kefu.service.channels import ChannelRecord, ConversationRow

_CASE_KINDS = frozenset({"CaseOpened", "CaseStateChanged", "CaseLinked"})

__all__ = ["MemoryChannels"]


class MemoryChannels:
    def __init__(self, work: InMemoryStore) -> None:
        self.work = work

    def append(self, records: Sequence[ChannelRecord]) -> None:
        last = self.work.records[-1].seq if self.work.records else 0
        for record in records:
            if record.seq <= last:
                raise ValueError(f"channel record {record.seq} is not after {last}")
            last = record.seq
        self.work.records.extend(records)

    def read(self, after_seq: int = 0) -> Iterator[ChannelRecord]:
        return iter([r for r in self.work.records if r.seq > after_seq])

    def upsert_conversations(self, rows: Sequence[ConversationRow]) -> None:
        for row in rows:
            self.work.conversations[row.conversation_id] = row

    def conversation(self, conversation_id: str) -> ConversationRow | None:
        return self.work.conversations.get(conversation_id)

    def claim_seen(self, key: str, at: float) -> bool:
        if key in self.work.seen:
            return False
        self.work.seen[key] = at
        return True

    def release_seen(self, key: str) -> None:
        self.work.seen.pop(key, None)

    def purge_seen(self, before: float) -> int:
        old = [k for k, at in self.work.seen.items() if at < before]
        for key in old:
            del self.work.seen[key]
        return len(old)

    def map_extras(self, until: float) -> MapExtras:
        # What the SQL reader selects: the IVR's records, the cases' openings, moves and
        # work-item links, and the queued work items' attributes (their deadlines).
        records: list[Record] = []
        work_items: set[str] = set()
        for r in self.work.records:
            if r.at >= until or not (
                r.stream == "ivr" or (r.stream == "case" and r.kind in _CASE_KINDS)
            ):
                continue
            if r.kind == "CaseLinked":
                if r.data.get("kind") == "work_item":
                    work_items.add(str(r.data["target_id"]))
                continue
            records.append((r.at, r.stream, r.kind, r.subject_id, dict(r.data)))
        queued = [
            (s.event.at, dict(s.event.attributes))
            for s in self.work.events
            if isinstance(s.event, ContactQueued)
            and s.event.contact_id in work_items
            and s.event.at < until
        ]
        return extras_from_records(records, until=until, due=case_deadlines(queued))
