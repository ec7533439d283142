"""``/api/v1/cases`` and the customer timeline per role and site: a caller sees and changes
only the cases of its sites (others are 404, as for no such case), bad input is a 4xx with
its reason and changes nothing, and the timeline joins contacts, cases and notes."""

from __future__ import annotations

from typing import Any

import pytest
from api_helpers import Api
from golden_helpers import check_golden, compact

from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.model import Channel
from kefu.service.channels import Inbound

V1 = "/api/v1"


def _customer(center: Api, phone: str, queue: str) -> tuple[str, str]:
    """A customer who sent an SMS to ``queue``: (live customer id, contact id)."""
    channels = center.platform.channels
    assert channels is not None
    inbound = Inbound(
        Channel.SMS, (Identifier(IdentifierKind.PHONE, phone),), "我的账单有问题",
        center.clock.now(), f"sms:{phone}", topic=queue,
    )  # fmt: skip
    receipt = center.client.portal.call(channels.receive, inbound)  # type: ignore[union-attr]
    conv = channels.state.conversation(receipt.conversation_id)
    return channels.state.directory.resolve(conv.customer_id), str(receipt.contact_id)


@pytest.fixture
def cases(center: Api) -> Api:
    c = center.client
    for body in (
        {"queue_id": "sms-sh", "site_id": "sh", "channel": "sms"},
        {"queue_id": "sms-bj", "site_id": "bj", "channel": "sms"},
        {"queue_id": "loans", "site_id": "sh", "channel": "workitem", "name": "贷款 Loans"},
    ):
        assert c.post(f"{V1}/queues", json=body).status_code == 201
    center.user("lead", "supervisor", sites=("sh",))
    center.user("lead-bj", "supervisor", sites=("bj",))
    center.user("a1", "agent", sites=("sh",), agent_id="a1")
    return center


def _as(api: Api, who: str) -> dict[str, str]:
    return api.token(who)


def test_given_cases_of_two_sites_when_each_role_reads_them_then_other_sites_are_404(
    cases: Api,
) -> None:
    c = cases.client
    sh = c.post(f"{V1}/cases", json={"case_type": "inquiry", "title": "账单", "site_id": "sh"})
    bj = c.post(f"{V1}/cases", json={"case_type": "fault", "title": "断网", "site_id": "bj"})
    assert (sh.status_code, bj.status_code) == (201, 201), (sh.text, bj.text)
    assert sh.headers["Location"] == f"/api/v1/cases/{sh.json()['case_id']}"
    ids = {"sh": sh.json()["case_id"], "bj": bj.json()["case_id"]}
    sees = {"root": {"sh", "bj"}, "lead": {"sh"}, "lead-bj": {"bj"}, "a1": {"sh"}}
    for who, visible in sees.items():
        headers = _as(cases, who)
        listed = c.get(f"{V1}/cases", headers=headers).json()["cases"]
        assert {x["site_id"] for x in listed} == visible, who
        for site, case_id in ids.items():
            read = c.get(f"{V1}/cases/{case_id}", headers=headers)
            note = c.post(f"{V1}/cases/{case_id}/notes", json={"text": "看过"}, headers=headers)
            if site in visible:
                assert (read.status_code, note.status_code) == (200, 201), (who, site)
            else:
                assert (read.status_code, note.status_code) == (404, 404), (who, site)
                assert read.json()["error_id"] == "unknown_case"
    other = c.post(
        f"{V1}/cases",
        json={"case_type": "inquiry", "title": "x", "site_id": "bj"},
        headers=_as(cases, "lead"),
    )
    assert other.status_code == 404 and other.json()["error_id"] == "unknown_site"


