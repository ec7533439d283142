"""Customers across sites: every ``/api/v1/customers`` endpoint per role and site. A
customer belongs to the sites of its contacts' queues; a caller that does not see it gets
the same 404 as for no such customer; merging customers of different sites needs an admin."""

from __future__ import annotations

import pytest
from channels_server_helpers import Center
from customer_sites_helpers import chat, take, two_sites

# Who sees which customer (li and wang at sh, li held by a1; han at bj).
SEES = {
    "root": {"li", "wang", "han"},
    "lead": {"li", "wang"},
    "lead-bj": {"han"},
    "lead-both": {"li", "wang", "han"},
    "a1": {"li"},
    "a2": set(),
}
REFS = {"li": "email:li@example.cn", "wang": "phone:138 0013 8000", "han": "phone:13900139000"}
NAMES = {"li": "李雷", "wang": "王芳", "han": "韩梅梅"}
PHONES = {"li": "li@EXAMPLE.cn", "wang": "0013 8000", "han": "13900139000"}


@pytest.mark.parametrize("caller", sorted(SEES))
def test_given_two_sites_when_each_role_reads_each_customer_then_only_its_sites_are_seen(
    center: Center, caller: str
) -> None:
    people = two_sites(center)
    for who in ("li", "wang", "han"):
        customer_id = getattr(people, who)
        for ref in (customer_id, REFS[who]):
            answer = center.api(caller, "GET", f"/customers/{ref}")
            if who in SEES[caller]:
                assert answer.status_code == 200, (caller, ref, answer.text)
                assert answer.json()["customer_id"] == customer_id
            else:
                assert answer.status_code == 404, (caller, ref, answer.text)
                assert answer.json()["error_id"] == "unknown_customer"
                # The same answer as for an id nobody has: nothing is disclosed.
                assert answer.json()["message"].startswith("unknown customer")
                assert customer_id not in answer.text or ref == customer_id


@pytest.mark.parametrize("caller", sorted(SEES))
def test_given_two_sites_when_each_role_searches_then_results_are_of_its_sites_only(
    center: Center, caller: str
) -> None:
    people = two_sites(center)
    for who in ("li", "wang", "han"):
        customer_id = getattr(people, who)
        for query in (NAMES[who], PHONES[who], customer_id):
            answer = center.api(caller, "GET", f"/customers?q={query}")
            assert answer.status_code == 200, answer.text
            found = {x["customer_id"] for x in answer.json()["customers"]}
            assert (customer_id in found) == (who in SEES[caller]), (caller, query, found)
            assert found <= {getattr(people, w) for w in SEES[caller]}


def test_given_a_search_when_the_text_is_empty_or_too_long_then_422_with_a_reason(
    center: Center,
) -> None:
    two_sites(center)
    for query in ("", "%20%20", "x" * 101):
        answer = center.api("lead", "GET", f"/customers?q={query}")
        assert answer.status_code == 422, (query, answer.text)
        assert answer.json()["message"]


def test_given_a_search_hit_then_it_carries_the_sites_and_the_latest_contact(
    center: Center,
) -> None:
    people = two_sites(center)
    answer = center.api("root", "GET", "/customers?q=韩")
    (hit,) = answer.json()["customers"]
    assert (hit["customer_id"], hit["sites"], hit["name"]) == (people.han, ["bj"], "韩梅梅")
    assert hit["last_contact_at"] is not None


# (caller, survivor, merged) → status
MERGES = [
    ("lead", "li", "wang", 200),
    ("root", "li", "han", 200),
    ("lead-bj", "li", "wang", 404),
    ("lead", "li", "han", 404),
    ("lead", "han", "li", 404),
    ("lead-both", "li", "han", 403),
    ("a1", "li", "wang", 404),
    ("a2", "li", "wang", 404),
]


