"""The shift-types file (YAML): parsing and validation with errors that name the bad field.

Example (every field but ``name``, ``start`` and ``length`` is optional)::

    shift_types:
      - name: 早班 early
        start: "07:00"            # or a list of times, or {from: "06:00", to: "10:00", every: 30m}
        length: 8h                # durations: 8h, 30m, 1h30m, 90s (units are required)
        cost: 60                  # per agent per shift; default paid hours × cost_per_hour
        cost_per_hour: 1
        min_agents: 0             # per day's instance of the shift
        max_agents: 30
        days: [mon, tue, wed, thu, fri]   # or 周一..周日, 0 = Monday .. 6, weekdays, weekend
        breaks:
          - {length: 30m, earliest: 3h, latest: 5h}        # unpaid lunch placed by the solver
          - {length: 15m, at: 2h, paid: true}              # a fixed paid break
    standard:                     # the generated standard set (alone or besides shift_types)
      first_start: "06:00"
      last_end: "22:00"
      every: 30m
      lengths: [8h, 4h]
      lunch: {length: 30m, earliest: 3h, latest: 5h, min_shift: 6h}
    options:
      under_penalty: 1000         # per agent-interval short; absent = coverage is hard
      over_weight: 0.01           # per agent-interval over
      max_concurrent_agents: 80   # seats
      max_agents_per_day: 200
      cyclic: false               # wrap shifts past the horizon's end to its start
      break_step: 15m             # break start granularity; default the interval length
      time_limit: 60s
      relative_gap: 0
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from kefu.workforce.schedule_shifts import format_clock, standard_shift_types
from kefu.workforce.schedule_types import (
    DAY_S,
    BreakRule,
    ScheduleError,
    ScheduleOptions,
    ShiftType,
)

__all__ = [
    "ShiftSpec",
    "load_shift_spec",
    "parse_duration",
    "parse_shift_spec",
    "parse_time",
    "with_options",
]

_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?:in)?)?(?:(\d+)s)?$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAYS = {
    **{name: i for i, name in enumerate(_WEEK)},
    **{name[:3]: i for i, name in enumerate(_WEEK)},
    **{f"周{c}": i for i, c in enumerate("一二三四五六日")},
    **{f"星期{c}": i for i, c in enumerate("一二三四五六日")},
    "周天": 6,
    "星期天": 6,
}
_DAY_GROUPS = {"weekdays": range(5), "工作日": range(5), "weekend": (5, 6), "周末": (5, 6)}


class _Loader(yaml.SafeLoader):
    """YAML 1.2-style scalars: ``14:00`` stays a string instead of becoming 840."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if not tag.endswith((":int", ":float"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?$"),
    list("-+.0123456789"),
)


@dataclass(frozen=True)
class ShiftSpec:
    """Shift types and solver options read from a shift-types file."""

    shift_types: tuple[ShiftType, ...]
    options: ScheduleOptions


def parse_duration(value: Any, where: str) -> int:
    """Seconds in a duration written ``8h``, ``30m``, ``1h30m`` or ``90s``."""
    text = str(value).strip().replace(" ", "").lower()
    match = _DURATION.match(text)
    if isinstance(value, bool) or not text or not match or not any(match.groups()):
        raise ScheduleError(
            f"{where}: expected a duration with units such as 8h, 30m or 1h30m, got {value!r}",
            field=where,
        )
    hours, minutes, seconds = match.groups()
    return round(float(hours or 0) * 3600 + float(minutes or 0) * 60 + int(seconds or 0))


def parse_time(value: Any, where: str) -> int:
    """Seconds after midnight of a time of day written ``HH:MM`` or ``HH:MM:SS``."""
    match = _CLOCK.match(str(value).strip())
    if not match:
        raise ScheduleError(f"{where}: expected a time of day HH:MM, got {value!r}", field=where)
    h, m, s = (int(g or 0) for g in match.groups())
    if h > 24 or m > 59 or s > 59 or h * 3600 + m * 60 + s > DAY_S:
        raise ScheduleError(f"{where}: {value!r} is not a time of day", field=where)
    return h * 3600 + m * 60 + s


def _mapping(
    value: Any, where: str, allowed: Collection[str], required: Collection[str] = ()
) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ScheduleError(f"{where}: expected a mapping of fields, got {value!r}", field=where)
    unknown = sorted(str(k) for k in value if k not in allowed)
    if unknown:
        raise ScheduleError(
            f"{where}: unknown field(s) {', '.join(unknown)}; expected "
            f"{', '.join(sorted(allowed))}",
            field=where,
        )
    missing = sorted(set(required) - set(value))
    if missing:
        raise ScheduleError(f"{where}: missing field(s) {', '.join(missing)}", field=where)
    return dict(value)


