"""A queue's priority: set in the console's queue form or the API, audited before/after,
refused out of range with the field named, and used from the next contact on (an agent
serving two queues is offered the higher-priority queue's contact first)."""

from __future__ import annotations

import re

from api_helpers import Api, csrf_of

V1 = "/api/v1"
FORM = {
    "queue_id": "vip",
    "name": "VIP",
    "site_id": "sh",
    "channel": "voice",
    "skills": "",
    "sl_target": "80",
    "sl_threshold_s": "20",
    "wrapup_s": "0",
    "aht_s": "300",
    "short_abandon_s": "5",
    "overflow": "",
}


def _post_form(api: Api, data: dict[str, str], lang: str = "en") -> tuple[int, str]:
    admin = api.login("boss")
    token = csrf_of(admin.get("/admin").text)
    done = admin.post(
        f"/admin/queues?lang={lang}", data={"csrf_token": token, **data}, follow_redirects=False
    )
    return done.status_code, done.text


def _first_offer(api: Api, low: str, high: str) -> str:
    c = api.client
    first = c.post(f"{V1}/contacts", json={"queue_id": low}).json()["contact_id"]
    api.clock.advance(5)  # the low queue's contact waits longer and is nearer its SL deadline
    second = c.post(f"{V1}/contacts", json={"queue_id": high}).json()["contact_id"]
    assert c.post(f"{V1}/agents/a1/state", json={"presence": "ready"}).status_code == 200
    offered = [cid for cid in (first, second) if c.get(f"{V1}/contacts/{cid}").json()["agent_id"]]
    assert len(offered) == 1
    return "low" if offered == [first] else "high"


def test_given_equal_queues_when_an_agent_gets_ready_then_the_older_contact_is_offered(
    center: Api,
) -> None:
    c = center.client
    c.post(f"{V1}/queues", json={"queue_id": "vip", "site_id": "sh"})
    assert _first_offer(center, "billing", "vip") == "low"


def test_given_a_queue_priority_set_in_the_console_then_its_contact_is_offered_first_and_audited(
    center: Api,
) -> None:
    center.user("boss", "admin")
    status, text = _post_form(center, {**FORM, "priority": "10"})
    assert status == 303, text
    assert center.client.get(f"{V1}/queues/vip").json()["priority"] == 10
    assert _first_offer(center, "billing", "vip") == "high"
    page = center.login("boss").get("/admin/queues?edit=vip&lang=zh").text
    assert re.search(r'id="f-priority"[^>]*value="10"', page) and "优先级" in page


def test_given_a_priority_changed_by_the_api_then_it_applies_without_restart_and_is_audited(
    center: Api,
) -> None:
    c = center.client
    c.post(f"{V1}/queues", json={"queue_id": "vip", "site_id": "sh"})
    changed = c.patch(f"{V1}/queues/billing", json={"priority": 5})
    assert changed.status_code == 200 and changed.json()["priority"] == 5
    audit = c.get(f"{V1}/audit", params={"action": "queue.update"}).json()["items"]
    assert (audit[0]["before"]["priority"], audit[0]["after"]["priority"]) == (0, 5)
    # billing's newer contact now outranks vip's older one through billing's priority
    assert _first_offer(center, "vip", "billing") == "high"
    made = c.post(f"{V1}/contacts", json={"queue_id": "billing", "priority": 2}).json()
    assert made["priority"] == 7  # the contact's own priority plus its queue's


def test_given_a_bad_priority_then_api_and_form_refuse_it_naming_the_field_and_store_nothing(
    center: Api,
) -> None:
    c = center.client
    center.user("boss", "admin")
    events = center.event_count()
    for bad in (101, -101, 1.5, "high"):
        refused = c.post(f"{V1}/queues", json={"queue_id": "vip", "site_id": "sh", "priority": bad})
        assert refused.status_code == 422, bad
        assert "priority" in refused.text
    assert c.patch(f"{V1}/queues/billing", json={"priority": 1000}).status_code == 422
    for bad, text in (("200", "-100 到 100"), ("x", "必须是数字")):
        status, page = _post_form(center, {**FORM, "priority": bad}, lang="zh")
        assert status == 422, page
        assert re.search(r'id="f-priority"[^>]*aria-invalid="true"', page)
        assert text in page
    assert c.get(f"{V1}/queues/vip").status_code == 404
    assert center.event_count() == events
