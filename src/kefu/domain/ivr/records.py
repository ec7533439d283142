"""A step's events as compact records, built into their dataclasses when first read.

The interpreter writes each event as a record: a plain tuple of the event's class followed
by its fields in declaration order (``(NodeEntered, at, contact_id, node_id, kind,
waiting, deadline)``). A tuple costs about an eighth of a frozen dataclass to build, and the
state's fold (:mod:`kefu.domain.ivr.state`) reads records, so a step that nobody reads the
events of builds none. :class:`IvrEvents` is the read-only sequence a step returns: the
first read builds every event once (equal to the one the record describes, field for field)
and later reads return the same objects.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import starmap
from operator import call
from typing import Any, overload

from kefu.domain.codec import plain_value
from kefu.domain.ivr import events as ev

__all__ = ["EventRecord", "IvrEvents", "record_of"]

EventRecord = tuple[Any, ...]
"""``(event class, field values...)`` in the order of the class's fields."""

_FIELDS: dict[type[ev.IvrEvent], tuple[str, ...]] = {
    cls: tuple(cls.__dataclass_fields__) for cls in ev.CODEC.types.values()
}


# Written as they are, as the codec does (kefu.domain.codec).
_SCALARS = frozenset({str, int, float, bool, type(None)})


def record_of(event: ev.IvrEvent) -> EventRecord:
    """The record of a built event (replay folds records)."""
    cls = type(event)
    return (cls, *[getattr(event, name) for name in _FIELDS[cls]])


class IvrEvents(Sequence[ev.IvrEvent]):
    """The events of one step, in order: records until read, then their dataclasses."""

    __slots__ = ("_built", "_records")

    def __init__(self, records: list[EventRecord]) -> None:
        self._records = records
        self._built: list[ev.IvrEvent] | None = None

    def built(self) -> list[ev.IvrEvent]:
        """The events as dataclasses (built at the first call, the same list after)."""
        out = self._built
        if out is None:
            # call(cls, *fields) for each record, iterated in C: no slice, no Python frame.
            out = self._built = list(starmap(call, self._records))
        return out

    def records(self) -> Sequence[EventRecord]:
        """The events as records (class, at, contact_id, then the class's own fields), for
        a reader that needs a field or two and no event."""
        return self._records

    def dicts(self) -> list[dict[str, Any]]:
        """The events' JSON-ready dicts, equal to :func:`~kefu.domain.ivr.events.
        ivr_event_to_dict` of each, made from the records without building the events
        (what the chat wing logs)."""
        out = []
        for r in self._records:
            cls = r[0]
            data: dict[str, Any] = {"type": cls.__name__}
            for name, value in zip(_FIELDS[cls], r[1:], strict=True):
                data[name] = value if type(value) in _SCALARS else plain_value(value)
            out.append(data)
        return out

    def __len__(self) -> int:
        return len(self._records)

    def __bool__(self) -> bool:
        return bool(self._records)

    def __iter__(self) -> Iterator[ev.IvrEvent]:
        return iter(self.built())

    @overload
    def __getitem__(self, index: int) -> ev.IvrEvent: ...

    @overload
    def __getitem__(self, index: slice) -> list[ev.IvrEvent]: ...

    def __getitem__(self, index: int | slice) -> ev.IvrEvent | list[ev.IvrEvent]:
        return self.built()[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, IvrEvents):
            return self.built() == other.built()
        if isinstance(other, (list, tuple)):
            return self.built() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"IvrEvents({self.built()!r})"