def _number(value: Any, where: str, *, integer: bool = False, minimum: float = 0.0) -> Any:
    ok = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok or value < minimum or value != value:
        kind = "a whole number" if integer else "a number"
        raise ScheduleError(f"{where}: expected {kind} >= {minimum:g}, got {value!r}", field=where)
    return value


def _days(value: Any, where: str) -> frozenset[int]:
    items = value if isinstance(value, list) else [value]
    days: set[int] = set()
    for j, item in enumerate(items):
        text = str(item).strip().lower()
        if isinstance(item, int) and not isinstance(item, bool) and 0 <= item <= 6:
            days.add(item)
        elif text in _DAY_GROUPS:
            days.update(_DAY_GROUPS[text])
        elif text in _DAYS:
            days.add(_DAYS[text])
        else:
            raise ScheduleError(
                f"{where}[{j}]: unknown day {item!r}; use mon..sun, 周一..周日, 0 (Monday)..6, "
                "weekdays or weekend",
                field=f"{where}[{j}]",
            )
    if not days:
        raise ScheduleError(f"{where}: no days given", field=where)
    return frozenset(days)


def _starts(value: Any, where: str) -> list[int]:
    if isinstance(value, list):
        if not value:
            raise ScheduleError(f"{where}: no start times given", field=where)
        return [parse_time(v, f"{where}[{j}]") for j, v in enumerate(value)]
    if isinstance(value, Mapping):
        spec = _mapping(value, where, {"from", "to", "every"}, {"from", "to", "every"})
        first = parse_time(spec["from"], f"{where}.from")
        last = parse_time(spec["to"], f"{where}.to")
        every = parse_duration(spec["every"], f"{where}.every")
        if last < first or every <= 0:
            raise ScheduleError(f"{where}: 'to' must not be before 'from'", field=where)
        return list(range(first, last + 1, every))
    return [parse_time(value, where)]


def _break(value: Any, where: str) -> BreakRule:
    spec = _mapping(value, where, {"length", "earliest", "latest", "at", "paid"}, {"length"})
    length = parse_duration(spec["length"], f"{where}.length")
    if "at" in spec:
        if "earliest" in spec or "latest" in spec:
            raise ScheduleError(f"{where}: give either 'at' or 'earliest'/'latest'", field=where)
        earliest = latest = parse_duration(spec["at"], f"{where}.at")
    elif "earliest" in spec and "latest" in spec:
        earliest = parse_duration(spec["earliest"], f"{where}.earliest")
        latest = parse_duration(spec["latest"], f"{where}.latest")
    else:
        raise ScheduleError(f"{where}: needs 'at', or both 'earliest' and 'latest'", field=where)
    paid = spec.get("paid", False)
    if not isinstance(paid, bool):
        raise ScheduleError(f"{where}.paid: expected true or false, got {paid!r}", field=where)
    try:
        return BreakRule(length, earliest, latest, paid)
    except ScheduleError as exc:
        raise ScheduleError(f"{where}: {exc.message}", field=where) from exc


_SHIFT_FIELDS = {
    "name", "start", "length", "cost", "cost_per_hour", "min_agents", "max_agents", "days",
    "breaks",
}  # fmt: skip


def _shift_types(value: Any, where: str) -> list[ShiftType]:
    spec = _mapping(value, where, _SHIFT_FIELDS, {"name", "start", "length"})
    name = str(spec["name"]).strip()
    starts = _starts(spec["start"], f"{where}.start")
    length = parse_duration(spec["length"], f"{where}.length")
    raw_breaks = spec.get("breaks", [])
    if not isinstance(raw_breaks, list):
        raise ScheduleError(f"{where}.breaks: expected a list", field=f"{where}.breaks")
    breaks = tuple(_break(b, f"{where}.breaks[{j}]") for j, b in enumerate(raw_breaks))
    cost = spec.get("cost")
    max_agents = spec.get("max_agents")
    kwargs: dict[str, Any] = {
        "length_s": length,
        "breaks": breaks,
        "cost": None if cost is None else float(_number(cost, f"{where}.cost")),
        "cost_per_hour": float(_number(spec.get("cost_per_hour", 1.0), f"{where}.cost_per_hour")),
        "min_agents": _number(spec.get("min_agents", 0), f"{where}.min_agents", integer=True),
        "max_agents": None
        if max_agents is None
        else _number(max_agents, f"{where}.max_agents", integer=True),
        "weekdays": _days(spec["days"], f"{where}.days") if "days" in spec else None,
    }
    types = []
    for start in starts:
        label = name if len(starts) == 1 else f"{name} {format_clock(start)}"
        try:
            types.append(ShiftType(name=label, start_s=start % DAY_S, **kwargs))
        except ScheduleError as exc:
            raise ScheduleError(f"{where}: {exc.message}", field=where) from exc
    return types


