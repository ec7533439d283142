"""``/api/v1/case-types`` and ``/api/v1/sites/{id}/calendar``: an admin defines, updates and
retires case types (audited; others may only read them), cases are checked against their
type's fields (422 naming the field), a site's calendar is read by its users and set by an
admin (bad hours 422, nothing stored), and a holiday declared through the API moves a case's
SLA deadline by one business day."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from api_helpers import Api

V1 = "/api/v1"
SH = ZoneInfo("Asia/Shanghai")

DISPUTE: dict[str, Any] = {
    "type_id": "card_dispute",
    "kind": "complaint",
    "label_en": "Card dispute",
    "label_zh": "银行卡争议",
    "fields": [
        {"name": "amount", "kind": "number", "label_en": "Amount", "label_zh": "金额",
         "required": True},
        {"name": "channel", "kind": "choice", "label_en": "Channel", "label_zh": "渠道",
         "choices": ["pos", "online"]},
        {"name": "seen_on", "kind": "date", "label_en": "Seen on", "label_zh": "发现日期"},
    ],
    "targets": [{"tier": 0, "first_response_h": 2, "resolution_h": 18},
                {"tier": 2, "first_response_h": 1, "resolution_h": 9}],
    "escalations": [{"clock": "resolution", "fraction": 1.5, "action": "reassign",
                     "to": "disputes"}],
}  # fmt: skip


@pytest.fixture
def users(center: Api) -> Api:
    center.user("lead", "supervisor", sites=("sh",))
    center.user("a1", "agent", sites=("sh",), agent_id="a1")
    team = {"team_id": "disputes", "name": "争议处理组", "site_id": "sh"}  # DISPUTE's reassignment
    assert center.client.post(f"{V1}/teams", json=team).status_code == 201
    return center


def _audit(api: Api, action: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.client.get(f"{V1}/audit", params={"action": action}).json()[
        "items"
    ]
    return items


def test_given_an_admin_when_defining_a_case_type_then_cases_are_checked_against_it(
    users: Api,
) -> None:
    c = users.client
    agent = users.token("a1")
    assert c.post(f"{V1}/case-types", json=DISPUTE, headers=agent).status_code == 403
    made = c.post(f"{V1}/case-types", json=DISPUTE)
    assert made.status_code == 201, made.text
    assert made.json()["needs_root_cause"] and not made.json()["builtin"]
    assert c.post(f"{V1}/case-types", json=DISPUTE).json()["error_id"] == "case_type_exists"
    listed = c.get(f"{V1}/case-types", headers=agent).json()["case_types"]
    assert [t["type_id"] for t in listed] == [
        "inquiry", "complaint", "fault", "mortgage", "card_dispute",
    ]  # fmt: skip
    assert all(t["builtin"] for t in listed[:4])
    case = {"case_type": "card_dispute", "title": "盗刷", "site_id": "sh"}
    for fields, field in (
        ({}, "amount"),
        ({"amount": "many"}, "amount"),
        ({"amount": 5, "channel": "atm"}, "channel"),
        ({"amount": 5, "colour": "red"}, "colour"),
    ):
        refused = c.post(f"{V1}/cases", json={**case, "fields": fields}, headers=agent)
        assert refused.status_code == 422, refused.text
        assert refused.json()["details"]["field"] == field
    ok = c.post(f"{V1}/cases", json={**case, "fields": {"amount": 5, "channel": "pos"}},
                headers=agent)  # fmt: skip
    assert ok.status_code == 201, ok.text
    case_id = ok.json()["case_id"]
    bad = c.patch(f"{V1}/cases/{case_id}", json={"fields": {"seen_on": "yesterday"}},
                  headers=agent)  # fmt: skip
    assert (bad.status_code, bad.json()["details"]["field"]) == (422, "seen_on")
    assert ok.json()["sla"][1]["target_s"] == 18 * 3600
    [entry] = _audit(users, "case_type.defined")
    assert (entry["target_id"], entry["before"], entry["actor"]) == ("card_dispute", None, "root")


def test_given_a_case_type_when_updated_and_retired_then_new_cases_follow_and_old_ones_stay(
    users: Api,
) -> None:
    c = users.client
    assert c.post(f"{V1}/case-types", json=DISPUTE).status_code == 201
    first = c.post(f"{V1}/cases", json={"case_type": "card_dispute", "title": "x", "site_id": "sh",
                                        "fields": {"amount": 1}}).json()  # fmt: skip
    changed = {**DISPUTE, "targets": [{"tier": 0, "first_response_h": 1, "resolution_h": 27}]}
    updated = c.put(f"{V1}/case-types/card_dispute", json=changed)
    assert updated.status_code == 200 and updated.json()["targets"][0]["resolution_h"] == 27
    again = c.get(f"{V1}/cases/{first['case_id']}").json()
    assert again["sla"][1]["target_s"] == 27 * 3600  # the open case follows the new target
    retired = c.post(f"{V1}/case-types/card_dispute/retire")
    assert retired.status_code == 200 and retired.json()["retired"]
    refused = c.post(f"{V1}/cases", json={"case_type": "card_dispute", "title": "y",
                                          "site_id": "sh", "fields": {"amount": 1}})  # fmt: skip
    assert (refused.status_code, refused.json()["error_id"]) == (409, "case_type_retired")
    assert c.get(f"{V1}/cases/{first['case_id']}").status_code == 200
    assert c.post(f"{V1}/case-types/nope/retire").status_code == 404
    [entry] = _audit(users, "case_type.updated")
    assert entry["before"]["targets"][0]["resolution_h"] == 18


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"fields": [{"name": "x", "kind": "choice", "label_en": "X", "label_zh": "X"}]},
         "fields.0"),
        ({"fields": [{"name": "Bad Name", "kind": "text", "label_en": "X", "label_zh": "X"}]},
         "fields.0"),
        ({"type_id": "Bad-Id"}, "type_id"),
        ({"escalations": [{"clock": "resolution", "fraction": 1, "action": "reassign"}]},
         "escalations.0"),
        ({"targets": [{"tier": 1, "first_response_h": 1, "resolution_h": 2}] * 2}, "targets.1"),
    ],
)  # fmt: skip
def test_given_a_bad_case_type_when_defined_then_422_names_the_field_and_nothing_is_stored(
    users: Api, change: dict[str, Any], field: str
) -> None:
    before = users.event_count()
    answer = users.client.post(f"{V1}/case-types", json={**DISPUTE, **change})
    assert answer.status_code == 422, answer.text
    assert answer.json()["details"]["field"] == field
    assert users.event_count() == before
    assert len(users.client.get(f"{V1}/case-types").json()["case_types"]) == 4


def test_given_site_calendars_when_read_and_set_then_site_users_read_and_admins_set(
    users: Api,
) -> None:
    c = users.client
    lead = users.token("lead")
    default = c.get(f"{V1}/sites/sh/calendar", headers=lead)
    assert default.status_code == 200
    assert default.json()["own"] is False and default.json()["hours"]["mon"] == "09:00-18:00"
    assert c.get(f"{V1}/sites/bj/calendar", headers=lead).status_code == 404
    body = {
        "time_zone": "Asia/Shanghai",
        "hours": dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "09:00-12:00,13:00-18:00"),
        "holidays": [{"date": "2026-10-01", "name": "国庆节"}],
        "workdays": [{"date": "2026-10-11", "hours": "09:00-17:00"}],
    }
    assert c.put(f"{V1}/sites/sh/calendar", json=body, headers=lead).status_code == 403
    for bad, field in (
        ({"hours": {"mon": "09:00-12:00,11:00-18:00"}}, "hours.mon"),
        ({"hours": {"mon": "9 to 5"}}, "hours.mon"),
        ({"hours": {"mon": "18:00-09:00"}}, "hours.mon"),
        ({"hours": {"xyz": "09:00-18:00"}}, "hours.xyz"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"holidays": [{"date": "2026-13-01"}]}, "holidays.0.date"),
    ):
        refused = c.put(f"{V1}/sites/sh/calendar", json={**body, **bad})
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.json()["details"]["field"] == field, bad
    assert c.get(f"{V1}/sites/sh/calendar").json()["own"] is False
    done = c.put(f"{V1}/sites/sh/calendar", json=body)
    assert done.status_code == 200, done.text
    read = c.get(f"{V1}/sites/sh/calendar", headers=lead).json()
    assert read["own"] and read["holidays"] == [{"date": "2026-10-01", "name": "国庆节"}]
    assert read["hours"]["sat"] == "" and read["workdays"][0]["hours"] == "09:00-17:00"
    [entry] = _audit(users, "site_calendar.set")
    assert entry["before"]["hours"]["mon"] == "09:00-18:00"


def test_given_a_holiday_declared_through_the_api_then_a_case_deadline_moves_a_business_day(
    users: Api,
) -> None:
    c = users.client
    users.clock.set(datetime(2026, 3, 4, 10, 0, tzinfo=SH).timestamp())  # a Wednesday
    case = c.post(f"{V1}/cases", json={"case_type": "inquiry", "title": "账单", "site_id": "sh"})
    assert case.status_code == 201, case.text

    def due() -> datetime:
        sla = c.get(f"{V1}/cases/{case.json()['case_id']}").json()["sla"]
        return datetime.fromtimestamp(sla[1]["due_at"], SH)

    # 18 business hours of 09:00-18:00 weekdays from Wednesday 10:00: Friday 10:00.
    assert due() == datetime(2026, 3, 6, 10, 0, tzinfo=SH)
    body = {
        "time_zone": "Asia/Shanghai",
        "hours": dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "09:00-18:00"),
        "holidays": [{"date": "2026-03-05", "name": "团建日"}],
    }
    assert c.put(f"{V1}/sites/sh/calendar", json=body).status_code == 200
    assert due() == datetime(2026, 3, 9, 10, 0, tzinfo=SH)  # over the weekend to Monday


def test_given_a_site_in_a_dst_zone_when_clocks_spring_forward_then_the_deadline_keeps_local_hours(
    users: Api,
) -> None:
    c = users.client
    berlin = ZoneInfo("Europe/Berlin")
    site = {"site_id": "de", "name": "Berlin", "timezone": "Europe/Berlin"}
    assert c.post(f"{V1}/sites", json=site).status_code == 201
    body = {"time_zone": "Europe/Berlin",
            "hours": dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "08:00-17:00")}  # fmt: skip
    assert c.put(f"{V1}/sites/de/calendar", json=body).status_code == 200
    opened = datetime(2026, 3, 27, 10, 0, tzinfo=berlin)  # the Friday before the change
    users.clock.set(opened.timestamp())
    case = c.post(f"{V1}/cases", json={"case_type": "inquiry", "title": "Rechnung",
                                       "site_id": "de", "value_tier": 2})  # fmt: skip
    due = case.json()["sla"][1]["due_at"]
    # 9 business hours: 7 on Friday, 2 on Monday; Sunday's hour lost shortens the real wait.
    assert datetime.fromtimestamp(due, berlin) == datetime(2026, 3, 30, 10, 0, tzinfo=berlin)
    assert due - opened.timestamp() == 3 * 86_400 - 3600


def test_given_cases_of_an_agent_and_its_teams_then_mine_team_breached_search_and_pages_filter(
    users: Api,
) -> None:
    c = users.client
    queue = {"queue_id": "card-back", "site_id": "sh", "channel": "workitem",
             "skills": {"cards": 2}}  # fmt: skip
    assert c.post(f"{V1}/queues", json=queue).status_code == 201
    agent = {"agent_id": "c1", "site_id": "sh", "skills": {"cards": 3}}
    assert c.post(f"{V1}/agents", json=agent).status_code == 201
    users.user("cara", "agent", sites=("sh",), agent_id="c1")
    cara = users.token("cara")
    # Cara is in two of the three teams; a team's cases are its members' team cases.
    for team_id, name, members in (
        ("card-back", "卡片后台", ["c1"]),
        ("cards", "卡务组", ["a1", "c1"]),
        ("loans", "房贷组", ["a1"]),
    ):
        body = {"team_id": team_id, "name": name, "site_id": "sh", "members": members}
        assert c.post(f"{V1}/teams", json=body).status_code == 201

    def open_case(title: str, kind: str, owner: str) -> str:
        body = {"case_type": "inquiry", "title": title, "site_id": "sh",
                "owner": {"kind": kind, "id": owner}}  # fmt: skip
        made = c.post(f"{V1}/cases", json=body)
        assert made.status_code == 201, made.text
        return str(made.json()["case_id"])

    old = open_case("卡片后台核实", "team", "card-back")
    users.clock.advance(14 * 86_400.0)  # the first case's resolution clock is overdue now
    own = open_case("账单疑问", "agent", "c1")
    skill = open_case("挂失补卡", "team", "cards")
    open_case("房贷材料", "team", "loans")
    open_case("别人的账单", "agent", "a2")

    def ids(headers: dict[str, str] | None = None, **params: Any) -> list[str]:
        answer = c.get(f"{V1}/cases", params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        return [x["case_id"] for x in answer.json()["cases"]]

    assert ids(cara, mine="true") == [own]
    assert ids(cara, team="true") == [skill, old]
    assert ids(cara, mine="true", team="true") == [skill, own, old]
    assert ids(cara, team="true", breached="true") == [old]
    assert ids(cara, team="true", breached="false") == [skill]
    assert ids(cara, team="true", q="补卡") == [skill]
    assert ids(q="#4") == ["4"] and ids(q="账单") == ["5", own]
    page = c.get(f"{V1}/cases", params={"limit": 2}).json()
    assert (len(page["cases"]), page["next_offset"]) == (2, 2)
    last = c.get(f"{V1}/cases", params={"limit": 2, "offset": 4}).json()
    assert ([x["case_id"] for x in last["cases"]], last["next_offset"]) == ([old], None)
    assert c.get(f"{V1}/cases", params={"team": "true"}).status_code == 422  # root: no agent


def test_given_an_escalation_to_a_team_then_the_team_must_exist_and_cannot_be_removed(
    users: Api,
) -> None:
    c = users.client
    step = {"clock": "resolution", "fraction": 1.5, "action": "reassign", "to": "nobody"}
    refused = c.post(f"{V1}/case-types", json={**DISPUTE, "escalations": [step]})
    assert refused.status_code == 422, refused.text
    assert refused.json()["details"]["field"] == "escalations"
    assert c.post(f"{V1}/case-types", json=DISPUTE).status_code == 201
    busy = c.delete(f"{V1}/teams/disputes")
    assert busy.status_code == 409 and busy.json()["details"]["case_type"] == "card_dispute"
    assert c.post(f"{V1}/case-types/card_dispute/retire").status_code == 200
    assert c.delete(f"{V1}/teams/disputes").status_code == 409  # its open cases still escalate
    notify = {"clock": "resolution", "fraction": 1.0, "action": "notify", "to": "supervisor"}
    changed = c.put(f"{V1}/case-types/card_dispute", json={**DISPUTE, "escalations": [notify]})
    assert changed.status_code == 200, changed.text
    assert c.delete(f"{V1}/teams/disputes").status_code == 204