def test_given_a_complaint_when_worked_through_the_api_then_its_state_and_notes_follow(
    cases: Api,
) -> None:
    c = cases.client
    headers = _as(cases, "lead")
    made = c.post(
        f"{V1}/cases",
        json={"case_type": "complaint", "title": "年费多扣", "site_id": "sh",
              "fields": {"product": "信用卡"}, "owner": {"kind": "agent", "id": "a1"}},
        headers=headers,
    ).json()  # fmt: skip
    case_id = made["case_id"]
    assert made["state"] == "new" and made["owner"] == {"kind": "agent", "id": "a1"}
    steps: list[tuple[str, str, dict[str, Any], int]] = [
        ("POST", "transitions", {"to": "open"}, 200),
        ("POST", "notes", {"text": "已回电", "internal": False, "channel": "voice"}, 201),
        ("PATCH", "", {"priority": 2, "department": "card"}, 200),
        ("POST", "transitions", {"to": "resolved", "reason": "退费"}, 422),
        ("POST", "transitions", {"to": "closed", "reason": "x"}, 409),
        (
            "POST",
            "transitions",
            {
                "to": "resolved",
                "reason": "退费",
                "root_cause": "重复计费",
                "resolution": "退还年费",
            },
            200,
        ),
        ("POST", "transitions", {"to": "closed", "reason": "客户确认"}, 200),
    ]
    for method, path, body, expected in steps:
        url = f"{V1}/cases/{case_id}" + (f"/{path}" if path else "")
        answer = c.request(method, url, json=body, headers=headers)
        assert answer.status_code == expected, (path, body, answer.text)
        if expected >= 400:
            assert answer.json()["message"]
    final = c.get(f"{V1}/cases/{case_id}", headers=headers).json()
    assert final["state"] == "closed" and final["priority"] == 2
    assert final["departments"] == ["card"] and final["root_cause"] == "重复计费"
    assert final["first_response_at"] is not None
    assert [h["state"] for h in final["history"]] == ["new", "open", "resolved", "closed"]
    closed = c.get(f"{V1}/cases?state=closed", headers=headers).json()["cases"]
    assert [x["case_id"] for x in closed] == [case_id]
    assert c.get(f"{V1}/cases?open=true", headers=headers).json()["cases"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"case_type": "inquiry", "title": "x"},  # no site nor contact
        {"case_type": "inquiry", "title": "", "site_id": "sh"},
        {"case_type": "nope", "title": "x", "site_id": "sh"},
        {"case_type": "inquiry", "title": "x", "site_id": "sh", "fields": {"zzz": 1}},
        {"case_type": "inquiry", "title": "x", "site_id": "sh", "value_tier": -1},
        {"case_type": "inquiry", "title": "x", "site_id": "sh", "owner": {"kind": "god"}},
        {"case_type": "inquiry", "title": "x", "site_id": "sh", "customer_id": "cus-none"},
        {"case_type": "inquiry", "title": "x", "site_id": "sh", "extra": 1},
    ],
)
def test_given_bad_input_when_opening_a_case_then_4xx_with_a_reason_and_nothing_stored(
    cases: Api, body: dict[str, Any]
) -> None:
    answer = cases.client.post(f"{V1}/cases", json=body)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["message"]
    assert cases.client.get(f"{V1}/cases").json()["cases"] == []


