"""The desktop's "possibly the same person": a chat customer types an e-mail another
customer holds. The agent holding the chat merges that customer by the suggestion; a
suggested customer of another site is neither shown nor mergeable."""

from __future__ import annotations

from channels_server_helpers import Center
from customer_sites_helpers import add_bj, chat, take


def suggestions(center: Center, agent: str) -> list[dict[str, object]]:
    (held,) = center.screen(agent)["contacts"]
    found: list[dict[str, object]] = held["conversation"]["suggestions"]
    return found


def test_given_a_suggested_customer_when_the_agent_merges_it_by_its_identifier_then_merged(
    center: Center,
) -> None:
    first, _ = chat(center, "上周发过邮件", "chat-billing", email="li@example.cn", name="李雷")
    assert take(center, "a2")
    second, _ = chat(center, "我又来了", "chat-billing", email="LI@example.cn")
    assert take(center, "a1")
    (suggested,) = suggestions(center, "a1")
    assert (suggested["kind"], suggested["customer_id"]) == ("email", first)
    body = {
        "merged_id": f"{suggested['kind']}:{suggested['value']}",
        "reason": "建议的同一客户 suggested match",
        "survivor": "other",
    }
    merged = center.api("a1", "POST", f"/customers/{second}/merge", body)
    assert merged.status_code == 200, merged.text
    assert suggested["cross_site"] is False
    assert merged.json()["customer"]["customer_id"] == first
    assert center.channels.state.directory.get(second).merged_into == first
    assert suggestions(center, "a1") == []  # merged: nothing left to suggest
    # The agent's own merge can be undone from the desktop too.
    undo = center.api(
        "a1", "POST", f"/customers/merges/{merged.json()['merge_id']}/undo", {"reason": "误合并"}
    )
    assert undo.status_code == 200, undo.text


def test_given_a_suggested_customer_of_another_site_then_hidden_and_not_mergeable(
    center: Center,
) -> None:
    add_bj(center)
    han, _ = chat(center, "北京的问题", "bj-chat", email="han@example.cn", name="韩梅梅")
    assert take(center, "b1")  # served at bj
    mine, _ = chat(center, "上海这边", "chat-billing", email="han@example.cn")
    assert take(center, "a1")
    assert suggestions(center, "a1") == []
    body = {"merged_id": "email:han@example.cn", "reason": "同一人"}
    refused = center.api("a1", "POST", f"/customers/{mine}/merge", body)
    assert refused.status_code == 404, refused.text
    assert han not in refused.text
    assert center.channels.state.directory.get(han).merged_into is None
    # An admin sees it and merges the two sites' customers.
    body["merged_id"] = han
    add = center.api("root", "POST", f"/customers/{mine}/merge", body)
    assert add.status_code == 200, add.text
