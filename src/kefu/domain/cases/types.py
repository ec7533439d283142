"""Case types and their admin-defined fields, as data.

A :class:`CaseType` names a kind (inquiry, complaint, fault, application), bilingual labels,
the fields an admin defined for it (each a :class:`FieldSpec`) and whether resolving needs a
root cause and a resolution (always for complaints). :meth:`CaseType.validate_fields` checks
values given by an agent or an API client and returns them normalized.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from kefu.domain.cases.errors import InvalidCaseField
from kefu.domain.errors import ValidationError

__all__ = ["CaseKind", "CaseType", "FieldKind", "FieldSpec", "FieldValue"]

FieldValue = str | int | float | bool
"""A case field's value: JSON scalars only, so events stay plain JSON."""

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


class CaseKind(StrEnum):
    INQUIRY = "inquiry"
    COMPLAINT = "complaint"
    FAULT = "fault"
    APPLICATION = "application"


class FieldKind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"
    FLAG = "flag"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a case type: ``name`` (snake_case), kind, labels, ``required``; ``choices``
    for a choice field; ``max_length`` (characters) for text."""

    name: str
    kind: FieldKind
    label_en: str
    label_zh: str
    required: bool = False
    choices: tuple[str, ...] = ()
    max_length: int = 2000

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.name):
            raise ValidationError(f"field name {self.name!r} must be snake_case (a-z, 0-9, _)")
        if (self.kind is FieldKind.CHOICE) != bool(self.choices):
            raise ValidationError(f"field {self.name}: choices go with (and only with) kind choice")

    def check(self, value: Any) -> FieldValue:
        """``value`` normalized for this field, or :class:`InvalidCaseField`."""
        kind = self.kind
        if kind is FieldKind.FLAG and isinstance(value, bool):
            return value
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if kind is FieldKind.NUMBER and number and math.isfinite(value):
            return value  # type: ignore[no-any-return]
        if kind is FieldKind.TEXT and isinstance(value, str) and len(value) <= self.max_length:
            return value.strip()
        if kind is FieldKind.CHOICE and value in self.choices:
            return str(value)
        if kind is FieldKind.DATE and isinstance(value, str):
            try:
                return date.fromisoformat(value).isoformat()
            except ValueError:
                pass
        raise InvalidCaseField(
            f"field {self.name} wants a {kind.value}, got {value!r}", field=self.name
        )


@dataclass(frozen=True, slots=True)
class CaseType:
    """A case type as an admin defined it."""

    type_id: str
    kind: CaseKind
    label_en: str
    label_zh: str
    fields: tuple[FieldSpec, ...] = ()
    needs_root_cause: bool = False
    retired: bool = False
    """A retired type takes no new cases; the cases it has keep it."""

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.type_id):
            raise ValidationError(
                f"case type id {self.type_id!r} must be snake_case (a-z, 0-9, _)", field="type_id"
            )
        if not (self.label_en.strip() and self.label_zh.strip()):
            raise ValidationError("a case type needs labels in English and Chinese", field="label")
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValidationError(f"case type {self.type_id} defines a field twice")
        if self.kind is CaseKind.COMPLAINT and not self.needs_root_cause:
            # Complaints are resolved only with a stated root cause and resolution.
            object.__setattr__(self, "needs_root_cause", True)

    def validate_fields(
        self, values: Mapping[str, Any], *, partial: bool = False
    ) -> Mapping[str, FieldValue]:
        """Checked, normalized values; unknown names and (unless ``partial``, for an update)
        missing required fields are refused. Empty text counts as missing."""
        specs = {f.name: f for f in self.fields}
        unknown = sorted(set(values) - set(specs))
        if unknown:
            raise InvalidCaseField(
                f"case type {self.type_id} has no field {unknown[0]!r}", field=unknown[0]
            )
        out = {name: specs[name].check(value) for name, value in sorted(values.items())}
        for spec in self.fields:
            asked = spec.name in out or not partial
            if spec.required and asked and out.get(spec.name, "") == "":
                raise InvalidCaseField(
                    f"field {spec.name} is required for {self.type_id}", field=spec.name
                )
        return MappingProxyType(out)
