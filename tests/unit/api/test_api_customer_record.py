"""The customer record over the API: custom fields defined by admins, the profile edited by
agents and supervisors of the customer's sites (a bad value is 422 naming the field and
stores nothing), products shown masked and found by account number, consent to SMS and
e-mail respected by the follow-up surveys, the likely reason of the next contact, and all
of it kept in the log across a restart."""

from __future__ import annotations

from typing import Any

import pytest
from api_helpers import Api
from fastapi.testclient import TestClient

from kefu.bootstrap import build_test
from kefu.config import Settings
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.model import Channel
from kefu.service.channels import Inbound

V1 = "/api/v1"


def _customer(api: Api, phone: str, queue: str) -> tuple[str, str]:
    """A customer who sent an SMS to ``queue``: (live customer id, contact id)."""
    channels = api.platform.channels
    assert channels is not None
    inbound = Inbound(
        Channel.SMS, (Identifier(IdentifierKind.PHONE, phone),), "我的卡扣款失败了",
        api.clock.now(), f"sms:{phone}:{api.clock.now()}", topic=queue,
    )  # fmt: skip
    receipt = api.client.portal.call(channels.receive, inbound)  # type: ignore[union-attr]
    conv = channels.state.conversation(receipt.conversation_id)
    return channels.state.directory.resolve(conv.customer_id), str(receipt.contact_id)


@pytest.fixture
def rec(center: Api) -> Api:
    c = center.client
    for body in (
        {"queue_id": "sms-sh", "site_id": "sh", "channel": "sms"},
        {"queue_id": "sms-bj", "site_id": "bj", "channel": "sms"},
    ):
        assert c.post(f"{V1}/queues", json=body).status_code == 201
    center.user("lead", "supervisor", sites=("sh",))
    center.user("lead-bj", "supervisor", sites=("bj",))
    center.user("a1", "agent", sites=("sh",), agent_id="a1")
    fields: dict[str, dict[str, Any]] = {
        "income": {"label_en": "Monthly income", "label_zh": "月收入", "kind": "number"},
        "birthday": {"label_en": "Birthday", "label_zh": "生日", "kind": "date"},
        "risk": {
            "label_en": "Risk profile", "label_zh": "风险偏好", "kind": "choice",
            "choices": ["low", "medium", "high"], "editable_by": ["supervisor"],
        },
    }  # fmt: skip
    for name, body in fields.items():
        made = c.put(f"{V1}/customer-fields/{name}", json=body)
        assert made.status_code == 200, made.text
    return center


def test_given_fields_when_a_non_admin_defines_one_then_403_and_everyone_reads_them(
    rec: Api,
) -> None:
    c = rec.client
    body = {"label_en": "VIP", "label_zh": "贵宾", "kind": "text"}
    assert (
        c.put(f"{V1}/customer-fields/vip", json=body, headers=rec.token("lead")).status_code == 403
    )
    bad = c.put(f"{V1}/customer-fields/Bad-Name", json=body)
    assert bad.status_code == 422 and bad.json()["details"]["field"] == "Bad-Name"
    listed = c.get(f"{V1}/customer-fields", headers=rec.token("a1")).json()["fields"]
    assert [f["name"] for f in listed] == ["birthday", "income", "risk"]
    assert listed[2]["choices"] == ["low", "medium", "high"]


def test_given_a_profile_edit_when_a_value_is_bad_then_422_naming_it_and_nothing_stored(
    rec: Api,
) -> None:
    c = rec.client
    customer_id, _ = _customer(rec, "+8613800138001", "sms-sh")
    lead = rec.token("lead")
    url = f"{V1}/customers/{customer_id}"
    before = rec.event_count(), len(rec.platform.channels.state.records)  # type: ignore[union-attr]
    bad = c.patch(url, json={"name": "张三", "fields": {"income": "lots"}}, headers=lead)
    assert bad.status_code == 422, bad.text
    assert bad.json()["error_id"] == "invalid_field_value"
    assert bad.json()["details"]["field"] == "income"
    assert (rec.event_count(), len(rec.platform.channels.state.records)) == before  # type: ignore[union-attr]
    assert c.get(url, headers=lead).json()["name"] == ""
    good = c.patch(
        url,
        json={"name": "张三", "language": "zh", "notes": "偏好短信",
              "fields": {"income": "12000.00", "birthday": "1990-05-01", "risk": "low"}},
        headers=lead,
    )  # fmt: skip
    assert good.status_code == 200, good.text
    profile = good.json()["customer"]["profile"]
    values = {f["name"]: f["value"] for f in profile["fields"]}
    assert values == {"birthday": "1990-05-01", "income": "12000", "risk": "low"}
    assert (good.json()["customer"]["name"], profile["language"]) == ("张三", "zh")
    audit = c.get(f"{V1}/audit", params={"action": "customer.update"}).json()
    assert any(e["target_id"] == customer_id for e in audit["items"]), audit


