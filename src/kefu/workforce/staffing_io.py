"""CSV and JSON files of staffing volumes and plans.

Volumes CSV (UTF-8, header required, extra columns ignored)::

    interval_start,queue,contacts,aht_s
    2024-03-01T08:00,售后,120,185.5

``interval_start`` is an ISO 8601 date-time, ``contacts`` a count (>= 0) and ``aht_s`` the
mean handle time in seconds (``aht`` is accepted too). A malformed file raises
:class:`VolumesFormatError` naming the line and the column.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from kefu.workforce.staffing import PlanRow, StaffingPlan, VolumeRow

__all__ = [
    "PLAN_COLUMNS",
    "VOLUME_COLUMNS",
    "VolumesFormatError",
    "parse_volumes_csv",
    "plan_to_dict",
    "read_groups_csv",
    "read_plan_csv",
    "read_volumes_csv",
    "write_plan_csv",
    "write_plan_json",
    "write_volumes_csv",
]

VOLUME_COLUMNS = ("interval_start", "queue", "contacts", "aht_s")
PLAN_COLUMNS = (
    "interval_start",
    "queue",
    "contacts",
    "aht_s",
    "arrival_rate_per_s",
    "traffic_erlangs",
    "required",
    "scheduled",
    "service_level",
    "asa_s",
    "occupancy",
    "abandon",
)
_ALIASES = {"aht": "aht_s"}


class VolumesFormatError(ValueError):
    """A volumes file that cannot be read; ``line`` is 1-based, ``column`` a header name."""

    def __init__(self, message: str, line: int | None = None, column: str | None = None):
        where = ""
        if line is not None:
            where = f"line {line}"
            if column is not None:
                where += f", column '{column}'"
            where += ": "
        super().__init__(where + message)
        self.line = line
        self.column = column


def _number(text: str, line: int, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise VolumesFormatError(f"{text!r} is not a number", line, column) from None
    if not math.isfinite(value):
        raise VolumesFormatError(f"{text!r} is not a finite number", line, column)
    if value < 0.0:
        raise VolumesFormatError(f"{text!r} must be >= 0", line, column)
    return value


def _timestamp(text: str, line: int) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise VolumesFormatError(
            f"{text!r} is not an ISO 8601 date-time (e.g. 2024-03-01T08:00)",
            line,
            "interval_start",
        ) from None


def parse_volumes_csv(text: str) -> list[VolumeRow]:
    """Parse the text of a volumes CSV (see module doc)."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = next(reader, None)
    if header is None or not any(cell.strip() for cell in header):
        raise VolumesFormatError("the file is empty: expected a header " + ",".join(VOLUME_COLUMNS))
    names = [_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in header]
    missing = [c for c in VOLUME_COLUMNS if c not in names]
    if missing:
        raise VolumesFormatError(
            "missing column(s) " + ", ".join(missing) + " in the header", 1, missing[0]
        )
    where = {c: names.index(c) for c in VOLUME_COLUMNS}
    rows: list[VolumeRow] = []
    seen: dict[tuple[str, datetime], int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) < len(names):
            raise VolumesFormatError(f"expected {len(names)} fields, got {len(cells)}", line)
        start = _timestamp(cells[where["interval_start"]].strip(), line)
        queue = cells[where["queue"]].strip()
        if not queue:
            raise VolumesFormatError("the queue name is empty", line, "queue")
        contacts = _number(cells[where["contacts"]].strip(), line, "contacts")
        aht = _number(cells[where["aht_s"]].strip(), line, "aht_s")
        if contacts > 0.0 and aht == 0.0:
            raise VolumesFormatError("must be > 0 when there are contacts", line, "aht_s")
        key = (queue, start)
        if key in seen:
            raise VolumesFormatError(
                f"queue {queue!r} already has a row for {start.isoformat()} (line {seen[key]})",
                line,
            )
        seen[key] = line
        rows.append(VolumeRow(start, queue, contacts, aht))
    if not rows:
        raise VolumesFormatError("no data rows after the header")
    return rows


