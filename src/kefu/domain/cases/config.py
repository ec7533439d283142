"""Case types and site calendars as data an admin defines.

A :class:`CaseTypeConfig` is one case type as an admin defined it: the
:class:`~kefu.domain.cases.types.CaseType` (labels, fields, whether resolving needs a root
cause), its SLA targets per customer value tier and its escalation steps (before, at or after
the deadline: a fraction of the target below, at or above 1). :func:`policy_of` turns a set
of them into the :class:`~kefu.domain.cases.sla.SlaPolicy` the clocks use.

A :class:`SiteCalendar` is a site's :class:`~kefu.domain.calendar.BusinessCalendar` with the
names of its holidays.

Both have a JSON-ready form (:meth:`to_dict` / :meth:`from_dict`), the form of the API and of
the log; hours in it are business **hours**, working hours ``"HH:MM-HH:MM"`` spans. Bad input
raises :class:`~kefu.domain.errors.ValidationError` naming the offending ``field``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType
from typing import Any

from kefu.domain.calendar import DAY_S, BusinessCalendar, Span, parse_spans
from kefu.domain.cases.sla import (
    DEFAULT_STEPS,
    EscalationAction,
    EscalationStep,
    SlaClock,
    SlaPolicy,
    SlaTargets,
)
from kefu.domain.cases.types import CaseKind, CaseType, FieldKind, FieldSpec
from kefu.domain.errors import KefuError, ValidationError

__all__ = ["WEEKDAYS", "CaseTypeConfig", "SiteCalendar", "policy_of"]

H = 3600.0
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MAX_TIER = 9
_MAX_HOURS = 24 * 366.0


def _bad(message: str, where: str) -> ValidationError:
    return ValidationError(message, text_key="error.case_config", field=where, reason=message)


def _checked(where: str, build: Any) -> Any:
    """``build()``, a ValidationError naming ``where`` if it fails."""
    try:
        return build()
    except KefuError as exc:
        raise _bad(exc.message, where) from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise _bad(f"malformed: {exc}", where) from exc


@dataclass(frozen=True, slots=True)
class CaseTypeConfig:
    """A case type with its SLA: ``targets`` by value tier (the highest tier not above the
    customer's applies), ``steps`` its escalation steps."""

    case_type: CaseType
    targets: Mapping[int, SlaTargets] = field(default_factory=dict)
    steps: tuple[EscalationStep, ...] = DEFAULT_STEPS

    @property
    def type_id(self) -> str:
        return self.case_type.type_id

    def retired(self) -> CaseTypeConfig:
        """The same type, retired (it takes no new cases)."""
        return replace(self, case_type=replace(self.case_type, retired=True))

    def to_dict(self) -> dict[str, Any]:
        t = self.case_type
        return {
            "type_id": t.type_id,
            "kind": t.kind.value,
            "label_en": t.label_en,
            "label_zh": t.label_zh,
            "needs_root_cause": t.needs_root_cause,
            "retired": t.retired,
            "fields": [
                {
                    "name": f.name,
                    "kind": f.kind.value,
                    "label_en": f.label_en,
                    "label_zh": f.label_zh,
                    "required": f.required,
                    "choices": list(f.choices),
                }
                for f in t.fields
            ],
            "targets": [
                {
                    "tier": tier,
                    "first_response_h": self.targets[tier].first_response_s / H,
                    "resolution_h": self.targets[tier].resolution_s / H,
                }
                for tier in sorted(self.targets)
            ],
            "escalations": [
                {
                    "clock": s.clock.value,
                    "fraction": s.fraction,
                    "action": s.action.value,
                    "to": s.to,
                }
                for s in self.steps
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CaseTypeConfig:
        """From :meth:`to_dict`'s form; ``escalations`` left out take the default steps."""
        fields = tuple(
            _checked(
                f"fields.{i}",
                lambda f=f: FieldSpec(
                    str(f["name"]),
                    FieldKind(f["kind"]),
                    str(f.get("label_en") or f["name"]),
                    str(f.get("label_zh") or f.get("label_en") or f["name"]),
                    bool(f.get("required", False)),
                    tuple(str(c) for c in f.get("choices") or ()),
                ),
            )
            for i, f in enumerate(data.get("fields") or ())
        )
        kind = _checked("kind", lambda: CaseKind(data["kind"]))
        case_type = _checked(
            "type_id",
            lambda: CaseType(
                str(data["type_id"]),
                kind,
                str(data.get("label_en", "")),
                str(data.get("label_zh", "")),
                fields,
                bool(data.get("needs_root_cause", False)),
                bool(data.get("retired", False)),
            ),
        )
        targets: dict[int, SlaTargets] = {}
        for i, row in enumerate(data.get("targets") or ()):
            tier = _checked(f"targets.{i}.tier", lambda row=row: int(row["tier"]))
            if not 0 <= tier <= _MAX_TIER or tier in targets:
                raise _bad(f"tier {tier} is out of 0..{_MAX_TIER} or given twice", f"targets.{i}")
            hours = [_checked(f"targets.{i}", lambda row=row, k=k: float(row[k]))
                     for k in ("first_response_h", "resolution_h")]  # fmt: skip
            if not all(0 < h <= _MAX_HOURS for h in hours):
                raise _bad("SLA targets are hours above 0 and within a year", f"targets.{i}")
            targets[tier] = SlaTargets(hours[0] * H, hours[1] * H)
        raw_steps = data.get("escalations")
        steps = DEFAULT_STEPS
        if raw_steps is not None:
            steps = tuple(
                _checked(
                    f"escalations.{i}",
                    lambda s=s: EscalationStep(
                        SlaClock(s["clock"]),
                        _fraction(s["fraction"]),
                        EscalationAction(s["action"]),
                        None if s.get("to") in (None, "") else str(s["to"]),
                    ),
                )
                for i, s in enumerate(raw_steps)
            )
        return cls(case_type, MappingProxyType(targets), steps)


def _fraction(value: Any) -> float:
    fraction = float(value)
    if not 0 < fraction <= 10:
        raise ValidationError(f"a step's fraction of the target is in (0, 10], not {value!r}")
    return fraction


def policy_of(configs: Iterable[CaseTypeConfig]) -> SlaPolicy:
    """The SLA policy of these case types (a type without targets has no SLA)."""
    configs = list(configs)
    return SlaPolicy(
        {c.type_id: c.targets for c in configs if c.targets},
        DEFAULT_STEPS,
        {c.type_id: c.steps for c in configs},
    )


@dataclass(frozen=True, slots=True)
class SiteCalendar:
    """A site's business calendar and the names of its holidays (date → name, may be "")."""

    calendar: BusinessCalendar
    holiday_names: Mapping[date, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cal = self.calendar
        return {
            "time_zone": cal.time_zone,
            "hours": {day: _spans_text(cal.weekly[i]) for i, day in enumerate(WEEKDAYS)},
            "holidays": [
                {"date": d.isoformat(), "name": self.holiday_names.get(d, "")}
                for d in sorted(cal.holidays)
            ],
            "workdays": [
                {"date": d.isoformat(), "hours": _spans_text(spans)}
                for d, spans in sorted(cal.workdays.items())
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SiteCalendar:
        """From :meth:`to_dict`'s form; a weekday left out of ``hours`` is closed."""
        hours = data.get("hours") or {}
        unknown = sorted(set(hours) - set(WEEKDAYS))
        if unknown:
            raise _bad(f"unknown weekday {unknown[0]!r} (want mon..sun)", f"hours.{unknown[0]}")
        weekly = tuple(
            _checked(f"hours.{day}", lambda day=day: parse_spans(str(hours.get(day) or "")))
            for day in WEEKDAYS
        )
        names: dict[date, str] = {}
        for i, row in enumerate(data.get("holidays") or ()):
            day = _checked(f"holidays.{i}.date", lambda row=row: date.fromisoformat(row["date"]))
            if day in names:
                raise _bad(f"holiday {day} is given twice", f"holidays.{i}.date")
            names[day] = str(row.get("name") or "")[:100]
        workdays: dict[date, tuple[Span, ...]] = {}
        for i, row in enumerate(data.get("workdays") or ()):
            day = _checked(f"workdays.{i}.date", lambda row=row: date.fromisoformat(row["date"]))
            spans = _checked(f"workdays.{i}.hours", lambda row=row: parse_spans(str(row["hours"])))
            if day in workdays or day in names:
                raise _bad(f"{day} is given twice or is also a holiday", f"workdays.{i}.date")
            workdays[day] = spans
        if not any(weekly) and not workdays:
            raise _bad("a calendar needs some working hours", "hours")
        calendar = _checked(
            "time_zone",
            lambda: BusinessCalendar(
                str(data.get("time_zone") or ""), weekly, frozenset(names), workdays
            ),
        )
        return cls(calendar, MappingProxyType(names))


def _spans_text(spans: tuple[Span, ...]) -> str:
    return ",".join(f"{_hhmm(start)}-{_hhmm(end)}" for start, end in spans)


def _hhmm(second: int) -> str:
    if second == DAY_S:
        return "24:00"
    return f"{second // 3600:02d}:{second % 3600 // 60:02d}"