def test_given_a_customer_when_cases_are_opened_then_the_timeline_joins_contacts_and_cases(
    cases: Api,
) -> None:
    c = cases.client
    li, contact = _customer(cases, "13800138000", "sms-sh")
    han, _ = _customer(cases, "13900139000", "sms-bj")
    lead = _as(cases, "lead")
    made = c.post(
        f"{V1}/cases",
        json={"case_type": "inquiry", "title": "账单疑问", "contact_id": contact},
        headers=lead,
    )
    assert made.status_code == 201, made.text
    assert made.json()["customer_id"] == li and made.json()["site_id"] == "sh"
    case_id = made.json()["case_id"]
    c.post(f"{V1}/cases/{case_id}/notes", json={"text": "已核对账单"}, headers=lead)
    by_phone = c.get(f"{V1}/cases?customer_id=phone:13800138000", headers=lead)
    assert [x["case_id"] for x in by_phone.json()["cases"]] == [case_id]
    story = c.get(f"{V1}/customers/{li}/timeline", headers=lead)
    assert story.status_code == 200, story.text
    kinds = [(i["kind"], i.get("channel") or i.get("state") or i.get("text")) for i in
             story.json()["items"]]  # fmt: skip
    assert (
        ("contact", "sms") in kinds and ("case", "new") in kinds and ("note", "已核对账单") in kinds
    )
    task = c.post(f"{V1}/cases/{case_id}/tasks", json={"queue_id": "loans", "task": "核对账单"},
                  headers=lead)  # fmt: skip
    assert task.status_code == 201, task.text
    story = c.get(f"{V1}/customers/{li}/timeline", headers=lead).json()["items"]
    reads = c.get(f"{V1}/audit", params={"action": "customer.read", "actor": "lead"}).json()
    assert li in {e["target_id"] for e in reads["items"]}
    work = [i for i in story if i["kind"] == "contact" and i["channel"] == "workitem"]
    assert [(i["contact_id"], i["case_id"]) for i in work] == [(task.json()["contact_id"], case_id)]
    assert [i["queue_names"] for i in work] == [["贷款 Loans"]]  # as people read the queue
    assert c.get(f"{V1}/customers/{han}/timeline", headers=lead).status_code == 404
    refused = c.post(
        f"{V1}/cases",
        json={"case_type": "inquiry", "title": "x", "site_id": "sh", "customer_id": han},
        headers=lead,
    )
    assert refused.status_code == 404 and refused.json()["error_id"] == "unknown_customer"


def test_given_a_case_when_a_task_goes_to_the_back_office_then_a_work_item_is_queued(
    cases: Api,
) -> None:
    c = cases.client
    lead = _as(cases, "lead")
    case_id = c.post(
        f"{V1}/cases",
        json={"case_type": "mortgage", "title": "房贷", "site_id": "sh", "value_tier": 2},
        headers=lead,
    ).json()["case_id"]
    task = c.post(f"{V1}/cases/{case_id}/tasks", json={"queue_id": "loans", "task": "审核"},
                  headers=lead)  # fmt: skip
    assert task.status_code == 201, task.text
    contact = c.get(f"{V1}/contacts/{task.json()['contact_id']}", headers=lead).json()
    assert contact["channel"] == "workitem" and contact["value_tier"] == 2
    wrong = c.post(f"{V1}/cases/{case_id}/tasks", json={"queue_id": "billing", "task": "x"},
                   headers=lead)  # fmt: skip
    assert wrong.status_code == 422 and "work items" in wrong.json()["message"]
    hidden = c.post(f"{V1}/cases/{case_id}/tasks", json={"queue_id": "loans", "task": "x"},
                    headers=_as(cases, "lead-bj"))  # fmt: skip
    assert hidden.status_code == 404


def test_given_complaints_of_two_months_when_reported_then_by_root_cause_of_the_month(
    cases: Api,
) -> None:
    """Three complaints in November 2023 at sh (two resolved for one cause, one open) and one
    at bj; the lead of sh sees its own three, grouped by cause, and none in December."""
    c = cases.client
    lead = _as(cases, "lead")
    made = []
    for site in ("sh", "sh", "sh", "bj"):
        body = {"case_type": "complaint", "title": "投诉", "site_id": site}
        made.append(c.post(f"{V1}/cases", json=body).json()["case_id"])
    cases.clock.set(cases.clock.now() + 7200)
    for case_id in made[:2]:
        resolve = {"to": "resolved", "reason": "已处理", "root_cause": "系统故障",
                   "resolution": "修复并补偿"}  # fmt: skip
        answer = c.post(f"{V1}/cases/{case_id}/transitions", json=resolve)
        assert answer.status_code == 200, answer.text
    month = "2023-11"  # the manual clock starts at 2023-11-14 in Shanghai
    answer = c.get(f"{V1}/cases/reports/complaints?month={month}", headers=lead)
    check_golden("report_complaints.json", answer.text)
    report = answer.json()
    assert report["total"] == 3
    rows = {r["root_cause"]: r for r in report["by_root_cause"]}
    assert (rows["系统故障"]["count"], rows["系统故障"]["resolved"]) == (2, 2)
    assert rows["系统故障"]["mean_business_hours"] is not None
    assert (rows[None]["count"], rows[None]["resolved"]) == (1, 0)
    everyone = c.get(f"{V1}/cases/reports/complaints?month={month}").json()
    assert everyone["total"] == 4
    later = c.get(f"{V1}/cases/reports/complaints?month=2023-12", headers=lead).json()
    assert later["total"] == 0
    bad = c.get(f"{V1}/cases/reports/complaints?month=2023-13", headers=lead)
    assert bad.status_code == 422 and bad.json()["message"]
    other = c.get(f"{V1}/cases/reports/complaints?month={month}&site_id=bj", headers=lead)
    assert other.status_code == 404