def test_given_an_agent_when_it_edits_then_only_held_customers_and_its_fields(
    rec: Api,
) -> None:
    c = rec.client
    held, contact_id = _customer(rec, "+8613800138002", "sms-sh")
    c.post(f"{V1}/agents/a1/state", json={"presence": "ready"})
    c.post(f"{V1}/agents/a1/state", json={"presence": "not_ready", "reason": "培训"})
    other, _ = _customer(rec, "+8613800138003", "sms-sh")
    agent = rec.token("a1")
    assert rec.platform.engine.router.contacts[contact_id].agent_id == "a1"
    ok = c.patch(f"{V1}/customers/{held}", json={"fields": {"income": "8000"}}, headers=agent)
    assert ok.status_code == 200, ok.text
    risk = c.patch(f"{V1}/customers/{held}", json={"fields": {"risk": "high"}}, headers=agent)
    assert risk.status_code == 403 and risk.json()["details"]["field"] == "risk"
    unseen = c.patch(f"{V1}/customers/{other}", json={"notes": "x"}, headers=agent)
    assert unseen.status_code == 404
    elsewhere = c.patch(f"{V1}/customers/{held}", json={"notes": "x"}, headers=rec.token("lead-bj"))
    assert elsewhere.status_code == 404
    assert c.patch(f"{V1}/customers/{other}", json={"notes": "x"}).status_code == 200


def test_given_a_record_then_numbers_are_masked_found_by_account_and_kept_on_restart(
    rec: Api,
) -> None:
    c = rec.client
    customer_id, _ = _customer(rec, "+8613800138004", "sms-sh")
    lead = rec.token("lead")
    url = f"{V1}/customers/{customer_id}/products"
    body = {"products": [
        {"number": "6222 0212 3456 7890", "kind": "card", "opened": "2021-03-04", "balance": 88.5},
        {"number": "LN-2020-0001", "kind": "loan", "status": "overdue"},
    ]}  # fmt: skip
    made = c.post(url, json=body, headers=lead)
    assert made.status_code == 200, made.text
    shown = made.json()["products"]
    assert [p["number"] for p in shown] == ["•••• 7890", "•••• 0001"]
    assert "6222021234567890" not in made.text
    bad = c.post(url, json={"products": [{"number": "1234-5678", "kind": "boat"}]}, headers=lead)
    assert bad.status_code == 422 and bad.json()["details"] == {"field": "kind", "index": 0}
    found = c.get(f"{V1}/customers", params={"q": "7890"}, headers=lead).json()["customers"]
    assert [x["customer_id"] for x in found] == [customer_id]
    assert c.get(f"{V1}/customers", params={"q": "ln2020"}, headers=lead).json()["customers"]
    other, _ = _customer(rec, "+8613800138005", "sms-sh")
    taken = c.post(
        f"{V1}/customers/{other}/products",
        json={"products": [{"number": "6222021234567890", "kind": "card"}]},
        headers=lead,
    )
    assert taken.status_code == 409 and taken.json()["error_id"] == "product_taken"
    c.patch(f"{V1}/customers/{customer_id}", json={"fields": {"risk": "high"}}, headers=lead)
    refused = {"channel": "email", "allowed": False, "reason": "客户要求"}
    assert c.put(f"{V1}/customers/{customer_id}/consent", json=refused).status_code == 200
    before = c.get(f"{V1}/customers/{customer_id}", headers=lead).json()["profile"]
    again = build_test(Settings(env="test"), uow_factory=rec.store)
    with TestClient(again.app) as restarted:
        restarted.headers.update(rec.token("lead"))
        state = again.channels.state  # type: ignore[union-attr]
        numbers = [p.number for p in state.directory.profiles.products(customer_id)]
        assert numbers == ["6222021234567890", "LN20200001"]
        after = restarted.get(f"{V1}/customers/{customer_id}").json()["profile"]
        assert after == before and after["consent"] == {"sms": True, "email": False}


def test_given_a_failed_payment_when_the_customer_writes_again_then_the_contact_says_why(
    rec: Api,
) -> None:
    c = rec.client
    customer_id, _ = _customer(rec, "+8613800138007", "sms-sh")
    lead = rec.token("lead")
    c.post(
        f"{V1}/customers/{customer_id}/products",
        json={"products": [{"number": "6222000011112222", "kind": "card"}]},
        headers=lead,
    )
    event = c.post(
        f"{V1}/customers/{customer_id}/product-events",
        json={"number": "6222 0000 1111 2222", "kind": "payment_failed"},
        headers=lead,
    )
    assert event.status_code == 200, event.text
    rec.clock.advance(60)
    likely = c.get(f"{V1}/customers/{customer_id}/likely-reason", headers=lead).json()
    assert (likely["reason"], likely["source"]) == ("payment_failed", "rules")
    assert likely["signals"]["product:payment_failed"] == "•••• 2222"
    rec.clock.advance(3600)
    _, contact_id = _customer(rec, "+8613800138007", "sms-bj")
    attributes = rec.platform.engine.router.contacts[contact_id].attributes
    assert attributes["likely_reason"] == "payment_failed"
    assert attributes["likely_reason.why"] == "product:payment_failed:•••• 2222"
