from __future__ import annotations

import csv
import io

from history_log import T0
from openpyxl import load_workbook
from test_history import HOUR, _day_log

from kefu.analytics import export
from kefu.analytics.contact_rows import ContactRows
from kefu.analytics.history import HistoryBuilder, HistoryReport


def _built() -> tuple[HistoryReport, ContactRows]:
    rows = ContactRows(T0, T0 + HOUR)
    builder = HistoryBuilder(
        T0, T0 + HOUR, period="interval:15", timezone="Asia/Shanghai",
        group_by=["queue", "disposition"], on_visit=rows,
    )  # fmt: skip
    builder.consume_all(_day_log().sorted())
    return builder.result(), rows


def test_given_a_report_when_written_as_bom_csv_then_it_reads_back_cell_for_cell() -> None:
    report, _ = _built()
    raw = io.BytesIO()
    with io.TextIOWrapper(raw, encoding=export.CSV_ENCODING, newline="", write_through=True) as f:
        n = export.write_csv(f, export.row_table(report))
        data = raw.getvalue()
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert n == len(body) == len(report.rows)
    assert header[:4] == ["start", "end", "queue", "disposition"]
    assert body[0][0] == "2026-01-05T08:00:00+08:00"  # local time of the report's zone
    assert ["q", "成交"] in [r[2:4] for r in body]
    offered = header.index("offered")
    assert sum(int(r[offered]) for r in body) == report.total.contacts.offered
    assert all(r[header.index("occupancy")] == "" for r in body)  # not split by queue: empty


def test_given_contacts_when_written_to_xlsx_then_sheets_read_back_with_chinese() -> None:
    report, rows = _built()
    contacts = rows.sorted()
    stream = io.BytesIO()
    export.write_xlsx(
        stream,
        [
            ("intervals", export.row_table(report)),
            ("contacts", export.contact_table(contacts, "Asia/Shanghai")),
        ],
    )
    book = load_workbook(io.BytesIO(stream.getvalue()), read_only=True)
    sheet = list(book["contacts"].iter_rows(values_only=True))
    assert sheet[0] == export.CONTACT_COLUMNS
    by_id = {r[0]: dict(zip(sheet[0], r, strict=True)) for r in sheet[1:]}
    assert len(by_id) == len(contacts) == 5
    assert by_id["c1"]["customer_id"] == "客户一"
    assert by_id["c1"]["disposition"] == "成交"
    assert by_id["c4"]["transfers"] == 1
    assert by_id["c2"]["agent_id"] is None  # abandoned: an empty cell
    assert by_id["c1"]["talk_s"] == 230


def test_given_edge_instants_when_formatted_once_per_second_then_same_text() -> None:
    # Fractions that round up to the next second, and instants around DST changes
    # (New York in autumn and spring, London in spring).
    edges = [1762063200.0, 1741503600.0, 1711846800.0, T0]
    fractions = [0.0, 0.4999995, 0.5, 0.9999994, 0.9999995, 0.9999996, 0.999999999]
    instants = [e + s + f for e in edges for s in range(-3, 3) for f in fractions]
    instants += [T0 + i * 0.37 for i in range(2000)]
    for tz in ("Asia/Shanghai", "America/New_York", "Europe/London", "Asia/Kathmandu"):
        slow, fast = export._Clock(tz), export._SecondClock(tz)
        assert [fast(at) for at in instants] == [slow(at) for at in instants]
        assert fast(None) is None