class _Outbox:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    def new_external_id(self) -> str:
        return f"out-{len(self.sent) + 1}"

    async def send(self, reply: Any) -> None:
        self.sent.append(reply)


def test_given_an_answered_survey_then_the_csat_report_is_for_supervisors_of_its_site(
    cases: Api,
) -> None:
    from kefu.service.cases import AnswerSurvey

    c = cases.client
    channels = cases.platform.channels
    assert channels is not None
    outbox = _Outbox()
    channels.set_gateway(Channel.SMS, outbox)
    customer_id, contact_id = _customer(cases, "+8613800138077", "sms-sh")
    lead = _as(cases, "lead")
    made = c.post(
        f"{V1}/cases",
        json={"case_type": "inquiry", "title": "账单", "contact_id": contact_id},
        headers=lead,
    )
    case_id = made.json()["case_id"]
    moved = c.post(
        f"{V1}/cases/{case_id}/transitions", json={"to": "resolved", "reason": "已解释"},
        headers=lead,
    )  # fmt: skip
    assert moved.status_code == 200, moved.text
    cases.client.portal.call(channels.idle)  # type: ignore[union-attr]
    asked = [r for r in outbox.sent if "退订" in r.text]  # not the wait notice
    assert len(asked) == 1 and asked[0].route.address == "+8613800138077"
    execute = cases.platform.engine.execute
    answered = cases.client.portal.call(execute, AnswerSurvey("s1", 5, "很好"))  # type: ignore[union-attr]
    check_golden("survey_answered.json", compact(answered.to_json()))
    now = cases.clock.now()
    query = {"from": now - 3600, "to": now + 1, "by": "case_type"}
    report = c.get(f"{V1}/cases/reports/csat", params=query, headers=lead)
    assert report.status_code == 200, report.text
    check_golden("report_csat.json", report.text)
    body = report.json()
    assert (body["sent"], body["answered"], body["csat"]) == (1, 1, 1.0)
    assert body["rows"][0]["case_type"] == "inquiry"
    other = c.get(f"{V1}/cases/reports/csat", params=query, headers=_as(cases, "lead-bj"))
    assert other.status_code == 200 and other.json()["sent"] == 0
    agent = c.get(f"{V1}/cases/reports/csat", params=query, headers=_as(cases, "a1"))
    assert agent.status_code == 403
    bad = c.get(f"{V1}/cases/reports/csat", params={**query, "by": "mood"}, headers=lead)
    assert bad.status_code in (400, 422) and "mood" in bad.text
    foreign = c.get(f"{V1}/cases/reports/csat", params={**query, "site_id": "bj"}, headers=lead)
    assert foreign.status_code in (403, 404)
    timeline = c.get(f"{V1}/customers/{customer_id}/timeline", headers=lead).json()["items"]
    assert [i["score"] for i in timeline if i["kind"] == "survey"] == [5]


