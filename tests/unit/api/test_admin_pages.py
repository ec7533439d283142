"""``/admin``: the console's pages by role (agents refused, supervisors read their sites,
admins change), each change the API's command (seen by the API at once, audited with
before and after), refusals shown in the form in the page's language with the field named
and nothing stored."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from api_helpers import Api, MakeApi, csrf_of
from fastapi.testclient import TestClient

SECTIONS = ("", "/sites", "/queues", "/skills", "/agents", "/phrases/canned")
QUEUE_FORM = {
    "queue_id": "loans",
    "name": "贷款 Loans",
    "site_id": "sh",
    "channel": "chat",
    "skills": "loans:5, vip:3",
    "sl_target": "90",
    "sl_threshold_s": "30",
    "wrapup_s": "15",
    "aht_s": "240",
    "short_abandon_s": "5",
    "overflow": "60 skills loans:2\n120 queue billing",
}


@pytest.fixture
def console(make_api: MakeApi) -> Iterator[Api]:
    with make_api(max_body_bytes=1 << 16) as api:
        c = api.client
        for site in ("sh", "bj"):
            assert c.post("/api/v1/sites", json={"site_id": site, "name": site}).status_code == 201
        for body in (
            {"queue_id": "billing", "site_id": "sh", "channel": "chat"},
            {"queue_id": "bjq", "site_id": "bj"},
        ):
            assert c.post("/api/v1/queues", json=body).status_code == 201
        assert c.post("/api/v1/agents", json={"agent_id": "a1", "site_id": "sh"}).status_code == 201
        api.user("boss", "admin")
        api.user("sup", "supervisor", sites=("sh",))
        api.user("agent1", "agent", agent_id="a1")
        yield api


def _error(page: str) -> str:
    found = re.search(r'id="error"[^>]*>([^<]*)<', page)
    assert found, "no error shown"
    return found.group(1)


def _post(browser: TestClient, path: str, data: dict[str, str]) -> httpx.Response:
    token = csrf_of(browser.get("/admin").text)  # one token per session
    return browser.post(path, data={"csrf_token": token, **data}, follow_redirects=False)


def test_given_each_role_when_opening_the_console_then_admins_write_supervisors_read_agents_not(
    console: Api,
) -> None:
    admin, sup, agent = console.login("boss"), console.login("sup"), console.login("agent1")
    for section in SECTIONS:
        path = f"/admin{section}"
        page = admin.get(path)
        assert page.status_code == 200 and 'name="csrf_token"' in page.text, path
        assert agent.get(path).status_code == 403, path
        seen = sup.get(path)
        assert seen.status_code == 200, path
        assert 'id="read-only"' in seen.text or section == "", path
        assert 'method="post" action="/admin' not in seen.text, path
    assert "bjq" not in sup.get("/admin/queues").text  # another site's queue
    assert "bjq" in admin.get("/admin/queues").text
    for admins_only in ("/admin/users", "/admin/audit"):
        assert sup.get(admins_only).status_code == 403
    anonymous = console.anonymous().get("/admin/queues", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/admin/queues"
    token = csrf_of(sup.get("/admin/queues").text)
    refused = sup.post("/admin/queues", data={"csrf_token": token, **QUEUE_FORM})
    assert refused.status_code == 403
    forged = admin.post("/admin/queues", data={"csrf_token": "0" * 64, **QUEUE_FORM})
    assert forged.status_code == 403
    assert console.client.get("/api/v1/queues/loans").status_code == 404


def test_given_the_console_then_it_links_the_case_setup_for_admins_and_reports_for_both(
    console: Api,
) -> None:
    admin, sup = console.login("boss"), console.login("sup")
    landing = admin.get("/admin?lang=zh").text
    for href in ("/admin/case-types", "/admin/calendars", "/reports", "/reports/contact-map"):
        assert f'href="{href}?lang=zh"' in landing, href
    assert "工单类型" in landing and "接触地图" in landing
    assert admin.get("/admin/case-types").status_code == 200
    seen = sup.get("/admin").text
    assert 'href="/reports?lang=en"' in seen and "/admin/case-types" not in seen


def test_given_an_admin_when_creating_and_editing_a_queue_then_the_api_sees_it_and_it_is_audited(
    console: Api,
) -> None:
    admin = console.login("boss")
    done = _post(admin, "/admin/queues", QUEUE_FORM)
    assert done.status_code == 303, _error(done.text)
    made = console.client.get("/api/v1/queues/loans").json()
    assert made["channel"] == "chat" and made["skills"] == {"loans": 5, "vip": 3}
    assert made["sl_target"] == pytest.approx(0.9) and made["wrapup_s"] == 15
    assert made["overflow"] == [
        {"after_s": 60.0, "skills": {"loans": 2}, "queue_id": None},
        {"after_s": 120.0, "skills": None, "queue_id": "billing"},
    ]
    form = admin.get("/admin/queues?edit=loans").text
    assert 'name="mode" value="update"' in form and "60 skills loans:2" in form
    assert 'id="f-overflow_domain"' not in form, "no other routing domain outside a cluster"
    edited = _post(admin, "/admin/queues", {**QUEUE_FORM, "mode": "update", "wrapup_s": "40"})
    assert edited.status_code == 303
    assert console.client.get("/api/v1/queues/loans").json()["wrapup_s"] == 40
    audit = console.client.get("/api/v1/audit", params={"action": "queue."}).json()["items"]
    update = next(e for e in audit if e["action"] == "queue.update")
    assert update["actor"] == "boss" and update["target_id"] == "loans"
    assert update["before"]["wrapup_s"] == 15 and update["after"]["wrapup_s"] == 40
    assert 'data-action="queue.update"' in admin.get("/admin/audit").text
    skills = admin.get("/admin/skills").text
    assert 'data-skill="loans"' in skills and "loans</a> ≥ 5" in skills


def test_given_bad_queue_input_when_posted_then_the_field_is_named_in_chinese_and_nothing_stored(
    console: Api,
) -> None:
    admin = console.login("boss")
    events = console.event_count()
    cases = {
        "sl_threshold_s": ({"sl_threshold_s": "soon"}, "接通时限（秒）: 必须是数字"),
        "skills": ({"skills": "loans:50"}, "技能 loans 的等级必须是 1 到 10 的整数"),
        "overflow": ({"overflow": "later queue x"}, "第 1 行"),
        "sl_target": ({"sl_target": "0"}, "服务水平目标"),
        "queue_id": ({"queue_id": "billing"}, "billing 已存在"),
    }
    for field, (change, text) in cases.items():
        page = _post(admin, "/admin/queues?lang=zh", {**QUEUE_FORM, **change})
        assert page.status_code in (409, 422), field
        body = page.text
        assert text in _error(body), (field, _error(body))
        assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true"', body), field
        assert 'value="贷款 Loans"' in body  # the form keeps what was typed
    assert console.client.get("/api/v1/queues/loans").status_code == 404
    assert console.event_count() == events


def test_given_an_admin_when_creating_an_agent_and_its_user_then_both_exist_bad_capacity_refused(
    console: Api,
) -> None:
    admin = console.login("boss")
    agent = {"agent_id": "a9", "name": "小王", "site_id": "sh", "skills": "loans:4"}
    agent |= {"capacity_chat": "2", "capacity_voice": "1", "exclusive": "voice"}
    refused = _post(admin, "/admin/agents?lang=zh", {**agent, "capacity_chat": "-1"})
    assert refused.status_code == 422
    assert "各渠道容量" in _error(refused.text)
    assert console.client.get("/api/v1/agents/a9").status_code == 404
    assert _post(admin, "/admin/agents", agent).status_code == 303
    made = console.client.get("/api/v1/agents/a9").json()
    assert made["capacity"] == {"chat": 2, "voice": 1} and made["exclusive"] == ["voice"]
    assert made["skills"] == {"loans": 4} and made["name"] == "小王"
    user = {"username": "wang", "password": "a long pass phrase 9", "role": "agent"}
    no_agent = _post(admin, "/admin/users", user)
    assert no_agent.status_code == 422
    assert "Agent" in _error(no_agent.text)
    created = _post(admin, "/admin/users", {**user, "agent_id": "a9"})
    assert created.status_code == 303
    assert console.login("wang", "a long pass phrase 9").get("/desktop").status_code == 200
    off = _post(admin, "/admin/users/wang", {"role": "agent", "agent_id": "a9"})
    assert off.status_code == 303
    assert console.platform.security.users.get("wang").active is False
    audit = console.client.get("/api/v1/audit", params={"target_id": "wang"}).json()["items"]
    assert audit[0]["before"]["active"] is True and audit[0]["after"]["active"] is False


def test_given_an_admin_when_issuing_a_token_then_its_secret_is_shown_once_and_it_works(
    console: Api,
) -> None:
    admin = console.login("boss")
    page = _post(admin, "/admin/users/sup/tokens", {"token_name": "CRM", "scopes": "read"})
    assert page.status_code == 200
    found = re.search(r'id="token-secret">([^<]+)<', page.text)
    assert found
    secret = found.group(1)
    assert secret not in admin.get("/admin/users/sup").text
    reader = console.anonymous()
    sites = reader.get("/api/v1/sites", headers={"Authorization": f"Bearer {secret}"})
    assert sites.status_code == 200
    token_id = re.search(r'data-token="([^"]+)"', admin.get("/admin/users/sup").text)
    assert token_id
    revoked = _post(admin, f"/admin/users/sup/tokens/{token_id.group(1)}/revoke", {})
    assert revoked.status_code == 303
    again = reader.get("/api/v1/sites", headers={"Authorization": f"Bearer {secret}"})
    assert again.status_code == 401


def test_given_an_admin_when_changing_the_desktop_words_then_the_desktops_use_them(
    console: Api,
) -> None:
    admin = console.login("boss")
    desktops = console.platform.channel_site.desktops  # type: ignore[union-attr]
    canned = {"code": "loan_rate", "text_en": "Hello {customer}, the rate is 3 %."}
    canned |= {"text_zh": "{customer}您好，利率为 3%。", "queues": "billing", "active": "on"}
    bad = _post(admin, "/admin/phrases/canned?lang=zh", {**canned, "text_zh": "{客户}您好"})
    assert bad.status_code == 422
    assert "中文文本: 未知的占位符 {客户}" in _error(bad.text)
    assert desktops.phrases.get("canned", "loan_rate") is None
    assert _post(admin, "/admin/phrases/canned", canned).status_code == 303
    shown = {p.code: p for p in desktops.vocabulary().canned}
    assert shown["loan_rate"].queues == ("billing",)
    assert shown["loan_rate"].texts["zh"] == "{customer}您好，利率为 3%。"
    lunch = {"code": "lunch", "text_en": "Lunch", "text_zh": "午饭", "mode": "update"}
    assert _post(admin, "/admin/phrases/reason", lunch).status_code == 303
    assert "lunch" not in {p.code for p in desktops.vocabulary().reasons}  # out of use
    assert 'data-code="lunch" class="inactive"' in admin.get("/admin/phrases/reason").text
    tier = {"code": "5", "text_en": "Private banking", "text_zh": "私人银行", "active": "on"}
    assert _post(admin, "/admin/phrases/tier", tier).status_code == 303
    assert desktops.vocabulary().tiers[-1].texts["zh"] == "私人银行"
    audit = console.client.get("/api/v1/audit", params={"action": "phrase."}).json()["items"]
    assert {e["target_id"] for e in audit} == {"canned:loan_rate", "reason:lunch", "tier:5"}
    lunch_entry = next(e for e in audit if e["target_id"] == "reason:lunch")
    assert lunch_entry["before"]["active"] is True and lunch_entry["after"]["active"] is False


def test_given_an_admin_when_adding_and_editing_a_site_then_its_time_zone_is_checked(
    console: Api,
) -> None:
    admin = console.login("boss")
    bad = _post(
        admin, "/admin/sites?lang=zh", {"site_id": "gz", "name": "广州", "timezone": "Mars/Base"}
    )
    assert bad.status_code == 422
    assert "时区: 未知时区 Mars/Base" in _error(bad.text)
    good = {"site_id": "gz", "name": "广州", "timezone": "Asia/Shanghai"}
    assert _post(admin, "/admin/sites", good).status_code == 303
    assert console.client.get("/api/v1/sites/gz").json()["timezone"] == "Asia/Shanghai"
    assert 'name="mode" value="update"' in admin.get("/admin/sites?edit=gz").text
    moved = {"site_id": "gz", "name": "广州", "timezone": "Asia/Urumqi", "mode": "update"}
    assert _post(admin, "/admin/sites", moved).status_code == 303
    assert console.client.get("/api/v1/sites/gz").json()["timezone"] == "Asia/Urumqi"
    audit = console.client.get("/api/v1/audit", params={"action": "site.update"}).json()
    change = audit["items"][0]
    assert change["before"]["timezone"] == "Asia/Shanghai"
    assert change["after"]["timezone"] == "Asia/Urumqi"
    patched = console.client.patch("/api/v1/sites/gz", json={"name": "广州中心"})
    assert patched.status_code == 200 and patched.json()["timezone"] == "Asia/Urumqi"
    for zone in ("Asia", "Mars/Base"):  # a directory of zones is not a zone
        refused = console.client.patch("/api/v1/sites/gz", json={"timezone": zone})
        assert refused.status_code == 422, zone
        created = console.client.post(
            "/api/v1/sites", json={"site_id": "x", "name": "x", "timezone": zone}
        )
        assert created.status_code == 422, zone
    assert console.client.patch("/api/v1/sites/mars", json={"name": "x"}).status_code == 404


def test_given_an_open_desktop_when_an_admin_adds_a_canned_reply_then_the_desktop_gets_it(
    console: Api,
) -> None:
    desk = console.login("agent1")
    admin = console.login("boss")
    with desk.websocket_connect("/ws/desktop") as ws:
        hello = ws.receive_json()
        assert "greeting" in {p["code"] for p in hello["vocabulary"]["canned"]}
        greeting = hello["vocabulary"]["canned"][0]
        assert greeting["text"]["zh"].startswith("您好")  # the shipped defaults' texts
        canned = {"code": "wait", "text_en": "One moment, {customer}.", "active": "on"}
        canned |= {"text_zh": "{customer}，请稍候。"}
        assert _post(admin, "/admin/phrases/canned", canned).status_code == 303
        for _ in range(20):
            frame = ws.receive_json()
            if frame["type"] == "vocabulary":
                break
        assert frame["type"] == "vocabulary"
        wait = frame["vocabulary"]["canned"][-1]
        assert wait == {
            "code": "wait",
            "key": "vocab.canned.wait",
            "text": {"en": "One moment, {customer}.", "zh": "{customer}，请稍候。"},
            "queues": [],
        }


def test_given_the_phrases_api_when_an_admin_puts_a_reason_then_the_console_shows_it(
    console: Api,
) -> None:
    body = {"texts": {"en": "Coaching", "zh": "辅导"}}
    made = console.client.put("/api/v1/phrases/reason/coaching", json=body)
    assert made.status_code == 200, made.text
    assert made.json() == {
        "kind": "reason",
        "code": "coaching",
        "texts": {"en": "Coaching", "zh": "辅导"},
        "queues": [],
        "active": True,
    }
    assert 'data-code="coaching"' in console.login("boss").get("/admin/phrases/reason").text
    refused = console.client.put(
        "/api/v1/phrases/reason/coaching", json={**body, "queues": ["billing"]}
    )
    assert refused.status_code == 422 and refused.json()["details"]["field"] == "queues"
    supervisor = console.anonymous()
    supervisor.headers.update(console.token("sup"))
    listed = supervisor.get("/api/v1/phrases").json()
    assert ("reason", "coaching") in {(p["kind"], p["code"]) for p in listed}
    assert supervisor.put("/api/v1/phrases/reason/x", json=body).status_code == 403


def test_given_a_cluster_when_the_queue_form_names_another_domain_then_the_step_is_kept(
    make_api: MakeApi,
) -> None:
    cluster = {"routing_domain": "north", "routing_domains": "north,south,west"}
    with make_api(max_body_bytes=1 << 16, **cluster) as api:
        assert (
            api.client.post("/api/v1/sites", json={"site_id": "sh", "name": "上海"}).status_code
            == 201
        )
        api.user("boss", "admin")
        admin = api.login("boss")
        page = admin.get("/admin/queues?lang=zh").text
        select = re.search(r'<select id="f-overflow_domain".*?</select>', page, re.S)
        assert select, "the domain select on a clustered server"
        assert re.findall(r'<option value="(\w*)"', select.group(0)) == ["", "south", "west"]
        assert "溢出到其他路由域" in page
        steps = {"overflow": "60 skills loans:2\n240 domain west cards"}
        steps |= {
            "overflow_domain": "south",
            "overflow_domain_queue": "贷款",
            "overflow_domain_after": "180",
        }
        events = api.event_count()
        for change, field, text in (
            ({"overflow_domain": "north"}, "overflow", "路由域 north 不是本集群的其他路由域"),
            ({"overflow_domain_queue": ""}, "overflow_domain_queue", "必填"),
            ({"overflow": "240 domain west"}, "overflow", "第 1 行"),
        ):
            refused = _post(admin, "/admin/queues?lang=zh", {**QUEUE_FORM, **steps, **change})
            assert refused.status_code == 422, change
            assert text in _error(refused.text), (change, _error(refused.text))
            assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true"', refused.text), change
        assert api.event_count() == events, "nothing stored"
        done = _post(admin, "/admin/queues", {**QUEUE_FORM, **steps, "overflow": steps["overflow"]})
        assert done.status_code == 303, _error(done.text)
        stored = [
            {"after_s": 60.0, "skills": {"loans": 2}, "queue_id": None},
            {"after_s": 180.0, "skills": None, "queue_id": "贷款", "domain": "south"},
            {"after_s": 240.0, "skills": None, "queue_id": "cards", "domain": "west"},
        ]
        assert api.client.get("/api/v1/queues/loans").json()["overflow"] == stored
        form = admin.get("/admin/queues?edit=loans").text
        assert '<option value="south" selected>' in form
        assert 'name="overflow_domain_queue" type="text" value="贷款"' in form
        assert 'name="overflow_domain_after" type="number" value="180"' in form
        text = re.search(r'<textarea id="f-overflow"[^>]*>([^<]*)<', form)
        assert text and text.group(1) == "60 skills loans:2\n240 domain west cards"
        assert "180 domain south 贷款" in form, "the table shows every step"
        # The form sent back as shown (a wrap-up changed) keeps every step.
        shown = {k: v for k, v in steps.items() if k != "overflow"}
        shown["overflow"] = "60 skills loans:2\n240 domain west cards"
        again = {**QUEUE_FORM, **shown, "mode": "update", "wrapup_s": "40"}
        assert _post(admin, "/admin/queues", again).status_code == 303
        kept = api.client.get("/api/v1/queues/loans").json()
        assert kept["overflow"] == stored and kept["wrapup_s"] == 40
