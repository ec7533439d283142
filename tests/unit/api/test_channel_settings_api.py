"""The channel settings through the API and per site: a chat widget per site (the default
one for sites without their own) used by that site's chat and ``/chat/{site}``, e-mail
routes and webhook secrets, with the pages' commands, rights, audit and 4xx reasons."""

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
WIDGET = {
    "greeting_en": "Welcome to Shanghai",
    "greeting_zh": "欢迎来到上海中心",
    "colour": "#AA3300",
    "topics": [{"target": "cards", "label_en": "Cards", "label_zh": "信用卡"}],
    "offline_form": False,
}


@pytest.fixture
def shop(center: Api) -> Api:
    """``center`` with a chat queue per site, an e-mail queue, and one user per role."""
    c = center.client
    for body in (
        {"queue_id": "cards", "site_id": "sh", "channel": "chat"},
        {"queue_id": "bj-chat", "site_id": "bj", "channel": "chat"},
        {"queue_id": "mail", "site_id": "sh", "channel": "email"},
        {"queue_id": "mail-2", "site_id": "sh", "channel": "email"},
    ):
        assert c.post(f"{V1}/queues", json=body).status_code == 201
    center.user("boss", "admin")
    center.user("sup", "supervisor", sites=("sh",))
    center.user("agent1", "agent", agent_id="a1")
    return center


def _welcome(client: TestClient, site: str | None) -> dict[str, Any]:
    with client.websocket_connect("/ws/chat") as ws:
        ws.send_json({"type": "hello", "site_id": site, "lang": "zh"})
        for _ in range(10):
            frame: dict[str, Any] = json.loads(ws.receive_text())
            if frame["type"] == "welcome":
                return frame
    raise AssertionError("no welcome")