def read_groups_csv(path: str | Path) -> dict[str, str]:
    """Read ``queue,group`` lines: which agent group serves each queue."""
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = [f.strip().lower() for f in reader.fieldnames or []]
        if "queue" not in fields or "group" not in fields:
            raise ValueError(f"{path}: expected the columns queue,group")
        reader.fieldnames = fields
        return {r["queue"].strip(): r["group"].strip() for r in reader if r["queue"].strip()}


def read_volumes_csv(path: str | Path) -> list[VolumeRow]:
    """Read a volumes CSV file (UTF-8, with or without a byte-order mark)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise VolumesFormatError(f"{path} is not UTF-8 text ({exc.reason})") from None
    return parse_volumes_csv(text)


def write_volumes_csv(rows: Iterable[VolumeRow], path: str | Path) -> Path:
    """Write volumes in the format :func:`read_volumes_csv` reads; returns the path."""
    out = Path(path)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(VOLUME_COLUMNS)
        for r in rows:
            writer.writerow([r.interval_start.isoformat(), r.queue, repr(r.contacts), repr(r.aht)])
    return out


def _plan_cells(row: PlanRow) -> list[str]:
    return [
        row.interval_start.isoformat(),
        row.queue,
        repr(row.contacts),
        repr(row.aht),
        repr(row.arrival_rate),
        repr(row.traffic),
        str(row.required),
        str(row.scheduled),
        repr(row.service_level),
        repr(row.asa),
        repr(row.occupancy),
        "" if row.abandon is None else repr(row.abandon),
    ]


def write_plan_csv(plan: StaffingPlan, path: str | Path) -> Path:
    """Write one line per interval and queue with the columns :data:`PLAN_COLUMNS`."""
    out = Path(path)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(PLAN_COLUMNS)
        writer.writerows(_plan_cells(r) for r in plan.rows)
    return out


def read_plan_csv(path: str | Path) -> list[PlanRow]:
    """Read the rows of a plan written by :func:`write_plan_csv`."""
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in PLAN_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path} is not a staffing plan: missing {', '.join(missing)}")
        return [
            PlanRow(
                interval_start=datetime.fromisoformat(d["interval_start"]),
                queue=d["queue"],
                contacts=float(d["contacts"]),
                aht=float(d["aht_s"]),
                arrival_rate=float(d["arrival_rate_per_s"]),
                traffic=float(d["traffic_erlangs"]),
                required=int(d["required"]),
                scheduled=int(d["scheduled"]),
                service_level=float(d["service_level"]),
                asa=float(d["asa_s"]),
                occupancy=float(d["occupancy"]),
                abandon=float(d["abandon"]) if d["abandon"] else None,
            )
            for d in reader
        ]


def _finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def plan_to_dict(plan: StaffingPlan) -> dict[str, Any]:
    """A JSON-ready description of ``plan`` (infinite values become ``null``)."""
    target = {k: _finite_or_none(v) for k, v in asdict(plan.target).items()}
    rows: Sequence[dict[str, Any]] = [
        dict(zip(PLAN_COLUMNS, _row_values(r), strict=True)) for r in plan.rows
    ]
    return {
        "interval_seconds": plan.interval_seconds,
        "shrinkage": plan.shrinkage,
        "target": target,
        "model": "erlang_a" if plan.target.uses_abandonment else "erlang_c",
        "totals": {
            "required_agent_intervals": sum(r.required for r in plan.rows),
            "scheduled_agent_intervals": sum(r.scheduled for r in plan.rows),
        },
        "notes": list(plan.notes),
        "rows": list(rows),
    }


def _row_values(r: PlanRow) -> list[Any]:
    return [
        r.interval_start.isoformat(),
        r.queue,
        r.contacts,
        r.aht,
        r.arrival_rate,
        r.traffic,
        r.required,
        r.scheduled,
        _finite_or_none(r.service_level),
        _finite_or_none(r.asa),
        _finite_or_none(r.occupancy),
        _finite_or_none(r.abandon),
    ]


def write_plan_json(plan: StaffingPlan, path: str | Path) -> Path:
    """Write :func:`plan_to_dict` as UTF-8 JSON (Chinese names kept as characters)."""
    out = Path(path)
    out.write_text(json.dumps(plan_to_dict(plan), ensure_ascii=False, indent=2), encoding="utf-8")
    return out
