"""The report pages on the in-memory store: ``/reports`` (table, sort, exports), the
drill-down to contacts and events, the scorecards and the executive dashboard, and who may
open each (agents: their own scorecard only; supervisors: their sites; admins: all)."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from api_helpers import Api, csrf_of
from openpyxl import load_workbook

from kefu.analytics.history import SL_VARIANT, history_report
from kefu.i18n import catalogs
from kefu.service.reports import REPORT_STREAM, ReportBook

V1 = "/api/v1"
DAY = "since=2023-11-15&until=2023-11-16"
"""The day of the traffic below (the manual clock starts at 06:13:20 in Shanghai)."""


@pytest.fixture
def traffic(center: Api) -> Api:
    """Billing (sh): c1 answered by a1 after 8 s, talked 100 s; c2 abandoned after 30 s.
    bj-local (bj): c3 answered by b1 at once. a1 takes a 10-minute break (reason lunch)."""
    c, clock = center.client, center.clock
    center.user("sup", "supervisor", sites=("sh",))
    center.user("agent1", "agent", agent_id="a1")
    one = c.post(f"{V1}/contacts", json={"queue_id": "billing", "customer_id": "k1"}).json()
    clock.advance(8)
    assert c.post(f"{V1}/agents/a1/state", json={"presence": "ready"}).status_code == 200
    offer = c.get(f"{V1}/contacts/{one['contact_id']}").json()["offer_id"]
    c.post(f"{V1}/contacts/{one['contact_id']}/accept", json={"offer_id": offer})
    clock.advance(100)
    c.post(f"{V1}/contacts/{one['contact_id']}/complete", json={"disposition": "solved"})
    clock.advance(10)
    c.post(f"{V1}/contacts/{one['contact_id']}/end-wrapup")
    body = {"presence": "not_ready", "reason": "lunch"}
    assert c.post(f"{V1}/agents/a1/state", json=body).status_code == 200
    two = c.post(f"{V1}/contacts", json={"queue_id": "billing"}).json()
    clock.advance(30)
    c.post(f"{V1}/contacts/{two['contact_id']}/abandon")
    c.post(f"{V1}/agents/b1/state", json={"presence": "ready"})
    three = c.post(f"{V1}/contacts", json={"queue_id": "bj-local"}).json()
    offer = c.get(f"{V1}/contacts/{three['contact_id']}").json()["offer_id"]
    c.post(f"{V1}/contacts/{three['contact_id']}/accept", json={"offer_id": offer})
    clock.advance(600 - 30)
    c.post(f"{V1}/agents/a1/state", json={"presence": "ready"})
    clock.advance(60)
    return center


def _cell(page: str, table: str, row_label: str, column: str) -> str:
    """The text of ``column``'s cell in the line of ``table`` whose first cell is
    ``row_label`` (links stripped)."""
    body = page.split(f'<table id="{table}">', 1)[1].split("</table>", 1)[0]
    for line in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        first = re.search(r"<td[^>]*>(.*?)</td>", line, re.S)
        if first and re.sub(r"<[^>]+>", "", first.group(1)).strip() == row_label:
            found = re.search(rf'<td data-col="{column}">(.*?)</td>', line, re.S)
            assert found, (row_label, column)
            return re.sub(r"<[^>]+>", "", found.group(1)).strip()
    raise AssertionError(f"no line {row_label!r} in {table}")


def _quality(page: str, label: str, column: str) -> str:
    body = page.split('<table id="groups">', 1)[1].split("</table>", 1)[0]
    line = re.search(rf'<td class="label">{label}</td>(.*?)</tr>', body, re.S)
    assert line, label
    found = re.search(rf'<td data-col="{column}">(.*?)</td>', line.group(1))
    assert found, column
    return found.group(1)


def test_given_traffic_when_an_admin_reports_by_queue_then_the_figures_are_the_reports(
    traffic: Api,
) -> None:
    page = traffic.login("root").get(f"/reports?{DAY}&period=day&group=queue")
    assert page.status_code == 200, page.text
    events = [s.event for s in traffic.store.store.events]
    since = 1_699_977_600.0  # 2023-11-15 00:00 Shanghai
    expected = history_report(
        events, since, since + 86_400, period="day", timezone="Asia/Shanghai", group_by=["queue"]
    )
    by_queue = {r.group[0]: r.figures() for r in expected.groups}
    assert set(by_queue) == {"billing", "bj-local"}
    assert _cell(page.text, "groups", "billing", "offered") == "2"
    assert _cell(page.text, "groups", "billing", "answered") == "1"
    assert _cell(page.text, "groups", "billing", "abandoned") == "1"
    assert _cell(page.text, "groups", "billing", "asa_s") == f"{by_queue['billing']['asa_s']:.1f}"
    assert _cell(page.text, "groups", "billing", "asa_s") == "8.0"
    assert _cell(page.text, "groups", "billing", "aht_s") == "110.0"
    # SL = 1 answered within 20 s / (2 offered - 0 short abandons)
    assert by_queue["billing"]["service_level"] == 0.5
    assert _cell(page.text, "groups", "billing", "service_level") == "50.0 %"
    assert _cell(page.text, "groups", "bj-local", "offered") == "1"
    assert "<svg" in page.text and "SL(T) = answered within T s" in page.text
    # quality beside the figures: CSAT (no survey sent: none), FCR when asked
    assert _quality(page.text, "billing", "csat") == "–" and 'id="show-fcr"' in page.text
    asked = traffic.login("root").get(f"/reports?{DAY}&period=day&group=queue&fcr=1").text
    assert _quality(asked, "billing", "fcr") == "–"  # c1's 7-day window is not over
    week = "since=2023-11-15&until=2023-11-23&period=day&group=queue&fcr=1"
    later = traffic.login("root").get(f"/reports?{week}").text
    assert _quality(later, "billing", "fcr") == "100.0 %"  # k1 did not come back


def test_given_a_chinese_reader_when_reports_open_then_the_sl_definition_is_chinese(
    traffic: Api,
) -> None:
    browser = traffic.login("root")
    page = browser.get(f"/reports?{DAY}&group=queue", headers={"Accept-Language": "zh-CN"})
    shown = re.search(r'<span id="sl-variant">(.*?)</span>', page.text, re.S)
    assert page.status_code == 200 and shown
    assert html.unescape(shown.group(1)) == catalogs().get("zh").text("reports.sl_definition")
    assert "秒内接通" in shown.group(1) and "answered within" not in page.text
    # the English page states the definition the CLI and the JSON report state
    assert catalogs().get("en").text("reports.sl_definition") == SL_VARIANT


def test_given_a_supervisor_then_only_their_sites_and_another_site_is_404(traffic: Api) -> None:
    browser = traffic.login("sup")
    assert 'href="/reports"' in browser.get("/wallboard").text
    page = browser.get(f"/reports?{DAY}&group=queue")
    assert page.status_code == 200
    assert "billing" in page.text and "bj-local" not in page.text
    assert browser.get(f"/reports?{DAY}&site=bj").status_code == 404
    for page_url in (
        "/reports/export",
        "/reports/contacts",
        "/reports/agents",
        "/reports/executive",
    ):
        assert browser.get(f"{page_url}?{DAY}&site=bj").status_code == 404, page_url
    exported = browser.get(f"/reports/export?{DAY}&group=queue&format=csv&rows=contacts")
    ids = [r["contact_id"] for r in csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff")))]
    assert ids == ["c1", "c2"]
    assert browser.get("/reports/contacts/c3").status_code == 404
    assert browser.get("/reports/contacts/c1").status_code == 200
    assert browser.get("/reports/agents/b1").status_code == 404
    team = browser.get(f"/reports/agents?{DAY}")
    assert 'data-agent="a1"' in team.text and 'data-agent="b1"' not in team.text
    executive = browser.get("/reports/executive")
    assert executive.status_code == 200 and 'data-queue="bj-local"' not in executive.text
    assert 'data-queue="billing"' in executive.text and 'id="show-fcr"' in executive.text
    assert 'id="fcr">' in browser.get("/reports/executive?fcr=1").text


def test_given_an_agent_then_only_their_own_scorecard(traffic: Api) -> None:
    browser = traffic.login("agent1")
    for url in (
        f"/reports?{DAY}",
        f"/reports/export?{DAY}&format=csv",
        f"/reports/contacts?{DAY}",
        "/reports/contacts/c1",
        "/reports/agents",
        "/reports/executive",
        "/reports/agents/a2",
    ):
        assert browser.get(url).status_code == 403, url
    assert 'href="/reports/agents/a1"' in browser.get("/desktop").text  # the desktop's link
    own = browser.get(f"/reports/agents/a1?{DAY}")
    assert own.status_code == 200
    assert 'id="handled">1<' in own.text
    assert 'id="show-fcr"' in own.text and 'id="fcr"' not in own.text  # FCR when asked
    # asked: c1's 7-day window is not over, so its FCR is still pending (no value)
    assert 'id="fcr">–<' in browser.get(f"/reports/agents/a1?{DAY}&fcr=1").text
    assert 'data-channel="voice"' in own.text
    # 10 minutes not ready for lunch
    assert re.search(
        r'data-reason="lunch"><td[^>]*>not_ready</td><td[^>]*>lunch</td><td>10.0<', own.text
    )


def test_given_no_login_then_the_pages_go_to_the_login(traffic: Api) -> None:
    anonymous = traffic.anonymous()
    for url in ("/reports", "/reports/export", "/reports/agents/a1", "/reports/executive"):
        answer = anonymous.get(url, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login"), url


def test_given_a_cell_when_drilled_down_then_its_contacts_and_their_events(traffic: Api) -> None:
    browser = traffic.login("root")
    page = browser.get(f"/reports?{DAY}&period=day&group=queue")
    link = re.search(
        r'href="(/reports/contacts\?[^"]*queue=billing[^"]*outcome=abandoned)"', page.text
    )
    assert link, "no drill-down link on the abandoned cell"
    contacts = browser.get(link.group(1).replace("&amp;", "&"))
    assert contacts.status_code == 200
    assert 'id="count">1<' in contacts.text and "/reports/contacts/c2" in contacts.text
    events = browser.get("/reports/contacts/c2")
    assert "ContactQueued" in events.text or "contact_queued" in events.text
    assert "abandon" in events.text.lower()
    assert browser.get("/reports/contacts/nobody").status_code == 404


def test_given_sort_by_a_column_then_the_lines_follow_it(traffic: Api) -> None:
    browser = traffic.login("root")
    up = browser.get(f"/reports?{DAY}&period=day&group=queue&sort=offered&order=asc")
    down = browser.get(f"/reports?{DAY}&period=day&group=queue&sort=offered&order=desc")
    order = lambda text: re.findall(r'<td class="label">(billing|bj-local)</td>', text)  # noqa: E731
    assert order(up.text.split('id="rows"')[0])[:2] == ["bj-local", "billing"]
    assert order(down.text.split('id="rows"')[0])[:2] == ["billing", "bj-local"]


def test_given_exports_then_csv_per_interval_and_xlsx_sheets(traffic: Api) -> None:
    browser = traffic.login("root")
    answer = browser.get(f"/reports/export?{DAY}&period=interval:60&group=queue&format=csv")
    assert answer.status_code == 200 and answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert sum(int(r["offered"]) for r in rows) == 3
    assert {r["queue"] for r in rows} == {"billing", "bj-local"}
    book = browser.get(f"/reports/export?{DAY}&format=xlsx&rows=contacts")
    sheets = load_workbook(io.BytesIO(book.content), read_only=True).sheetnames
    assert sheets == ["intervals", "totals", "contacts"]


@pytest.mark.parametrize(
    "query",
    ["since=yesterday", "period=interval:7", "group=colour", "since=2023-11-16&until=2023-11-15"],
)
def test_given_bad_input_then_400_with_the_reason(api: Api, query: str) -> None:
    browser = api.login("root")
    answer = browser.get(f"/reports?{query}&lang=zh")
    assert answer.status_code == 400 and 'id="error"' in answer.text
    assert browser.get(f"/reports/export?{DAY}&format=pdf").status_code == 400


def test_given_a_saved_report_then_its_owner_lists_it_and_the_log_keeps_it(traffic: Api) -> None:
    browser = traffic.login("sup")
    page = browser.get(f"/reports?{DAY}&group=queue")
    token = csrf_of(page.text)
    found = re.search(r'name="params" value="([^"]*)"', page.text)
    assert found
    params = html.unescape(found.group(1))
    form = {"csrf_token": token, "name": "每日队列", "params": params}
    form |= {"every": "weekly", "to": "boss@example.com"}
    done = browser.post("/reports/saved", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/reports?{params}"
    listed = browser.get("/reports").text
    assert "每日队列" in listed and "boss@example.com" in listed
    assert "每日队列" not in traffic.login("root").get("/reports").text  # per user
    records = [r for r in traffic.store.store.records if r.stream == REPORT_STREAM]
    assert [(r.kind, r.data["name"]) for r in records] == [("saved", "每日队列")]
    book = ReportBook(lambda *_args: None)
    book.load(records)  # what a restart rebuilds
    owner = records[0].subject_id
    assert [(s.name, s.params) for s in book.of(owner)] == [("每日队列", params)]
    bad = browser.post("/reports/saved", data={**form, "params": "colour=red"})
    assert bad.status_code == 400 and 'id="error"' in bad.text
    forged = browser.post("/reports/saved", data={**form, "csrf_token": "0"})
    assert forged.status_code == 403
    agent = traffic.login("agent1")
    assert agent.post("/reports/saved", data=form).status_code == 403
    gone = browser.post("/reports/saved/delete", data={"csrf_token": token, "name": "每日队列"})
    assert gone.status_code == 200 and "每日队列" not in gone.text
    assert [r.kind for r in traffic.store.store.records if r.stream == REPORT_STREAM] == [
        "saved",
        "deleted",
    ]
