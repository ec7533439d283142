"""Merging customers from the agent desktop: the agent names the other customer by id or
by an identifier, picks the survivor, and may undo its own merge; both are audited. Bad
input is refused with a reason and changes nothing."""

from __future__ import annotations

from channels_server_helpers import PASSWORD, Center, next_frame

from kefu.domain.model import AgentSpec, Channel
from kefu.service.channels import ChannelUpdate
from kefu.service.routing import commands as c
from kefu.service.security import ROLE_SCOPES, AuditEntry, AuditFilter, Role


def chat(center: Center, text: str, **profile: str) -> str:
    """A new chat customer writes; returns its customer id."""
    with center.client.websocket_connect("/ws/chat") as ws:
        ws.send_json({"type": "hello"})
        next_frame(ws, "welcome")
        message = {"topic": "chat-billing", **profile}
        ws.send_json({"type": "message", "cseq": 1, "text": text, "profile": message})
        ack = next_frame(ws, "ack")
    state = center.channels.state
    return state.directory.resolve(state.conversation(str(ack["conversation_id"])).customer_id)


def audited(center: Center, action: str) -> list[AuditEntry]:
    entries, _ = center.platform.security.audit_page(
        AuditFilter(None, action, None, None, None, None), 50, 0
    )
    return list(entries)


def two_customers_held_by_a3(center: Center) -> tuple[str, str]:
    """Two chat customers (a typed e-mail, a typed phone), both held by a3 (two chats at once)."""
    spec = AgentSpec("a3", capacity={Channel.CHAT: 2}, site_id="sh", name="张伟")
    center.execute(c.DefineAgent(spec))
    security = center.platform.security
    security.users.create(username="agent-a3", password=PASSWORD, role="agent", agent_id="a3")
    _, secret = security.credentials.issue_token("agent-a3", sorted(ROLE_SCOPES[Role.AGENT]))
    center.tokens["a3"] = {"Authorization": f"Bearer {secret}"}
    center.desktop("a3", "POST", "/state", {"presence": "ready"})
    first = chat(center, "网页上问过一次", email="li@example.cn")
    second = chat(center, "手机上又问一次", phone="13800138000")
    for offer in center.screen("a3")["offers"]:
        body = {"offer_id": offer["offer_id"]}
        accepted = center.desktop("a3", "POST", f"/offers/{offer['contact_id']}/accept", body)
        assert accepted.status_code == 200, accepted.text
    held = {x["customer"].get("customer_id") for x in center.screen("a3")["contacts"]}
    assert held == {first, second}
    return first, second


def test_given_two_held_customers_when_merged_by_identifier_then_audited_and_undoable(
    center: Center,
) -> None:
    chat_id, branch_id = two_customers_held_by_a3(center)
    held = {x["contact_id"] for x in center.screen("a3")["contacts"]}
    told: list[ChannelUpdate] = []
    center.channels.subscribe(told.append)  # the desktop pushes the holder's screen on these
    merged = center.api(
        "a3",
        "POST",
        f"/customers/{chat_id}/merge",
        {"merged_id": "phone:138 0013 8000", "reason": "同一人 same person", "survivor": "other"},
    )
    assert merged.status_code == 200, merged.text
    panel = merged.json()["customer"]
    assert panel["customer_id"] == branch_id
    kinds = {i["kind"] for i in panel["identifiers"]}
    assert {"phone", "email"} <= kinds
    (entry,) = [m for m in panel["merges"] if m["merge_id"] == merged.json()["merge_id"]]
    assert (entry["survivor_id"], entry["merged_id"], entry["agent_id"]) == (
        branch_id,
        chat_id,
        "agent-a3",
    )
    directory = center.channels.state.directory
    assert directory.get(chat_id).merged_into == branch_id
    assert {u.contact_id for u in told if u.kind == "customer"} == held
    told.clear()
    assert any(e.target_id == branch_id for e in audited(center, "customer.merge"))
    undo = center.api(
        "a3", "POST", f"/customers/merges/{entry['merge_id']}/undo", {"reason": "误合并 mistake"}
    )
    assert undo.status_code == 200, undo.text
    assert directory.get(chat_id).merged_into is None
    assert {u.contact_id for u in told if u.kind == "customer"} == held
    assert any(e.target_id == entry["merge_id"] for e in audited(center, "customer.unmerge"))


def test_given_a_merge_by_a_supervisor_when_an_agent_undoes_it_then_403(center: Center) -> None:
    chat_id, branch_id = two_customers_held_by_a3(center)
    merged = center.api(
        "lead", "POST", f"/customers/{branch_id}/merge", {"merged_id": chat_id, "reason": "同一人"}
    )
    assert merged.status_code == 200, merged.text
    merge_id = merged.json()["merge_id"]
    refused = center.api("a3", "POST", f"/customers/merges/{merge_id}/undo", {"reason": "不对"})
    assert refused.status_code == 403
    assert refused.json()["message"] == "an agent undoes only its own merges"
    assert center.channels.state.directory.get(chat_id).merged_into == branch_id


def test_given_bad_merge_input_when_posted_then_4xx_with_a_reason_and_nothing_merged(
    center: Center,
) -> None:
    chat_id, branch_id = two_customers_held_by_a3(center)
    records = center.records()
    cases = [
        ({"merged_id": "phone:13900000000", "reason": "x"}, 404),  # nobody holds it
        ({"merged_id": "phone:abc", "reason": "x"}, 422),  # not a phone number
        ({"merged_id": "cus-nobody", "reason": "x"}, 404),
        ({"merged_id": chat_id, "reason": "x"}, 422),  # itself
        ({"merged_id": branch_id, "reason": ""}, 422),
        ({"merged_id": branch_id, "reason": "x", "survivor": "both"}, 422),
    ]
    for body, code in cases:
        answer = center.api("a3", "POST", f"/customers/{chat_id}/merge", body)
        assert answer.status_code == code, (body, answer.text)
        assert answer.json().get("message") or answer.json().get("detail")
    assert center.records() == records
    assert center.channels.state.directory.get(chat_id).merged_into is None
    assert center.channels.state.directory.get(branch_id).merged_into is None
