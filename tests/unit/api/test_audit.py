"""The audit log over HTTP: configuration changes with who, when, before and after; reads
of contacts; user and token management; the admin-only listing and its filters."""

from __future__ import annotations

from typing import Any

from api_helpers import PASSWORD, Api

V1 = "/api/v1"


def audit(api: Api, **params: Any) -> list[dict[str, Any]]:
    response = api.client.get(f"{V1}/audit", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_given_configuration_changes_then_audited_with_before_and_after(center: Api) -> None:
    center.clock.advance(60)
    patched = center.client.patch(f"{V1}/queues/billing", json={"sl_threshold_s": 30})
    assert patched.status_code == 200
    center.client.patch(f"{V1}/agents/a1", json={"skills": {"billing": 9}})
    queue = audit(center, action="queue.update")[0]
    assert queue["actor"] == "root" and queue["target_id"] == "billing"
    assert queue["site_id"] == "sh" and queue["at"] == 1_700_000_060.0
    assert queue["before"]["sl_threshold_s"] == 20 and queue["after"]["sl_threshold_s"] == 30
    assert queue["client"] == "testclient"
    agent = audit(center, target_type="agent", target_id="a1")[0]
    assert agent["action"] == "agent.update" and agent["after"]["skills"] == {"billing": 9}
    created = [e["target_id"] for e in audit(center, action="site.create")]
    assert sorted(created) == ["bj", "sh"]
    assert {e["action"] for e in audit(center, actor="root", limit=100)} >= {
        "site.create",
        "queue.create",
        "queue.update",
        "agent.create",
        "agent.update",
    }


def test_given_a_refused_change_then_no_audit_entry(center: Api) -> None:
    before = center.client.get(f"{V1}/audit").json()["total"]
    assert center.client.patch(f"{V1}/queues/billing", json={"sl_target": 2}).status_code == 422
    assert center.client.post(f"{V1}/sites", json={"site_id": "sh", "name": "x"}).status_code == 409
    assert center.client.get(f"{V1}/audit").json()["total"] == before


def test_given_contacts_are_read_then_who_read_which_is_audited(center: Api) -> None:
    center.user("boss", "supervisor", sites=("sh",))
    boss = center.token("boss")
    made = center.client.post(
        f"{V1}/contacts", json={"queue_id": "billing", "customer_id": "cust-7"}
    ).json()
    cid = made["contact_id"]
    reader = center.anonymous()
    assert reader.get(f"{V1}/contacts/{cid}", headers=boss).status_code == 200
    assert reader.get(f"{V1}/contacts", headers=boss).status_code == 200
    assert reader.get(f"{V1}/queues/billing/waiting", headers=boss).status_code == 200
    reads = audit(center, target_type="contact", target_id=cid)
    assert [(e["actor"], e["action"]) for e in reads] == [
        ("boss", "contact.list"),
        ("boss", "contact.list"),
        ("boss", "contact.read"),
    ]
    assert reads[-1]["details"] == {"customer_id": "cust-7", "via": "token"}
    assert reads[-1]["site_id"] == "sh"
    refused = reader.get(f"{V1}/audit", headers=boss)
    assert refused.status_code == 403


def test_given_users_managed_over_http_then_audited_without_secrets(center: Api) -> None:
    c = center.client
    made = c.post(
        f"{V1}/users",
        json={
            "username": "Li.Na",
            "password": "a long password",
            "role": "agent",
            "agent_id": "a2",
            "display_name": "李娜",
        },
    )
    assert made.status_code == 201, made.text
    assert made.json()["username"] == "li.na" and "password" not in str(made.json())
    assert c.post(f"{V1}/users", json={**made.json(), "password": "x" * 12}).status_code == 422
    again = {"username": "LI.NA", "password": "another password", "role": "admin"}
    assert c.post(f"{V1}/users", json=again).status_code == 409
    bad_site = {"username": "s", "password": PASSWORD, "role": "supervisor", "sites": ["mars"]}
    assert c.post(f"{V1}/users", json=bad_site).status_code == 404
    issued = c.post(f"{V1}/users/li.na/tokens", json={"scopes": ["read"], "name": "桌面"})
    assert issued.status_code == 201 and issued.json()["token"].startswith("kefu_")
    too_much = c.post(f"{V1}/users/li.na/tokens", json={"scopes": ["admin"]})
    assert too_much.status_code == 403
    token = issued.json()
    bearer = {"Authorization": f"Bearer {token['token']}"}
    assert center.anonymous().get(f"{V1}/agents/a2", headers=bearer).status_code == 200
    revoked = c.delete(f"{V1}/users/li.na/tokens/{token['token_id']}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert center.anonymous().get(f"{V1}/agents/a2", headers=bearer).status_code == 401
    assert c.delete(f"{V1}/users/li.na/tokens/nope").status_code == 404
    changed = c.patch(f"{V1}/users/li.na", json={"password": "new password 1", "active": False})
    assert changed.status_code == 200 and changed.json()["active"] is False
    listed = c.get(f"{V1}/users").json()
    assert [u["username"] for u in listed["items"]] == ["li.na", "root"]
    entries = audit(center, target_type="user", target_id="li.na")
    assert [e["action"] for e in entries] == ["user.update", "user.create"]
    assert entries[0]["details"] == {"password_changed": True}
    assert all("password_hash" not in str(e) for e in entries)
    tokens = audit(center, target_type="token", target_id=token["token_id"])
    assert [e["action"] for e in tokens] == ["token.revoke", "token.create"]
    assert "token_hash" not in str(audit(center, target_type="token"))


def test_given_the_audit_log_then_it_pages_newest_first(center: Api) -> None:
    page = center.client.get(f"{V1}/audit", params={"limit": 2}).json()
    assert len(page["items"]) == 2 and page["next_offset"] == 2
    seqs = [e["seq"] for e in page["items"]]
    assert seqs == sorted(seqs, reverse=True)
    rest = center.client.get(f"{V1}/audit", params={"limit": 100, "offset": 2}).json()
    assert len(rest["items"]) == page["total"] - 2
    assert center.client.get(f"{V1}/audit", params={"since": 2e9}).json()["total"] == 0
