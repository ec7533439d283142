"""Workforce from the browser on the in-memory store: a plan from the stored history,
published to agents, the agents' own schedules, adherence, and who may see what."""

from __future__ import annotations

import re
import time

import pytest
from api_helpers import Api, csrf_of

from kefu.service.workforce import WORKFORCE_STREAM, WorkforceBook

V1 = "/api/v1"
H = 3600.0
NOON_16 = 1_700_107_200.0
"""2023-11-16 12:00 in Shanghai (the manual clock starts at 2023-11-15 06:13:20 there)."""


@pytest.fixture
def history(center: Api) -> Api:
    """On 2023-11-15, a billing contact every 30 minutes from 06:13 to 17:43 (each
    abandoned after 40 s); then the clock moves to 2023-11-16 12:00."""
    c, clock = center.client, center.clock
    center.user("sup", "supervisor", sites=("sh",))
    center.user("agent1", "agent", agent_id="a1")
    for _ in range(24):
        made = c.post(f"{V1}/contacts", json={"queue_id": "billing"}).json()
        clock.advance(40)
        c.post(f"{V1}/contacts/{made['contact_id']}/abandon")
        clock.advance(1800 - 40)
    clock.advance(NOON_16 - clock.now())
    return center


def _finished(browser: object, url: str) -> str:
    deadline = time.monotonic() + 60
    while True:
        page = browser.get(url)  # type: ignore[attr-defined]
        assert page.status_code == 200, page.text
        if 'id="working"' not in page.text or time.monotonic() > deadline:
            return str(page.text)
        time.sleep(0.2)


def test_given_history_when_a_supervisor_plans_and_publishes_then_the_agent_sees_shifts(
    history: Api,
) -> None:
    sup = history.login("sup")
    form = sup.get("/workforce")
    assert form.status_code == 200 and 'value="billing"' in form.text
    assert 'value="bj-local"' not in form.text
    data = {
        "csrf_token": csrf_of(form.text),
        "site": "sh",
        "queue": "billing",
        "since": "2023-11-15",
        "until": "2023-11-15",
        "interval": "30",
        "horizon": "1",
        "time_limit": "4",
    }
    started = sup.post("/workforce/plan", data=data, follow_redirects=False)
    assert started.status_code == 303, started.text
    url = started.headers["location"]
    page = _finished(sup, url)
    assert 'id="publish"' in page, page
    assert "the mean of each time of day over 1 days" in page
    planned = set(re.findall(r'<tr data-agent="(a\d)"', page))
    assert planned and planned <= {"a1", "a2"}
    assert history.login("agent1").get(url).status_code == 403
    published = sup.post(
        f"{url}/publish", data={"csrf_token": csrf_of(page)}, follow_redirects=False
    )
    assert published.status_code == 303, published.text
    shifts = history.client.get(f"{V1}/workforce/shifts?site_id=sh&since={NOON_16 - 12 * H}")
    assert shifts.status_code == 200
    mine = [s for s in shifts.json() if s["agent_id"] == "a1"]
    own = history.login("agent1").get("/me/schedule")
    assert own.status_code == 200
    assert own.text.count('class="label shift"') == len(
        [s for s in mine if s["end"] > history.clock.now()]
    )
    zh = history.login("agent1").get("/me/schedule?lang=zh")
    assert "我的班表" in zh.text


def test_given_a_published_shift_when_the_agent_is_late_then_out_until_ready(
    history: Api,
) -> None:
    now = history.clock.now()
    body = {
        "site_id": "sh",
        "since": now - 12 * H,
        "until": now + 12 * H,
        "shifts": [
            {"agent_id": "a1", "start": now - 10 * 60, "end": now + 8 * H},
            {"agent_id": "a2", "start": now + H, "end": now + 9 * H},
        ],
    }
    made = history.client.post(f"{V1}/workforce/schedules", json=body)
    assert made.status_code == 201, made.text
    sup = history.login("sup")
    page = sup.get("/workforce/adherence?tolerance=5").text
    row = re.search(r'<tr data-agent="a1" class="out">(.*?)</tr>', page, re.S)
    assert row and "late log-in" in row.group(1)
    assert '<tr data-agent="a2" class="in">' in page
    history.client.post(f"{V1}/agents/a1/state", json={"presence": "ready"})
    history.clock.advance(30 * 60)
    page = sup.get("/workforce/adherence?tolerance=5").text
    row = re.search(r'<tr data-agent="a1" class="in">(.*?)</tr>', page, re.S)
    assert row
    # 40 min scheduled today so far, 10 late: 75 %
    assert "75.0 %" in row.group(1)
    # A stretch within the tolerance is forgiven.
    assert "100.0 %" in sup.get("/workforce/adherence?tolerance=10").text
    # The scorecards show it too (at the settings' tolerance, 5 min).
    day = "since=2023-11-16&until=2023-11-17"
    card = history.login("agent1").get(f"/reports/agents/a1?{day}").text
    assert re.search(r'id="adherence">75.0 %<', card)
    team = sup.get(f"/reports/agents?{day}").text
    line = re.search(r'<tr data-agent="a2">(.*?)</tr>', team, re.S)
    assert line and '<td data-col="adherence">–</td>' in line.group(1)  # not on shift yet


