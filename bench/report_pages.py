"""The report pages against the report code they render: what the browser adds.

Fills a SQLite store with synthetic days (the generator of ``bench/reports.py``: agents on
8-hour shifts taking contacts back to back), builds the report projection, serves the app
on it in process (``fastapi.testclient``, logged in as an admin) and times, median of
``--repeat`` runs each:

- the report the page shows (all days but the last, by day and queue) read by the report
  source alone,
  from the projection and from the events, then ``GET /reports`` (projection: the range is
  in the past), the ratio page / source printed;
- a day's CSV per contact from ``GET /reports/export`` (the projection's streamed tuples)
  against the same rows written by the export code directly, both from the tuples and
  from ``Visit`` objects through ``ContactRows`` (the page's path before the tuples);
- the drill-down of a queue's day (``GET /reports/contacts``) and an agent's scorecard.

Usage: ``PYTHONPATH=src python bench/report_pages.py [--days 3] [--agents 200]``
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from fastapi.testclient import TestClient

from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine, sqlite_url
from kefu.adapters.storage.report_projection import rebuild
from kefu.adapters.storage.report_source import ReportQuery, SqlReportSource
from kefu.analytics import export
from kefu.analytics.contact_rows import ContactRows
from kefu.bootstrap import build_test
from kefu.config import Settings
from kefu.domain import events as ev
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.testing import ManualClock
from reports import MONTH0, QUEUES, RESULTS, Generator, _insert, _machine, _setup

DAY = 86_400.0
ZONE = "Asia/Shanghai"
PASSWORD = "bench password 口令"


def _median(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _fill(engine: Any, gen: Generator, days: int) -> int:
    """The store with the queues and agents defined in the log first (the engine replays
    the log on start), then ``days`` generated days; the number of events."""
    _setup(engine, gen.agents)
    at = MONTH0 - 3600.0
    specs: list[ev.Event] = [
        ev.QueueDefined(
            at,
            QueueSpec(q, Channel.CHAT if q.startswith("chat") else Channel.VOICE, site_id="sh"),
        )
        for q in QUEUES
    ]
    specs += [ev.AgentDefined(at, AgentSpec(a, site_id="sh")) for a in gen.agents]
    rows = [
        (type(e).__name__, e.at, None, getattr(e.spec, "agent_id", None), json.dumps(payload))
        for e in specs
        if (payload := ev.event_to_dict(e))
    ]
    _insert(engine, rows)
    n = len(rows)
    for d in range(days):
        day = gen.day(MONTH0 + d * DAY)
        _insert(engine, day)
        n += len(day)
    return n


def _login(client: TestClient) -> None:
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form)
    assert token
    done = client.post(
        "/login",
        data={"username": "boss", "password": PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    record: dict[str, Any] = {
        "benchmark": "report_pages",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**_machine(), "loadavg_at_start": os.getloadavg()},
        "note": "shared machine (2 cores, several other jobs running): compare the ratios "
        "of the same run",
        "params": dict(vars(args)),
    }
    if not 2 <= args.days <= 28:
        parser.error("--days must be 2 to 28")
    # The range stops a day before the data end: the projection is complete up to the last
    # whole slot before the log's end as the engine sees it (agents still logged in).
    since, until = MONTH0, MONTH0 + (args.days - 1) * DAY
    span = f"since=2026-01-01&until=2026-01-{args.days:02d}"
    with tempfile.TemporaryDirectory(prefix="kefu-bench-pages-") as tmp:
        engine = make_engine(sqlite_url(str(Path(tmp) / "pages.sqlite3")))
        gen = Generator(args.agents, 3, talk_s=300.0, idle_s=400.0)
        events = _fill(engine, gen, args.days)
        rebuild(engine)
        print(f"stored {events:,} events ({gen.n:,} contacts), projection built")
        source = SqlReportSource(engine)
        query = ReportQuery(since, until, period="day", timezone=ZONE, group_by=("queue",))
        events_query = ReportQuery(
            since, until, period="day", timezone=ZONE, group_by=("queue",), source="events"
        )
        figures: dict[str, float] = {}
        figures["source_projection_s"] = _median(lambda: source.run(query), args.repeat)
        figures["source_events_s"] = _median(lambda: source.run(events_query), args.repeat)

        def direct_export() -> int:
            run = source.run(ReportQuery(since, since + DAY, timezone=ZONE), True)
            rows = ContactRows(since, since + DAY)
            for visit in run.visits or ():
                rows(visit)
            return export.write_csv(
                io.StringIO(), export.contact_table(rows.sorted(), run.report.timezone)
            )

        def tuples_export() -> int:
            cells = source.contact_cells(ReportQuery(since, since + DAY, timezone=ZONE))
            assert cells is not None
            return export.write_contact_csv(io.StringIO(newline=""), cells, ZONE)

        contacts = direct_export()
        assert tuples_export() == contacts
        figures["export_direct_s"] = _median(direct_export, args.repeat)
        figures["export_tuples_s"] = _median(tuples_export, args.repeat)
        settings = Settings(
            env="test", password_time_cost=1, password_memory_kib=64, password_parallelism=1
        )
        t0 = time.perf_counter()
        platform = build_test(
            settings, clock=ManualClock(until + DAY), uow_factory=SqlUnitOfWorkFactory(engine)
        )
        with TestClient(platform.app) as client:
            figures["app_start_s"] = time.perf_counter() - t0
            platform.security.users.create(username="boss", password=PASSWORD, role="admin")
            _login(client)
            page_url = f"/reports?{span}&period=day&group=queue"
            shown = client.get(page_url)
            assert shown.status_code == 200, shown.text[:500]
            record["page_source"] = re.findall(r"read from the ([a-z ]+)\.", shown.text)
            figures["page_s"] = _median(lambda: client.get(page_url), args.repeat)
            day_url = "/reports/export?since=2026-01-01&until=2026-01-02&format=csv&rows=contacts"
            got = client.get(day_url)
            assert got.status_code == 200 and got.text.count("\n") == contacts + 1
            figures["export_page_s"] = _median(lambda: client.get(day_url), args.repeat)
            drill = "/reports/contacts?since=2026-01-01&until=2026-01-02&queue=贷款"
            figures["drill_down_s"] = _median(lambda: client.get(drill), args.repeat)
            card = f"/reports/agents/{gen.agents[0]}?since=2026-01-01&until=2026-01-02"
            figures["scorecard_s"] = _median(lambda: client.get(card), args.repeat)
        engine.dispose()
    figures = {k: round(v, 3) for k, v in figures.items()}
    figures["page_over_source"] = round(figures["page_s"] / figures["source_projection_s"], 2)
    figures["export_page_over_direct"] = round(
        figures["export_page_s"] / figures["export_direct_s"], 2
    )
    figures["export_page_over_tuples"] = round(
        figures["export_page_s"] / figures["export_tuples_s"], 2
    )
    record.update(events=events, contacts_day=contacts, figures=figures)
    record["machine"]["loadavg_at_end"] = os.getloadavg()
    print(
        f"report by day and queue ({args.days - 1} days): source "
        f"{figures['source_projection_s']} s (projection), {figures['source_events_s']} s "
        "(events); page "
        f"{figures['page_s']} s (x{figures['page_over_source']} the source)"
    )
    print(
        f"one-day CSV per contact ({contacts:,} contacts): export code from Visit objects "
        f"{figures['export_direct_s']} s, from streamed tuples {figures['export_tuples_s']} s; "
        f"page {figures['export_page_s']} s (x{figures['export_page_over_direct']} the "
        f"objects, x{figures['export_page_over_tuples']} the tuples)"
    )
    print(
        f"drill-down of a queue's day {figures['drill_down_s']} s; scorecard "
        f"{figures['scorecard_s']} s; app start on the store {figures['app_start_s']:.1f} s"
    )
    print(f"the page read from the {', '.join(record.get('page_source', []))}")
    print(f"load average {record['machine']['loadavg_at_start']} -> {os.getloadavg()}")
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        path = RESULTS / f"report-pages-{stamp}.json"
        path.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"recorded {path}")
    return record


if __name__ == "__main__":
    main()
