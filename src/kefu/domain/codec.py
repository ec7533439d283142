"""The JSON form shared by every family of events: ``{"type": <class name>, <field>: value}``.

Routing, IVR, case and customer events are frozen dataclasses of their own families; one
:class:`EventCodec` per family turns them into JSON-ready dicts and back, and writes a log
as JSON lines with sorted keys, so the same log gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields
from typing import Any, Generic, TypeVar

from kefu.domain.errors import ValidationError

__all__ = ["EventCodec", "plain_value"]

E = TypeVar("E")
# Values written as they are without a call to the encoder: most fields of a hot event.
_SCALARS = frozenset({str, int, float, bool, type(None)})


def plain_value(value: Any) -> Any:
    """A field's JSON-ready value: a mapping as a plain dict, anything else as it is."""
    return dict(value) if isinstance(value, Mapping) else value


class EventCodec(Generic[E]):
    """The tagged-dict form of one family of dataclass events.

    ``family`` names the family in errors ("IVR " → "unknown IVR event type"); ``encode``
    makes a field's value JSON-ready (default :func:`plain_value`); ``decode`` rebuilds the
    fields of a raw dict in place before the class is called (specs, read-only mappings).
    """

    __slots__ = ("_decode", "_encode", "_family", "_fields", "_types")

    def __init__(
        self,
        types: Iterable[type[E]],
        *,
        family: str = "",
        encode: Callable[[Any], Any] = plain_value,
        decode: Callable[[type[E], dict[str, Any]], None] | None = None,
    ) -> None:
        self._types: dict[str, type[E]] = {cls.__name__: cls for cls in types}
        self._fields: dict[type[E], tuple[str, ...]] = {
            cls: tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
            for cls in self._types.values()
        }
        self._family = family
        self._encode = encode
        self._decode = decode

    @property
    def types(self) -> Mapping[str, type[E]]:
        """The family's classes by their tag."""
        return self._types

    def to_dict(self, event: E) -> dict[str, Any]:
        """A JSON-ready dict: ``{"type": <class name>, <field>: <value>, ...}``."""
        encode, scalars = self._encode, _SCALARS
        out: dict[str, Any] = {"type": type(event).__name__}
        for name in self._fields[type(event)]:
            value = getattr(event, name)
            out[name] = value if type(value) in scalars else encode(value)
        return out

    def from_dict(self, data: Mapping[str, Any]) -> E:
        """Rebuild an event from :meth:`to_dict`'s form; unknown types and missing or
        extra fields are refused with a :class:`ValidationError`."""
        raw = dict(data)
        name = raw.pop("type", None)
        cls = self._types.get(str(name))
        if cls is None:
            raise ValidationError(f"unknown {self._family}event type {name!r}", type=name)
        try:
            if self._decode is not None:
                self._decode(cls, raw)
            return cls(**raw)
        except TypeError as exc:
            raise ValidationError(f"malformed {name} event: {exc}", type=name) from exc

    def to_jsonl(self, events: Iterable[E]) -> str:
        """One compact JSON object a line, keys sorted: the byte-stable form of a log."""
        return "".join(
            json.dumps(self.to_dict(e), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            + "\n"
            for e in events
        )
