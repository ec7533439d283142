"""What the report pages show, built from a report: the table lines (sorted, with their
drill-down links), the chart's bars per bucket, and the formats of the figures.

Pure functions of a :class:`~kefu.analytics.history.HistoryReport` and a
:class:`~kefu.web.report_form.ReportForm`; the pages render them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from kefu.analytics.buckets import zone
from kefu.analytics.history import HistoryReport, ReportRow, group_key
from kefu.analytics.visits import Visit
from kefu.web.report_chart import Bar
from kefu.web.report_form import ReportForm

__all__ = [
    "COLUMNS",
    "DRILLABLE",
    "Line",
    "bucket_bars",
    "fmt",
    "lines",
    "local_stamp",
    "local_time",
    "matching_visits",
]

COLUMNS = (
    ("offered", "count"),
    ("answered", "count"),
    ("abandoned", "count"),
    ("short_abandons", "count"),
    ("service_level", "ratio"),
    ("asa_s", "seconds"),
    ("aht_s", "seconds"),
    ("talk_s", "seconds"),
    ("hold_s", "seconds"),
    ("wrapup_s", "seconds"),
    ("occupancy", "ratio"),
    ("utilisation", "ratio"),
    ("transferred_out", "count"),
    ("callbacks", "count"),
    ("predicted_wait_mae_s", "seconds"),
)
"""The table's figure columns and how each is shown."""
DRILLABLE = {"offered": None, "answered": "answered", "abandoned": "abandoned"}
"""The columns whose cells link to their contacts, with the outcome they filter on."""


def fmt(value: float | None, kind: str) -> str:
    """A figure as the page shows it: counts whole, ratios in per cent with one decimal,
    seconds with one decimal; ``–`` for a figure without a value."""
    if value is None:
        return "–"
    if kind == "ratio":
        return f"{100 * value:.1f} %"
    if kind == "seconds":
        return f"{value:.1f}"
    return f"{value:g}"


def local_time(at: float, timezone: str, period: str = "interval") -> str:
    """An instant (seconds) as the table labels it: the date for days, weeks and
    months, the date and time for intervals."""
    moment = datetime.fromtimestamp(at, zone(timezone))
    if period.startswith("interval"):
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.strftime("%Y-%m-%d")


def local_stamp(at: float, timezone: str) -> str:
    """An instant (seconds) as a local date and time to the second."""
    return datetime.fromtimestamp(at, zone(timezone)).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True, slots=True)
class Line:
    """One table line: its bucket (``None`` for a total over the range), group, figures
    (raw, for sorting and tests) and the drill-down query of each drillable column."""

    start_s: float | None
    label: str
    group: tuple[str, ...]
    figures: dict[str, float | None]
    drill: dict[str, str]


def _drill(row: ReportRow, form: ReportForm, timezone: str) -> dict[str, str]:
    tz = zone(timezone)
    base: list[tuple[str, str]] = [
        ("since", datetime.fromtimestamp(row.start_s, tz).isoformat(timespec="seconds")),
        ("until", datetime.fromtimestamp(row.end_s, tz).isoformat(timespec="seconds")),
        ("period", form.period),
        *(zip(form.group_by, row.group, strict=True) if row.group else ()),
    ]
    if form.site is not None:
        base.append(("site", form.site))
    out = {}
    for column, outcome in DRILLABLE.items():
        values = base if outcome is None else [*base, ("outcome", outcome)]
        out[column] = urlencode(values)
    return out


def lines(
    rows: Iterable[ReportRow], form: ReportForm, report: HistoryReport, *, per_bucket: bool
) -> list[Line]:
    """The table's lines of ``rows``, sorted as the form asks (ties by bucket and group);
    ``per_bucket``: label each line with its bucket, else it covers the range."""
    out = [
        Line(
            row.start_s if per_bucket else None,
            local_time(row.start_s, report.timezone, report.period) if per_bucket else "",
            row.group,
            row.figures(),
            _drill(row, form, report.timezone),
        )
        for row in rows
    ]
    sort = form.sort
    if sort in ("start", "group"):
        out.sort(
            key=lambda ln: (
                (ln.group, ln.start_s or 0.0) if sort == "group" else (ln.start_s or 0.0, ln.group)
            ),
            reverse=form.descending,
        )
        return out
    present = [ln for ln in out if ln.figures.get(sort) is not None]
    missing = [ln for ln in out if ln.figures.get(sort) is None]
    present.sort(key=lambda ln: (ln.start_s or 0.0, ln.group))
    present.sort(key=lambda ln: float(ln.figures[sort] or 0.0), reverse=form.descending)
    return present + missing  # figures without a value last, either way


def bucket_bars(report: HistoryReport) -> list[Bar]:
    """Per bucket of the report, answered, abandoned and the rest of what was offered
    (counts summed over the groups)."""
    sums = {k: [0, 0, 0] for k in range(len(report.buckets) - 1)}
    index = {edge: k for k, edge in enumerate(report.buckets[:-1])}
    for row in report.rows:
        k = index.get(row.start_s)
        if k is None:
            continue
        c = row.contacts
        part = sums[k]
        part[0] += c.answered
        part[1] += c.abandoned
        part[2] += c.offered - c.answered - c.abandoned
    return [
        Bar(local_time(report.buckets[k], report.timezone, report.period), tuple(map(float, p)))
        for k, p in sums.items()
    ]


def matching_visits(
    visits: Iterable[Visit],
    since: float,
    until: float,
    filters: Sequence[tuple[str, str]],
    outcome: str | None,
) -> list[Visit]:
    """The visits that entered a queue in [since, until) (seconds) whose groups equal
    ``filters`` ((dimension, label) pairs) and, when given, whose outcome is ``outcome``;
    by the instant they queued."""
    dims = [d for d, _ in filters]
    wanted = tuple(label for _, label in filters)
    found = [
        v
        for v in visits
        if since <= v.queued_at < until
        and (outcome is None or v.outcome == outcome)
        and group_key(v, dims) == wanted
    ]
    found.sort(key=lambda v: (v.queued_at, v.contact_id, v.leg))
    return found
