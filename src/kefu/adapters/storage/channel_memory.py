"""The channel repository in memory, joined to any routing unit of work (tests, the test
wiring). Like the SQL one, its changes become visible only when the joined unit of work
committed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from kefu.service.channel_ports import ChannelRecord, ConversationRow
from kefu.service.ports import UnitOfWork, UnitOfWorkFactory

__all__ = ["ChannelMemory", "MemoryChannelUnitOfWork", "MemoryChannelUnitOfWorkFactory"]


@dataclass
class ChannelMemory:
    """Committed channel data."""

    records: list[ChannelRecord] = field(default_factory=list)
    conversations: dict[str, ConversationRow] = field(default_factory=dict)
    seen: dict[str, float] = field(default_factory=dict)

    def copy(self) -> ChannelMemory:
        return ChannelMemory(list(self.records), dict(self.conversations), dict(self.seen))


class _Channels:
    def __init__(self, work: ChannelMemory) -> None:
        self.work = work

    def append(self, records: Sequence[ChannelRecord]) -> None:
        last = self.work.records[-1].seq if self.work.records else 0
        for record in records:
            if record.seq <= last:
                raise ValueError(f"channel record {record.seq} is not after {last}")
            last = record.seq
        self.work.records.extend(records)

    def read(self) -> Iterator[ChannelRecord]:
        return iter(list(self.work.records))

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


class MemoryChannelUnitOfWork:
    """A routing unit of work (any) plus the in-memory channel repository; every other
    attribute is the inner unit of work's."""

    def __init__(self, inner: UnitOfWork, memory: ChannelMemory) -> None:
        self._inner = inner
        self._memory = memory
        self._work: ChannelMemory | None = None

    def __enter__(self) -> MemoryChannelUnitOfWork:
        self._inner.__enter__()
        self._work = self._memory.copy()
        self.channels = _Channels(self._work)
        return self

    def __exit__(self, *exc: object) -> None:
        self._work = None
        self._inner.__exit__(*exc)

    def commit(self) -> None:
        work = self._work
        if work is None:
            raise RuntimeError("the unit of work is used outside its `with` block")
        self._inner.commit()
        memory = self._memory
        memory.records, memory.conversations, memory.seen = (
            work.records,
            work.conversations,
            work.seen,
        )

    def rollback(self) -> None:
        self._inner.rollback()
        if self._work is not None:
            self._work = self._memory.copy()
            self.channels = _Channels(self._work)

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes not set here: the routing (and security) ports.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._inner, name)


class MemoryChannelUnitOfWorkFactory:
    """Units of work of ``inner`` joined to one shared :class:`ChannelMemory`."""

    def __init__(self, inner: UnitOfWorkFactory, memory: ChannelMemory | None = None) -> None:
        self.inner = inner
        self.memory = memory or ChannelMemory()

    def __call__(self) -> MemoryChannelUnitOfWork:
        return MemoryChannelUnitOfWork(self.inner(), self.memory)