def test_given_roles_then_agents_see_only_their_shifts_and_supervisors_their_sites(
    history: Api,
) -> None:
    now = history.clock.now()
    for site, agent in (("sh", "a2"), ("bj", "b1")):
        body = {
            "site_id": site,
            "since": now,
            "until": now + 24 * H,
            "shifts": [{"agent_id": agent, "start": now + H, "end": now + 5 * H}],
        }
        assert history.client.post(f"{V1}/workforce/schedules", json=body).status_code == 201
    browser = history.login("agent1")
    assert browser.get("/workforce").status_code == 403
    assert browser.get("/workforce/adherence").status_code == 403
    agent = history.anonymous()
    agent.headers.update(history.token("agent1"))
    assert agent.get(f"{V1}/workforce/shifts?agent_id=a2").status_code == 403
    assert agent.get(f"{V1}/workforce/shifts").json() == []
    assert agent.get(f"{V1}/workforce/agents/a1/rules").json()["contracted_hours"] == 40
    rules = {"contracted_hours": 30, "days_off": [5, 6]}
    assert agent.put(f"{V1}/workforce/agents/a1/rules", json=rules).status_code == 403
    page = history.login("sup")
    assert page.get("/workforce?site=bj").status_code == 404
    assert page.get("/workforce/adherence?site=bj").status_code == 404
    sup = history.anonymous()
    sup.headers.update(history.token("sup"))
    assert sup.get(f"{V1}/workforce/shifts?site_id=bj").status_code == 404
    seen = sup.get(f"{V1}/workforce/shifts").json()
    assert [(s["agent_id"], s["timezone"]) for s in seen] == [("a2", "Asia/Shanghai")]
    assert sup.put(f"{V1}/workforce/agents/b1/rules", json=rules).status_code == 404
    done = sup.put(f"{V1}/workforce/agents/a2/rules", json=rules)
    assert done.status_code == 200 and done.json()["days_off"] == [5, 6]
    bad = sup.put(f"{V1}/workforce/agents/a2/rules", json={"contracted_hours": 0})
    assert bad.status_code == 422
    body = {
        "site_id": "bj",
        "since": now,
        "until": now + H,
        "shifts": [{"agent_id": "b1", "start": now, "end": now + H}],
    }
    assert sup.post(f"{V1}/workforce/schedules", json=body).status_code == 404


def test_given_bad_input_then_refused_with_a_reason_and_nothing_stored(history: Api) -> None:
    now = history.clock.now()
    count = history.event_count()
    overlap = {
        "site_id": "sh",
        "since": now,
        "until": now + 24 * H,
        "shifts": [
            {"agent_id": "a1", "start": now, "end": now + 4 * H},
            {"agent_id": "a1", "start": now + 3 * H, "end": now + 6 * H},
        ],
    }
    refused = history.client.post(f"{V1}/workforce/schedules", json=overlap)
    assert refused.status_code == 422 and "overlap" in refused.text
    stray = dict(overlap, shifts=[{"agent_id": "b1", "start": now, "end": now + H}])
    assert history.client.post(f"{V1}/workforce/schedules", json=stray).status_code == 404
    assert history.client.get(f"{V1}/workforce/shifts?site_id=sh").json() == []
    assert history.event_count() == count
    sup = history.login("sup")
    form = sup.get("/workforce").text
    data = {"csrf_token": csrf_of(form), "site": "sh", "queue": "billing", "interval": "20"}
    bad = sup.post("/workforce/plan", data=data)
    assert bad.status_code == 400 and "15, 30 or 60" in bad.text
    none = sup.post("/workforce/plan", data={"csrf_token": csrf_of(form), "site": "sh"})
    assert none.status_code == 400
    zh = sup.post("/workforce/plan?lang=zh", data=dict(data, queue="billing"))
    assert "15、30 或 60" in zh.text
    assert sup.post("/workforce/plan", data={"site": "sh"}).status_code == 403  # no CSRF
    empty = dict(data, interval="30", since="2023-11-01", until="2023-11-02")
    started = sup.post("/workforce/plan", data=empty, follow_redirects=False)
    failed = _finished(sup, started.headers["location"] + "?lang=zh")
    assert 'id="error">没有完整一天的历史数据可供预测。' in failed
    rules = {
        "csrf_token": csrf_of(form),
        "site": "sh",
        "agent_id": "a1",
        "contracted_hours": "38",
        "days_off": "5,6",
        "preferred_start": "08:00-10:00",
    }
    assert sup.post("/workforce/rules", data=rules, follow_redirects=False).status_code == 303
    assert 'value="08:00-10:00"' in sup.get("/workforce").text
    assert sup.post("/workforce/rules", data=dict(rules, days_off="9")).status_code == 400


