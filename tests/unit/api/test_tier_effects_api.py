"""A value tier's routing effect over ``/api/v1/tiers`` and in the console's tier tab: set
by an admin (supervisors read, 403 to write), bad input answered 422 with the field and the
reason (in Chinese on the zh page), and the queue's waiting list in the order the effect
gives."""

from __future__ import annotations

import re

import httpx
from api_helpers import Api, csrf_of
from fastapi.testclient import TestClient


def _post(browser: TestClient, path: str, data: dict[str, str]) -> httpx.Response:
    token = csrf_of(browser.get("/admin").text)
    return browser.post(path, data={"csrf_token": token, **data}, follow_redirects=False)


def _waiting(api: Api, queue_id: str) -> list[str]:
    listed = api.client.get(f"/api/v1/queues/{queue_id}/waiting")
    assert listed.status_code == 200, listed.text
    return [item["contact_id"] for item in listed.json()["items"]]


def _contact(api: Api, tier: int, priority: int = 0) -> str:
    body = {"queue_id": "billing", "value_tier": tier, "priority": priority}
    made = api.client.post("/api/v1/contacts", json=body)
    assert made.status_code == 201, made.text
    return str(made.json()["contact_id"])


def test_given_the_tiers_api_when_an_admin_sets_an_effect_then_new_contacts_queue_by_it(
    center: Api,
) -> None:
    c = center.client
    listed = {t["tier"]: t for t in c.get("/api/v1/tiers").json()}
    assert set(listed) == {1, 2, 3, 4}  # the shipped labels, tier 0 left out
    assert (
        listed[2]
        == {
            "tier": 2,
            "effect": "first",
            "boost": 0,
            "texts": listed[2]["texts"],
        }
        and listed[2]["texts"]["en"]
    )
    put = c.put("/api/v1/tiers/2", json={"effect": "boost", "boost": 5})
    assert put.status_code == 200, put.text
    assert {k: put.json()[k] for k in ("tier", "effect", "boost")} == {
        "tier": 2,
        "effect": "boost",
        "boost": 5,
    }
    for path, body, field in (
        ("/api/v1/tiers/0", {"effect": "first"}, "tier"),
        ("/api/v1/tiers/2", {"effect": "vip"}, "effect"),
        ("/api/v1/tiers/2", {"effect": "boost", "boost": 0}, "boost"),
        ("/api/v1/tiers/2", {"effect": "none", "boost": 3}, "boost"),
        ("/api/v1/tiers/2", {"effect": "boost", "boost": 101}, "boost"),
    ):
        refused = c.put(path, json=body)
        assert refused.status_code == 422, (body, refused.text)
        details = refused.json()["details"]
        fields = [e["field"] for e in details.get("errors", [])] or [details["field"]]
        assert fields == [field], (body, refused.text)
    assert c.get("/api/v1/tiers").json()[1]["boost"] == 5  # nothing changed

    standard = _contact(center, 0, 4)
    silver = _contact(center, 2)  # priority 0 + 5: ahead of the standard priority 4
    gold = _contact(center, 3)  # still served first
    assert _waiting(center, "billing") == [gold, silver, standard]
    shown = c.get(f"/api/v1/contacts/{silver}").json()
    assert (shown["value_tier"], shown["rank"], shown["priority"]) == (2, 0, 5)

    center.user("sup", "supervisor", sites=("sh",))
    supervisor = center.anonymous()
    supervisor.headers.update(center.token("sup"))
    assert supervisor.get("/api/v1/tiers").status_code == 200
    assert supervisor.put("/api/v1/tiers/2", json={"effect": "none"}).status_code == 403
    audit = c.get("/api/v1/audit", params={"action": "tier."}).json()["items"]
    assert [(e["target_id"], e["before"]["effect"], e["after"]["effect"]) for e in audit] == [
        ("2", "first", "boost")
    ]


def test_given_the_tier_tab_when_an_admin_sets_an_effect_then_the_api_and_the_page_show_it(
    center: Api,
) -> None:
    center.user("boss", "admin")
    admin = center.login("boss")
    page = admin.get("/admin/phrases/tier?edit=1")
    assert page.status_code == 200
    assert 'id="tier-form"' in page.text and 'data-effect="first"' in page.text
    bad = _post(admin, "/admin/tiers?lang=zh", {"tier": "1", "effect": "boost", "boost": "0"})
    assert bad.status_code == 422
    error = re.search(r'id="error"[^>]*>([^<]*)<', bad.text)
    assert error is not None and error.group(1) == "优先级提升: 优先级提升须为 1–100"
    assert 'id="f-boost" name="boost"' in bad.text and 'aria-invalid="true"' in bad.text
    words = _post(admin, "/admin/tiers", {"tier": "x", "effect": "none"})
    assert words.status_code == 422
    assert center.client.get("/api/v1/tiers").json()[0]["effect"] == "first"

    # The boost field is read only for the effect boost: a stale value is ignored.
    saved = _post(admin, "/admin/tiers", {"tier": "1", "effect": "none", "boost": "7"})
    assert saved.status_code == 303
    assert center.client.get("/api/v1/tiers").json()[0] == {
        "tier": 1,
        "effect": "none",
        "boost": 0,
        "texts": center.client.get("/api/v1/tiers").json()[0]["texts"],
    }
    saved = _post(admin, "/admin/tiers", {"tier": "3", "effect": "boost", "boost": "2"})
    assert saved.status_code == 303
    shown = admin.get("/admin/phrases/tier").text
    row = re.search(r'<tr data-code="3".*?</tr>', shown, re.S)
    assert row is not None and 'data-effect="boost"' in row.group(0)
    assert "Priority +2" in row.group(0)
    assert "优先级 +2" in admin.get("/admin/phrases/tier?lang=zh").text

    sup = center.user("sup", "supervisor", sites=("sh",))
    reader = center.login(sup)
    assert 'id="tier-form"' not in reader.get("/admin/phrases/tier").text
    refused = _post(reader, "/admin/tiers", {"tier": "1", "effect": "first"})
    assert refused.status_code == 403