def _audit(api: Api, action: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.client.get(f"{V1}/audit", params={"action": action}).json()[
        "items"
    ]
    return items


def test_given_a_site_widget_when_chats_connect_then_each_site_gets_its_own_or_the_default(
    shop: Api,
) -> None:
    c = shop.client
    default = {**WIDGET, "colour": "#112233", "topics": [], "greeting_zh": "您好"}
    got = c.put(f"{V1}/chat-widget", json=default)
    assert got.status_code == 200, got.text
    assert got.json()["site_id"] is None and got.json()["own"] is True
    got = c.put(f"{V1}/sites/sh/chat-widget", json=WIDGET)
    assert got.status_code == 200, got.text
    assert got.json()["colour"] == "#aa3300" and got.json()["own"] is True
    sh, bj = _welcome(c, "sh"), _welcome(c, "bj")
    assert sh["widget"]["colour"] == "#aa3300" and sh["widget"]["offline_form"] is False
    assert sh["topics"] == [{"id": "cards", "name": "信用卡"}]
    assert bj["widget"]["colour"] == "#112233" and bj["widget"]["greeting"]["zh"] == "您好"
    assert [t["id"] for t in bj["topics"]] == ["bj-chat", "chat"]  # its queues and shared
    bj_view = c.get(f"{V1}/sites/bj/chat-widget").json()
    assert bj_view["own"] is False and bj_view["colour"] == "#112233"
    audit = _audit(shop, "widget.")
    assert {(a["target_id"], a["after"]["site_id"]) for a in audit} == {
        ("chat", None),
        ("sh", "sh"),
    }
    # kept across a restart, per site
    again = build_test(Settings(env="test"), uow_factory=shop.store)
    with TestClient(again.app) as restarted:
        assert _welcome(restarted, "sh")["widget"]["colour"] == "#aa3300"
        assert _welcome(restarted, "bj")["widget"]["colour"] == "#112233"


def test_given_bad_widget_settings_then_422_or_404_with_the_reason_and_nothing_changes(
    shop: Api,
) -> None:
    c = shop.client
    assert c.put(f"{V1}/sites/sh/chat-widget", json=WIDGET).status_code == 200
    other_site = {**WIDGET, "topics": [{"target": "bj-chat", "label_en": "B", "label_zh": "北"}]}
    cases = [
        ("sites/sh/chat-widget", other_site, 422, "topics", "not a chat queue of site"),
        ("sites/sh/chat-widget", {**WIDGET, "colour": "red"}, 422, "colour", "#rrggbb"),
        ("sites/nope/chat-widget", WIDGET, 422, "site_id", "unknown site"),
    ]
    for path, body, code, field, text in cases:
        got = c.put(f"{V1}/{path}", json=body)
        assert got.status_code == code, (path, got.text)
        error = got.json()
        assert error["details"]["field"] == field and text in error["message"], error
    assert c.put(f"{V1}/chat-widget", json={**WIDGET, "extra": 1}).status_code == 422
    assert c.get(f"{V1}/sites/nope/chat-widget").status_code == 404
    assert len(_audit(shop, "widget.")) == 1
    assert c.get(f"{V1}/sites/sh/chat-widget").json()["colour"] == "#aa3300"


def test_given_each_role_then_admins_change_supervisors_read_their_sites_agents_are_refused(
    shop: Api,
) -> None:
    sup = shop.anonymous()
    sup.headers.update(shop.token("sup"))
    assert sup.get(f"{V1}/sites/sh/chat-widget").status_code == 200
    assert sup.get(f"{V1}/sites/bj/chat-widget").status_code == 404
    assert sup.get(f"{V1}/email-routes").status_code == 200
    assert sup.put(f"{V1}/sites/sh/chat-widget", json=WIDGET).status_code == 403
    assert (
        sup.post(f"{V1}/email-routes", json={"address": "a@b.cn", "queue_id": "mail"}).status_code
        == 403
    )
    assert sup.get(f"{V1}/webhook-secrets").status_code == 403
    agent = shop.anonymous()
    agent.headers.update(shop.token("agent1"))
    assert agent.get(f"{V1}/chat-widget").status_code == 403
    assert agent.get(f"{V1}/email-routes").status_code == 403
    admin = shop.anonymous()
    admin.headers.update(shop.token("boss"))
    assert admin.put(f"{V1}/sites/sh/chat-widget", json=WIDGET).status_code == 200
    assert _audit(shop, "widget.")[0]["actor"] == "boss"


def test_given_email_routes_when_created_changed_and_removed_then_each_answer_and_audit(
    shop: Api,
) -> None:
    c = shop.client
    made = c.post(f"{V1}/email-routes", json={"address": "Help@Shop.CN", "queue_id": "mail"})
    assert made.status_code == 201, made.text
    assert made.json() == {"address": "help@shop.cn", "queue_id": "mail"}
    assert made.headers["location"] == f"{V1}/email-routes/help@shop.cn"
    twice = c.post(f"{V1}/email-routes", json={"address": "help@shop.cn", "queue_id": "mail-2"})
    assert twice.status_code == 409 and twice.json()["error_id"] == "already_exists"
    moved = c.put(f"{V1}/email-routes/help@shop.cn", json={"queue_id": "mail-2"})
    assert moved.status_code == 200 and moved.json()["queue_id"] == "mail-2"
    bad = c.put(f"{V1}/email-routes/help@shop.cn", json={"queue_id": "cards"})
    assert bad.status_code == 422 and bad.json()["details"]["field"] == "queue_id"
    bad = c.post(f"{V1}/email-routes", json={"address": "not a mailbox", "queue_id": "mail"})
    assert bad.status_code == 422 and bad.json()["details"]["field"] == "address"
    assert c.put(f"{V1}/email-routes/x@y.cn", json={"queue_id": "mail"}).status_code == 404
    listed = c.get(f"{V1}/email-routes").json()["routes"]
    assert listed == [{"address": "help@shop.cn", "queue_id": "mail-2"}]
    assert c.delete(f"{V1}/email-routes/help@shop.cn").status_code == 204
    gone = c.delete(f"{V1}/email-routes/help@shop.cn")
    assert gone.status_code == 404 and gone.json()["error_id"] == "not_found"
    assert c.get(f"{V1}/email-routes").json()["routes"] == []
    audit = _audit(shop, "address_route.")
    assert len(audit) == 3 and audit[0]["after"] is None  # newest first: the removal


def test_given_webhook_secrets_when_created_and_revoked_then_the_secret_is_shown_once(
    shop: Api,
) -> None:
    c = shop.client
    made = c.post(f"{V1}/webhook-secrets", json={"name": "短信 SMS"})
    assert made.status_code == 201, made.text
    secret = made.json()
    assert re.fullmatch(r"[0-9a-f]{64}", secret["secret"]) and secret["revoked_at"] is None
    listed = c.get(f"{V1}/webhook-secrets").json()["secrets"]
    assert [k["key_id"] for k in listed] == [secret["key_id"]]
    assert "secret" not in listed[0] and "salt" not in listed[0]
    assert secret["secret"] not in c.get(f"{V1}/webhook-secrets").text
    assert c.post(f"{V1}/webhook-secrets", json={"name": ""}).status_code == 422
    revoked = c.delete(f"{V1}/webhook-secrets/{secret['key_id']}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    again = c.delete(f"{V1}/webhook-secrets/{secret['key_id']}")
    assert again.status_code == 404
    assert [a["action"] for a in _audit(shop, "webhook_secret.")] == [
        "webhook_secret.revoke",
        "webhook_secret.create",
    ]


def test_given_the_admin_page_when_a_site_is_picked_then_its_widget_is_saved_and_served(
    shop: Api,
) -> None:
    admin = shop.login("boss")
    page = admin.get("/admin/widget?edit=sh")
    assert page.status_code == 200 and 'id="widget-inherited"' in page.text
    assert '<option value="sh" selected>' in page.text
    form = {
        "csrf_token": csrf_of(page.text),
        "site_id": "sh",
        "greeting_en": "Hi",
        "greeting_zh": "你好",
        "colour": "#00aa00",
        "topics": "cards | Cards | 信用卡",
        "offline_form": "on",
    }
    done = admin.post("/admin/widget", data=form, follow_redirects=False)
    assert done.status_code == 303 and "edit=sh" in done.headers["location"]
    assert 'id="widget-inherited"' not in admin.get("/admin/widget?edit=sh").text
    assert _welcome(shop.client, "sh")["widget"]["colour"] == "#00aa00"
    assert _welcome(shop.client, "bj")["widget"]["colour"] == "#1f6feb"  # the default's
    chat = shop.anonymous().get("/chat/sh")
    assert chat.status_code == 200 and 'data-site="sh"' in chat.text
    assert shop.anonymous().get("/chat/nope").status_code == 404
    assert "data-site" not in shop.anonymous().get("/chat/demo").text