def test_given_rules_and_two_publications_then_the_log_rebuilds_the_latest(history: Api) -> None:
    now = history.clock.now()
    rules = {"contracted_hours": 32, "days_off": [6], "preferred_start": [28800, 36000]}
    assert history.client.put(f"{V1}/workforce/agents/a1/rules", json=rules).status_code == 200

    def publish(start: float) -> None:
        body = {
            "site_id": "sh",
            "since": now,
            "until": now + 24 * H,
            "shifts": [{"agent_id": "a1", "start": start, "end": start + 4 * H}],
        }
        assert history.client.post(f"{V1}/workforce/schedules", json=body).status_code == 201

    publish(now + H)
    publish(now + 2 * H)  # replaces the first over the same range
    # A plan of a2 alone leaves a1's shift: only the agents named are replaced.
    only_a2 = {
        "site_id": "sh",
        "since": now,
        "until": now + 24 * H,
        "agents": ["a2"],
        "shifts": [{"agent_id": "a2", "start": now + 3 * H, "end": now + 7 * H}],
    }
    assert history.client.post(f"{V1}/workforce/schedules", json=only_a2).status_code == 201
    stray = dict(only_a2, shifts=[{"agent_id": "a1", "start": now, "end": now + H}])
    assert history.client.post(f"{V1}/workforce/schedules", json=stray).status_code == 422
    records = [r for r in history.store.store.records if r.stream == WORKFORCE_STREAM]
    assert [r.kind for r in records] == ["rules", "published", "published", "published"]
    book = WorkforceBook(lambda *_args: None)
    book.load(records)  # what a restart rebuilds
    assert [(s.agent_id, s.start) for s in book.shifts(now, now + 24 * H)] == [
        ("a1", now + 2 * H),
        ("a2", now + 3 * H),
    ]
    assert book.rules_for("a1").contracted_hours == 32
    assert book.rules_for("a1").preferred_start == (28800, 36000)
    audit = history.client.get(f"{V1}/audit").json()
    actions = [e["action"] for e in (audit["items"] if isinstance(audit, dict) else audit)]
    assert "workforce.publish" in actions and "workforce.rules" in actions


def test_given_a_quiet_morning_when_intraday_then_rest_reforecast_down_and_gap_shown(
    history: Api,
) -> None:
    now = history.clock.now()
    body = {
        "site_id": "sh",
        "since": now,
        "until": now + 12 * H,
        "shifts": [{"agent_id": "a2", "start": now, "end": now + 8 * H}],
    }
    assert history.client.post(f"{V1}/workforce/schedules", json=body).status_code == 201
    sup = history.login("sup")
    page = sup.get("/workforce/intraday?queue=billing&interval=30&sl=80&shrinkage=0")
    assert page.status_code == 200, page.text
    # Forecast to 12:00 from the day before: 12 contacts; none came: (0 + 5) / (12 + 5).
    assert "0.29" in page.text.split('id="ratio">', 1)[1].split("</p>", 1)[0]
    noon = re.search(r'<tr data-time="12:00">(.*?)</tr>', page.text, re.S)
    assert noon
    cells = dict(re.findall(r'<td data-col="(\w+)"[^>]*>(.*?)</td>', noon.group(1)))
    assert cells["actual"] == "–" and cells["scheduled"] == "1"
    assert float(cells["reforecast"]) == pytest.approx(5 / 17, abs=0.05)
    assert int(cells["gap"]) == 1 - int(cells["needed"])
    morning = re.search(r'<tr data-time="09:00">(.*?)</tr>', page.text, re.S)
    assert morning and '<td data-col="actual">0</td>' in morning.group(1)
    assert sup.get("/workforce/intraday?site=bj").status_code == 404
    assert history.login("agent1").get("/workforce/intraday").status_code == 403
    assert "日内" in sup.get("/workforce/intraday?lang=zh").text


def test_given_no_full_day_of_history_when_intraday_then_the_page_keeps_its_menu_and_says_why(
    center: Api,
) -> None:
    center.user("sup", "supervisor", sites=("sh",))
    sup = center.login("sup")
    page = sup.get("/workforce/intraday?lang=zh&interval=60")
    assert page.status_code == 400
    assert 'id="error">没有完整一天的历史数据可供预测。' in page.text
    # The page's menu and form are there, with the interval asked for.
    assert 'action="/workforce/intraday"' in page.text and '<nav class="pages">' in page.text
    assert '<option value="60" selected>' in page.text


def test_given_the_plan_page_then_each_work_rule_sits_under_its_heading(history: Api) -> None:
    page = history.login("sup").get("/workforce").text
    row = re.search(r'<tr data-agent="a1">(.*?)</tr>', page, re.S)
    assert row
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    names = [re.findall(r'name="(\w+)"', c) for c in cells]
    # agent, then one rule per column in the order of the headings, then the save form
    assert names[1:6] == [
        ["contracted_hours"],
        ["days_off"],
        ["max_days"],
        ["min_rest_hours"],
        ["preferred_start"],
    ]
    form_id = re.search(r'<form id="([^"]+)"', cells[6])
    assert form_id and all(f'form="{form_id.group(1)}"' in c for c in cells[1:6])