def _standard(value: Any, where: str) -> tuple[ShiftType, ...]:
    allowed = {"first_start", "last_end", "every", "lengths", "lunch", "cost_per_hour"}
    spec = _mapping(value or {}, where, allowed)
    kwargs: dict[str, Any] = {}
    if "first_start" in spec:
        kwargs["first_start_s"] = parse_time(spec["first_start"], f"{where}.first_start")
    if "last_end" in spec:
        end = parse_time(spec["last_end"], f"{where}.last_end")
        kwargs["last_end_s"] = end if end > kwargs.get("first_start_s", 6 * 3600) else end + DAY_S
    if "every" in spec:
        kwargs["step_s"] = parse_duration(spec["every"], f"{where}.every")
    if "lengths" in spec:
        lengths = spec["lengths"] if isinstance(spec["lengths"], list) else [spec["lengths"]]
        kwargs["lengths_s"] = [
            parse_duration(v, f"{where}.lengths[{j}]") for j, v in enumerate(lengths)
        ]
    if "cost_per_hour" in spec:
        kwargs["cost_per_hour"] = float(_number(spec["cost_per_hour"], f"{where}.cost_per_hour"))
    if "lunch" in spec:
        lunch = _mapping(
            spec["lunch"], f"{where}.lunch", {"length", "earliest", "latest", "min_shift"}
        )
        for key, arg in (
            ("length", "lunch_length_s"),
            ("earliest", "lunch_earliest_s"),
            ("latest", "lunch_latest_s"),
            ("min_shift", "lunch_min_shift_s"),
        ):
            if key in lunch:
                kwargs[arg] = parse_duration(lunch[key], f"{where}.lunch.{key}")
    try:
        return standard_shift_types(**kwargs)
    except ScheduleError as exc:
        raise ScheduleError(f"{where}: {exc.message}", field=where) from exc


def _options(value: Any, where: str) -> ScheduleOptions:
    allowed = {
        "under_penalty", "over_weight", "max_concurrent_agents", "max_agents_per_day",
        "cyclic", "break_step", "time_limit", "relative_gap",
    }  # fmt: skip
    spec = _mapping(value or {}, where, allowed)
    kwargs: dict[str, Any] = {}
    for key in ("under_penalty", "over_weight", "relative_gap"):
        if spec.get(key) is not None:
            kwargs[key] = float(_number(spec[key], f"{where}.{key}"))
    for key in ("max_concurrent_agents", "max_agents_per_day"):
        if spec.get(key) is not None:
            kwargs[key] = _number(spec[key], f"{where}.{key}", integer=True)
    if "cyclic" in spec:
        if not isinstance(spec["cyclic"], bool):
            raise ScheduleError(f"{where}.cyclic: expected true or false", field=f"{where}.cyclic")
        kwargs["cyclic"] = spec["cyclic"]
    if "break_step" in spec:
        kwargs["break_step_s"] = parse_duration(spec["break_step"], f"{where}.break_step")
    if "time_limit" in spec:
        kwargs["time_limit_s"] = float(parse_duration(spec["time_limit"], f"{where}.time_limit"))
    try:
        return ScheduleOptions(**kwargs)
    except ScheduleError as exc:
        raise ScheduleError(f"{where}: {exc.message}", field=where) from exc


def parse_shift_spec(data: Any, source: str = "shift types") -> ShiftSpec:
    """Validate a parsed shift-types document (see the module docstring for its fields)."""
    spec = _mapping(data, source, {"shift_types", "standard", "options"})
    if "shift_types" not in spec and "standard" not in spec:
        raise ScheduleError(f"{source}: give 'shift_types', 'standard' or both", field=source)
    types: list[ShiftType] = []
    raw = spec.get("shift_types") or []
    if not isinstance(raw, list):
        raise ScheduleError(f"{source}.shift_types: expected a list", field="shift_types")
    for j, item in enumerate(raw):
        types += _shift_types(item, f"shift_types[{j}]")
    if "standard" in spec:
        types += _standard(spec["standard"], "standard")
    names = [t.name for t in types]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ScheduleError(
            f"{source}: shift type names must be unique; repeated: {', '.join(repeated)}",
            field="shift_types",
        )
    return ShiftSpec(tuple(types), _options(spec.get("options"), "options"))


def load_shift_spec(path: str | Path) -> ShiftSpec:
    """Read and validate a shift-types YAML file (UTF-8)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScheduleError(f"cannot read shift types {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ScheduleError(f"shift types {path} is not UTF-8 text") from exc
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise ScheduleError(f"shift types {path} is not valid YAML: {exc}") from exc
    return parse_shift_spec(data, path.name)


def with_options(spec: ShiftSpec, **changes: Any) -> ShiftSpec:
    """The same spec with some options replaced (``None`` values are ignored)."""
    kept = {k: v for k, v in changes.items() if v is not None}
    return ShiftSpec(spec.shift_types, replace(spec.options, **kept))