def test_given_an_open_complaint_then_the_customer_view_shows_its_value_and_segment(
    cases: Api,
) -> None:
    c = cases.client
    customer_id, _contact = _customer(cases, "+8613800138088", "sms-sh")
    lead = _as(cases, "lead")
    before = c.get(f"{V1}/customers/{customer_id}", headers=lead).json()["value"]
    # tier 0: m = 200, r = 0.8, d = 0.1; a new customer
    assert (before["clv"], before["segment"], before["method"]) == (
        533.33, "new", "CLV = m * r / (1 + d - r)",
    )  # fmt: skip
    assert before["facts"]["contacts_90d"] == 1
    made = c.post(
        f"{V1}/cases",
        json={"case_type": "complaint", "title": "多扣费", "customer_id": customer_id,
              "site_id": "sh"},
        headers=lead,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    after = c.get(f"{V1}/customers/{customer_id}", headers=lead).json()["value"]
    # an open complaint: r = 0.7, 200 * 0.7 / 0.4
    assert (after["clv"], after["inputs"]["r"], after["facts"]["open_complaints"]) == (
        350.0,
        0.7,
        1,
    )
    assert c.get(f"{V1}/customers/{customer_id}", headers=_as(cases, "lead-bj")).status_code == 404


def test_given_a_survey_link_then_it_answers_once_and_a_forged_or_late_link_fails(
    cases: Api,
) -> None:
    c, anon = cases.client, cases.anonymous()
    channels = cases.platform.channels
    assert channels is not None
    channels.set_gateway(Channel.SMS, _Outbox())
    _customer_id, contact_id = _customer(cases, "+8613800138099", "sms-sh")
    lead = _as(cases, "lead")
    case_id = c.post(
        f"{V1}/cases", json={"case_type": "inquiry", "title": "x", "contact_id": contact_id},
        headers=lead,
    ).json()["case_id"]  # fmt: skip
    c.post(f"{V1}/cases/{case_id}/transitions", json={"to": "resolved", "reason": "r"},
           headers=lead)  # fmt: skip
    wing = cases.platform.app.state.surveys
    token = wing.link_token("s1")
    assert token is not None and token.startswith("s1.")
    shown = anon.get(f"{V1}/surveys/{token}")
    assert shown.status_code == 200, shown.text
    check_golden("survey_page.json", shown.text)
    assert shown.json()["answered"] is False and "满意" in shown.json()["question"]["zh_Hans"]
    survey_id, expiry, signature = token.split(".")
    flipped = "0" if signature[0] != "0" else "1"
    for forged in (
        f"{survey_id}.{expiry}.{flipped}{signature[1:]}",  # tampered signature
        f"s2.{expiry}.{signature}",  # another survey, same signature
        f"{survey_id}.{int(expiry) + 86400}.{signature}",  # a longer life
        "s1.1.abc",
    ):
        assert anon.get(f"{V1}/surveys/{forged}").status_code == 404, forged
        refused = anon.post(f"{V1}/surveys/{forged}/answer", json={"score": 5})
        assert refused.status_code == 404, forged
    assert anon.post(f"{V1}/surveys/{token}/answer", json={"score": 9}).status_code == 422
    done = anon.post(f"{V1}/surveys/{token}/answer", json={"score": 4, "comment": "好"})
    assert done.status_code == 200 and done.json() == {"survey_id": "s1", "score": 4}
    again = anon.post(f"{V1}/surveys/{token}/answer", json={"score": 1})
    assert again.status_code == 409 and again.json()["error_id"] == "survey_closed"
    assert wing.book.surveys["s1"].score == 4


def test_given_an_expired_survey_link_then_the_answer_is_refused(cases: Api) -> None:
    c, anon = cases.client, cases.anonymous()
    channels = cases.platform.channels
    assert channels is not None
    channels.set_gateway(Channel.SMS, _Outbox())
    _customer_id, contact_id = _customer(cases, "+8613800138066", "sms-sh")
    lead = _as(cases, "lead")
    case_id = c.post(
        f"{V1}/cases", json={"case_type": "inquiry", "title": "x", "contact_id": contact_id},
        headers=lead,
    ).json()["case_id"]  # fmt: skip
    c.post(f"{V1}/cases/{case_id}/transitions", json={"to": "resolved", "reason": "r"},
           headers=lead)  # fmt: skip
    token = cases.platform.app.state.surveys.link_token("s1")
    cases.clock.advance(8 * 86_400.0)
    assert anon.get(f"{V1}/surveys/{token}").json()["expired"] is True
    late = anon.post(f"{V1}/surveys/{token}/answer", json={"score": 5})
    assert late.status_code == 409 and late.json()["error_id"] == "survey_closed"


def test_given_customers_then_the_value_report_shows_the_80_20_view_per_site(
    cases: Api,
) -> None:
    c = cases.client
    lead = _as(cases, "lead")
    ids = [_customer(cases, f"+86138001381{i:02d}", "sms-sh")[0] for i in range(5)]
    made = c.post(
        f"{V1}/cases",
        json={"case_type": "complaint", "title": "投诉", "customer_id": ids[0], "site_id": "sh"},
        headers=lead,
    )
    assert made.status_code == 201, made.text
    report = c.get(f"{V1}/cases/reports/value", headers=lead)
    assert report.status_code == 200, report.text
    check_golden("report_value.json", report.text)
    body = report.json()
    # four new tier-0 customers at 200*0.8/0.3 and one with an open complaint at 200*0.7/0.4
    assert (body["customers"], body["total_clv"]) == (5, round(4 * 160 / 0.3 + 350, 2))
    assert body["top_20_share"] == round((160 / 0.3) / (4 * 160 / 0.3 + 350), 4)
    assert body["segments"]["new"]["customers"] == 5
    assert (
        c.get(f"{V1}/cases/reports/value", headers=_as(cases, "lead-bj")).json()["customers"] == 0
    )
    assert c.get(f"{V1}/cases/reports/value", headers=_as(cases, "a1")).status_code == 403


def test_given_a_consent_change_then_it_is_recorded_shown_and_scoped_to_the_site(
    cases: Api,
) -> None:
    c = cases.client
    customer_id, _contact = _customer(cases, "+8613800138055", "sms-sh")
    lead = _as(cases, "lead")
    url = f"{V1}/customers/{customer_id}/survey-consent"
    view = f"{V1}/customers/{customer_id}"
    assert c.get(view, headers=lead).json()["surveys_allowed"] is True
    off = c.put(url, json={"allowed": False, "reason": "电话中要求"}, headers=lead)
    assert off.status_code == 200 and off.json()["changed"] is True, off.text
    assert c.get(view, headers=lead).json()["surveys_allowed"] is False
    assert c.put(url, json={"allowed": False}, headers=lead).json()["changed"] is False
    assert c.put(url, json={"allowed": "maybe"}, headers=lead).status_code == 422
    other = c.put(url, json={"allowed": True}, headers=_as(cases, "lead-bj"))
    assert other.status_code == 404
    assert c.get(view, headers=lead).json()["surveys_allowed"] is False


def test_given_a_renamed_customer_when_cases_are_searched_by_name_then_only_the_new_name_finds(
    cases: Api,
) -> None:
    c = cases.client
    li, contact = _customer(cases, "13800138000", "sms-sh")
    lead = _as(cases, "lead")
    url = f"{V1}/customers/{li}"
    assert c.patch(url, json={"name": "王小明"}, headers=lead).status_code == 200
    made = c.post(f"{V1}/cases", json={"case_type": "inquiry", "title": "账单疑问",
                                       "contact_id": contact}, headers=lead)  # fmt: skip
    assert made.status_code == 201, made.text

    def found(q: str) -> list[str]:
        got = c.get(f"{V1}/cases", params={"q": q}, headers=lead)
        assert got.status_code == 200, got.text
        return [x["case_id"] for x in got.json()["cases"]]

    case_id = made.json()["case_id"]
    assert (found("小明"), found("王"), found("李雷")) == ([case_id], [case_id], [])
    assert c.patch(url, json={"name": "李雷"}, headers=lead).status_code == 200
    assert (found("小明"), found("李雷"), found("雷")) == ([], [case_id], [case_id])