@pytest.mark.parametrize(("caller", "survivor", "merged", "status"), MERGES)
def test_given_two_sites_when_each_role_merges_then_only_seen_same_site_customers_merge(
    center: Center, caller: str, survivor: str, merged: str, status: int
) -> None:
    people = two_sites(center)
    records = center.records()
    survivor_id, merged_id = getattr(people, survivor), getattr(people, merged)
    body = {"merged_id": REFS[merged], "reason": "同一人 same person"}
    answer = center.api(caller, "POST", f"/customers/{survivor_id}/merge", body)
    assert answer.status_code == status, answer.text
    directory = center.channels.state.directory
    if status == 200:
        assert directory.get(merged_id).merged_into == survivor_id
        return
    assert directory.get(merged_id).merged_into is None
    assert center.records() == records
    if status == 403:
        assert "only an admin" in answer.json()["message"]  # the reader's English only
        assert "管理员" not in answer.json()["message"]
        path = f"/customers/{survivor_id}/merge?lang=zh"
        in_chinese = center.api(caller, "POST", path, body)  # the catalog's text
        assert in_chinese.status_code == 403 and "管理员" in in_chinese.json()["message"]


@pytest.mark.parametrize(
    ("caller", "status"),
    [("lead", 200), ("root", 200), ("lead-bj", 404), ("a2", 404), ("a1", 403)],
)
def test_given_a_merge_at_sh_when_each_role_undoes_it_then_only_sh_may(
    center: Center, caller: str, status: int
) -> None:
    people = two_sites(center)
    body = {"merged_id": people.wang, "reason": "同一人"}
    merged = center.api("lead", "POST", f"/customers/{people.li}/merge", body)
    assert merged.status_code == 200, merged.text
    merge_id = merged.json()["merge_id"]
    answer = center.api(caller, "POST", f"/customers/merges/{merge_id}/undo", {"reason": "错了"})
    assert answer.status_code == status, answer.text
    undone = center.channels.state.directory.get(people.wang).merged_into is None
    assert undone == (status == 200)
    if status == 404:
        assert answer.json()["error_id"] == "unknown_merge"


def test_given_a_merge_id_nobody_made_when_undone_then_404(center: Center) -> None:
    two_sites(center)
    answer = center.api("lead", "POST", "/customers/merges/mrg-999999/undo", {"reason": "x"})
    assert answer.status_code == 404, answer.text


def test_given_a_merged_away_id_when_read_by_the_other_site_then_still_404(
    center: Center,
) -> None:
    people = two_sites(center)
    body = {"merged_id": people.wang, "reason": "同一人"}
    assert center.api("lead", "POST", f"/customers/{people.li}/merge", body).status_code == 200
    assert center.api("lead", "GET", f"/customers/{people.wang}").json()["customer_id"] == people.li
    assert center.api("lead-bj", "GET", f"/customers/{people.wang}").status_code == 404


def test_given_no_credentials_when_a_customer_endpoint_is_called_then_401(
    center: Center,
) -> None:
    people = two_sites(center)
    assert center.api(None, "GET", f"/customers/{people.li}").status_code == 401
    assert center.api(None, "GET", "/customers?q=li").status_code == 401
    body = {"merged_id": people.wang, "reason": "x"}
    assert center.api(None, "POST", f"/customers/{people.li}/merge", body).status_code == 401


def test_given_an_agent_also_holding_an_api_contact_of_an_unknown_customer_then_it_reads_its_chat(
    center: Center,
) -> None:
    made = center.api("lead", "POST", "/contacts", {"queue_id": "mail", "customer_id": "外部-1"})
    assert made.status_code == 201, made.text
    li, _ = chat(center, "我的账单不对", "chat-billing", email="li@example.cn")
    assert len(take(center, "a1")) == 2  # the e-mail contact and the chat
    answer = center.api("a1", "GET", f"/customers/{li}")
    assert answer.status_code == 200, answer.text
    assert center.api("a1", "GET", "/customers/外部-1").status_code == 404


def test_given_two_sites_when_each_role_reads_a_timeline_or_sets_consent_then_only_its_sites(
    center: Center,
) -> None:
    people = two_sites(center)
    for caller in sorted(SEES):
        for who in ("li", "wang", "han"):
            customer_id = getattr(people, who)
            timeline = center.api(caller, "GET", f"/customers/{REFS[who]}/timeline")
            consent = center.api(
                caller, "PUT", f"/customers/{customer_id}/survey-consent", {"allowed": False}
            )
            if who in SEES[caller]:
                assert timeline.status_code == 200, (caller, who, timeline.text)
                assert timeline.json()["customer_id"] == customer_id
                assert consent.status_code == 200, (caller, who, consent.text)
            else:
                for answer in (timeline, consent):
                    assert answer.status_code == 404, (caller, who, answer.text)
                    assert answer.json()["error_id"] == "unknown_customer"
