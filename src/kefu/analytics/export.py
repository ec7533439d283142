"""CSV and XLSX exports of historical reports: one row per bucket × group, or per contact.

Instants are written as ISO 8601 local times of the report's time zone with their UTC
offset (``2026-01-05T08:30:00+08:00``), durations in seconds, ratios between 0 and 1.
CSV files are UTF-8 with a byte-order mark (``utf-8-sig``) so that Excel shows Chinese
text correctly; the same bytes read fine elsewhere once the mark is skipped.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import IO, Any

from kefu.analytics.buckets import zone
from kefu.analytics.contact_rows import ContactCells, ContactRow
from kefu.analytics.history import HistoryReport, ReportRow

__all__ = [
    "CONTACT_COLUMNS",
    "CSV_ENCODING",
    "FIGURE_COLUMNS",
    "Cell",
    "cells_table",
    "contact_table",
    "row_table",
    "write_contact_csv",
    "write_csv",
    "write_xlsx",
]

CSV_ENCODING = "utf-8-sig"
"""Encoding of exported CSV files: UTF-8 with a byte-order mark (for Excel)."""

FIGURE_COLUMNS = (
    "offered",
    "answered",
    "abandoned",
    "short_abandons",
    "service_level",
    "asa_s",
    "aht_s",
    "talk_s",
    "hold_s",
    "wrapup_s",
    "abandon_rate",
    "longest_wait_s",
    "transferred_out",
    "callbacks",
    "predicted_wait_mae_s",
    "predicted_wait_bias_s",
    "occupancy",
    "utilisation",
    "handling_s",
    "idle_s",
    "staffed_s",
)
CONTACT_COLUMNS = (
    "contact_id",
    "channel",
    "queue_id",
    "last_queue_id",
    "customer_id",
    "value_tier",
    "queued_at",
    "answered_at",
    "ended_at",
    "wait_s",
    "talk_s",
    "hold_s",
    "wrapup_s",
    "agent_id",
    "outcome",
    "disposition",
    "transfers",
)

Cell = str | int | float | None


class _Clock:
    """Formats instants (seconds) as local ISO 8601 times of one zone."""

    def __init__(self, timezone: str) -> None:
        self.tz = zone(timezone)

    def __call__(self, at: float | None) -> str | None:
        if at is None:
            return None
        return datetime.fromtimestamp(at, self.tz).isoformat(timespec="seconds")


class _SecondClock(_Clock):
    """A :class:`_Clock` that formats each whole second once: the text shows whole seconds,
    and zone offsets change on whole seconds, so it depends only on the second
    ``datetime.fromtimestamp`` rounds the instant into (to the microsecond, half to even)."""

    LIMIT = 200_000
    """Seconds kept before the cache starts again (bounds memory on long exports)."""

    def __init__(self, timezone: str) -> None:
        super().__init__(timezone)
        self._texts: dict[int, str] = {}

    def __call__(self, at: float | None) -> str | None:
        if at is None:
            return None
        if at < 0:
            return super().__call__(at)
        whole = int(at)
        if round((at - whole) * 1e6) >= 1_000_000:
            whole += 1
        text = self._texts.get(whole)
        if text is None:
            if len(self._texts) >= self.LIMIT:
                self._texts.clear()
            text = datetime.fromtimestamp(whole, self.tz).isoformat(timespec="seconds")
            self._texts[whole] = text
        return text


def row_table(
    report: HistoryReport, rows: Sequence[ReportRow] | None = None
) -> tuple[list[str], Iterator[list[Cell]]]:
    """Header and rows of the bucket × group table (``rows`` default: ``report.rows``)."""
    clock = _Clock(report.timezone)
    header = ["start", "end", *report.group_by, *FIGURE_COLUMNS]

    def body() -> Iterator[list[Cell]]:
        for row in report.rows if rows is None else rows:
            figures = row.figures()
            yield [
                clock(row.start_s),
                clock(row.end_s),
                *row.group,
                *(figures[c] for c in FIGURE_COLUMNS),
            ]

    return header, body()


def contact_table(
    contacts: Iterable[ContactRow], timezone: str
) -> tuple[list[str], Iterator[list[Cell]]]:
    """Header and rows of the per-contact table."""
    clock = _Clock(timezone)

    def body() -> Iterator[list[Cell]]:
        for c in contacts:
            yield [
                c.contact_id,
                c.channel,
                c.queue_id,
                c.last_queue_id,
                c.customer_id,
                c.value_tier,
                clock(c.queued_at),
                clock(c.answered_at),
                clock(c.ended_at),
                c.wait_s,
                c.talk_s,
                c.hold_s,
                c.wrapup_s,
                c.agent_id,
                c.outcome,
                c.disposition,
                c.transfers,
            ]

    return list(CONTACT_COLUMNS), body()


def cells_table(
    contacts: Sequence[ContactCells], timezone: str
) -> tuple[list[str], Iterator[list[Cell]]]:
    """Header and rows of the per-contact table of
    :func:`~kefu.analytics.contact_rows.contact_cells` tuples: the cells
    :func:`contact_table` gives for the same contacts."""
    clock = _SecondClock(timezone)

    def body() -> Iterator[list[Cell]]:
        for c in contacts:
            yield [*c[:6], clock(c[6]), clock(c[7]), clock(c[8]), *c[9:]]

    return list(CONTACT_COLUMNS), body()


def write_csv(stream: IO[str], table: tuple[list[str], Iterable[list[Cell]]]) -> int:
    """Write a table as CSV (empty cells for missing values) to a text stream opened with
    ``newline=""`` (and :data:`CSV_ENCODING` for a file); the number of data rows."""
    header, rows = table
    writer = csv.writer(stream)
    writer.writerow(header)
    n = 0
    for row in rows:
        writer.writerow(row)
        n += 1
    return n


CHUNK_ROWS = 10_000
"""Rows formatted, then written, at a time by :func:`write_contact_csv`."""


def write_contact_csv(stream: IO[str], contacts: Sequence[ContactCells], timezone: str) -> int:
    """Write the per-contact table of :func:`~kefu.analytics.contact_rows.contact_cells`
    tuples as CSV, the same text :func:`write_csv` writes for :func:`contact_table`, in
    chunks of :data:`CHUNK_ROWS` rows; the number of data rows."""
    clock = _SecondClock(timezone)
    writer = csv.writer(stream)
    writer.writerow(CONTACT_COLUMNS)
    for start in range(0, len(contacts), CHUNK_ROWS):
        writer.writerows(
            [
                (*c[:6], clock(c[6]), clock(c[7]), clock(c[8]), *c[9:])
                for c in contacts[start : start + CHUNK_ROWS]
            ]
        )
    return len(contacts)


def write_xlsx(
    stream: IO[bytes], sheets: Sequence[tuple[str, tuple[list[str], Iterable[Any]]]]
) -> None:
    """Write tables to an XLSX workbook, one sheet each (name, table); missing values are
    empty cells."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for name, (header, rows) in sheets:
        sheet = book.create_sheet(title=name)
        sheet.append(header)
        for row in rows:
            sheet.append(row)
    book.save(stream)
