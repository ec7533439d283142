"""The report pages' downloads (``/reports/export``): per interval and group, or per
contact, as CSV or XLSX, the bytes ``kefu report`` writes.

A per-contact export whose range the report projection serves takes the fast path of
``kefu report --contacts``: the projection's visit columns streamed as tuples and folded
into one tuple per contact (:meth:`~kefu.adapters.storage.report_source.SqlReportSource.
contact_cells`), with no ``Visit`` or ``ContactRow`` object; the interval rows come from the
projection's per-slot sums in SQL. Other ranges and stores fold the visits as before.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from kefu.adapters.storage.report_source import ReportRun
from kefu.analytics import export
from kefu.analytics.contact_rows import ContactCells, ContactRows
from kefu.web.report_form import ReportForm

__all__ = ["XLSX_MEDIA", "contact_csv_bytes", "export_bytes"]

CSV_MEDIA = "text/csv; charset=utf-8"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def contact_csv_bytes(cells: list[ContactCells], timezone: str) -> tuple[bytes, str]:
    """The per-contact CSV of ``cells`` (the fast path's tuples)."""
    text = io.StringIO(newline="")
    export.write_contact_csv(text, cells, timezone)
    return text.getvalue().encode(export.CSV_ENCODING), CSV_MEDIA


def export_bytes(
    run: ReportRun,
    form: ReportForm,
    fmt_: str,
    per: str,
    cells: list[ContactCells] | None = None,
) -> tuple[bytes, str]:
    """The export of ``run`` as ``kefu report --format csv|xlsx`` writes it: per interval
    and group, or per contact (from ``cells`` when given, else from ``run.visits``)."""
    report = run.report
    contacts: tuple[list[str], Iterator[list[export.Cell]]] | None = None
    if per == "contacts" and cells is not None:
        if fmt_ == "csv":
            return contact_csv_bytes(cells, report.timezone)
        contacts = export.cells_table(cells, report.timezone)
    elif per == "contacts":
        collected = ContactRows(form.since, form.until)
        for visit in run.visits or ():
            collected(visit)
        contacts = export.contact_table(collected.sorted(), report.timezone)
    if fmt_ == "csv":
        table = export.row_table(report) if contacts is None else contacts
        text = io.StringIO(newline="")
        export.write_csv(text, table)
        return text.getvalue().encode(export.CSV_ENCODING), CSV_MEDIA
    sheets = [("intervals", export.row_table(report))]
    sheets.append(("totals", export.row_table(report, [*report.groups, report.total])))
    if contacts is not None:
        sheets.append(("contacts", contacts))
    binary = io.BytesIO()
    export.write_xlsx(binary, sheets)
    return binary.getvalue(), XLSX_MEDIA
