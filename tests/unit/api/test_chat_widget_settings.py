"""The chat widget's settings as data (``/admin/widget``): greeting, colour, topics (chat
queues or flows, labelled in both languages) and the offline form. A change is audited with
before/after, shows in the next ``welcome`` without a restart, survives a restart, and a bad
value is refused naming its field with nothing stored; supervisors read, agents are
refused."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from api_helpers import Api, csrf_of
from fastapi.testclient import TestClient

from kefu.bootstrap import build_test
from kefu.config import Settings

V1 = "/api/v1"
FORM = {
    "greeting_en": "Hello! How can we help?",
    "greeting_zh": "您好！请问有什么可以帮您？",
    "colour": "#AA3300",
    "topics": "cards | Card help | 信用卡\nbilling-chat | Bills | 账单",
    "offline_form": "on",
}


@pytest.fixture
def shop(center: Api) -> Api:
    """``center`` with a second chat queue of sh, an admin, a supervisor and an agent."""
    c = center.client
    body = {"queue_id": "cards", "site_id": "sh", "channel": "chat", "name": "卡 Cards"}
    assert c.post(f"{V1}/queues", json=body).status_code == 201
    body = {"queue_id": "billing-chat", "site_id": "sh", "channel": "chat"}
    assert c.post(f"{V1}/queues", json=body).status_code == 201
    center.user("boss", "admin")
    center.user("sup", "supervisor", sites=("sh",))
    center.user("agent1", "agent", agent_id="a1")
    return center


def _save(api: Api, data: dict[str, str], lang: str = "en") -> tuple[int, str]:
    admin = api.login("boss")
    token = csrf_of(admin.get("/admin").text)
    done = admin.post(
        f"/admin/widget?lang={lang}", data={"csrf_token": token, **data}, follow_redirects=False
    )
    return done.status_code, done.text


def _welcome(client: TestClient, lang: str = "zh") -> dict[str, Any]:
    with client.websocket_connect("/ws/chat") as ws:
        ws.send_json({"type": "hello", "site_id": "sh", "lang": lang})
        for _ in range(10):
            frame: dict[str, Any] = json.loads(ws.receive_text())
            if frame["type"] == "welcome":
                return frame
    raise AssertionError("no welcome")


def test_given_no_settings_then_the_widget_offers_every_chat_queue_of_its_site(shop: Api) -> None:
    welcome = _welcome(shop.client)
    assert [t["id"] for t in welcome["topics"]] == ["billing-chat", "cards", "chat"]
    assert welcome["widget"]["colour"] == "#1f6feb" and welcome["widget"]["staffed"] is False


def test_given_an_admin_sets_the_widget_then_the_next_hello_uses_it_audited_and_kept_on_restart(
    shop: Api,
) -> None:
    status, page = _save(shop, FORM)
    assert status == 303, page
    welcome = _welcome(shop.client)
    assert welcome["topics"] == [
        {"id": "cards", "name": "信用卡"},
        {"id": "billing-chat", "name": "账单"},
    ]
    look = welcome["widget"]
    assert look["greeting"] == {"en": FORM["greeting_en"], "zh": FORM["greeting_zh"]}
    assert (look["colour"], look["offline_form"], look["staffed"]) == ("#aa3300", True, False)
    assert _welcome(shop.client, "en")["topics"][0]["name"] == "Card help"
    audit = shop.client.get(f"{V1}/audit", params={"action": "widget."}).json()["items"]
    assert audit[0]["actor"] == "boss" and audit[0]["before"]["topics"] == []
    assert audit[0]["after"]["topics"][0] == {
        "target": "cards",
        "labels": {"en": "Card help", "zh": "信用卡"},
    }
    # an agent of the topics' site logging in makes the widget staffed
    assert shop.client.post(f"{V1}/agents/a1/state", json={"presence": "ready"}).status_code == 200
    assert _welcome(shop.client)["widget"]["staffed"] is True
    again = build_test(Settings(env="test"), uow_factory=shop.store)
    with TestClient(again.app) as restarted:
        restarted.headers.update(shop.token("root"))
        assert _welcome(restarted)["widget"]["greeting"]["zh"] == FORM["greeting_zh"]
        assert [t["id"] for t in _welcome(restarted)["topics"]] == ["cards", "billing-chat"]


def test_given_bad_widget_settings_then_the_field_is_named_in_chinese_and_nothing_changes(
    shop: Api,
) -> None:
    assert _save(shop, FORM)[0] == 303
    cases = {
        "colour": ({"colour": "red"}, "#rrggbb"),
        "topics": ({"topics": "cards | only"}, "第 1 行"),
        "greeting_en": ({"greeting_en": "x" * 501}, "最多 500 个字符"),
    }
    for field, (change, text) in cases.items():
        status, page = _save(shop, {**FORM, **change}, lang="zh")
        assert status == 422, field
        assert text in page, (field, page[:300])
        assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true"', page), field
    for topics, text in (("nope | A | 甲", "nope"), ("billing | A | 甲", "不是聊天队列")):
        status, page = _save(shop, {**FORM, "topics": topics}, lang="zh")
        assert status == 422 and text in page, topics
    status, page = _save(shop, {**FORM, "topics": "flow:nope | Self | 自助"}, lang="zh")
    assert status == 422 and "没有已发布的流程" in page
    audit = shop.client.get(f"{V1}/audit", params={"action": "widget."}).json()["items"]
    assert len(audit) == 1
    assert [t["id"] for t in _welcome(shop.client)["topics"]] == ["cards", "billing-chat"]


def test_given_each_role_then_admins_change_supervisors_read_agents_are_refused(
    shop: Api,
) -> None:
    assert _save(shop, FORM)[0] == 303
    seen = shop.login("sup").get("/admin/widget")
    assert seen.status_code == 200 and 'id="read-only"' in seen.text
    assert "Card help" in seen.text and 'id="save"' not in seen.text
    sup = shop.login("sup")
    token = csrf_of(sup.get("/admin/widget").text)
    refused = sup.post("/admin/widget", data={"csrf_token": token, **FORM, "colour": "#000000"})
    assert refused.status_code == 403
    assert shop.login("agent1").get("/admin/widget").status_code == 403
    assert _welcome(shop.client)["widget"]["colour"] == "#aa3300"
