"""The supervisors' customer pages: search and open a customer of one's sites with the
whole cross-channel history; other sites' customers are 404, agents get 403."""

from __future__ import annotations

import pytest
from channels_server_helpers import Center
from customer_sites_helpers import chat, two_sites

from kefu.service.security import AuditFilter


@pytest.mark.parametrize(
    ("caller", "seen", "unseen"),
    [("lead", "li", "han"), ("lead-bj", "han", "li"), ("root", "han", None)],
)
def test_given_a_supervisor_when_it_searches_and_opens_customers_then_only_its_sites_show(
    center: Center, caller: str, seen: str, unseen: str | None
) -> None:
    people = two_sites(center)
    names = {"li": "李雷", "han": "韩梅梅"}
    texts = {"li": "我的账单不对", "han": "北京这边的问题"}
    browser = center.login(caller)
    found = browser.get("/customers", params={"q": names[seen]})
    assert found.status_code == 200, found.text
    assert f'href="/customers/{getattr(people, seen)}"' in found.text
    page = browser.get(f"/customers/{getattr(people, seen)}")
    assert page.status_code == 200, page.text
    assert texts[seen] in page.text and 'id="timeline"' in page.text
    assert 'id="lang"' in page.text and "/static/customers.js" in page.text
    assert 'src="/static/i18n.js"' in page.text
    en, zh = (browser.get(f"/i18n/{lang}.json").json()["messages"] for lang in ("en", "zh"))
    assert en["customers.timeline"] == "Contacts on every channel"
    assert zh["customers.timeline"] == "全渠道联系记录"
    entries, _ = center.platform.security.audit_page(
        AuditFilter(None, "customer.read", None, None, None, None), 50, 0
    )
    assert any(e.target_id == getattr(people, seen) and e.actor == caller for e in entries)
    if unseen is not None:
        missed = browser.get("/customers", params={"q": names[unseen]})
        assert getattr(people, unseen) not in missed.text and 'id="no-results"' in missed.text
        hidden = browser.get(f"/customers/{getattr(people, unseen)}")
        assert hidden.status_code == 404 and texts[unseen] not in hidden.text


def test_given_a_customer_with_chats_and_a_merge_when_opened_then_every_message_shows(
    center: Center,
) -> None:
    people = two_sites(center)
    body = {"merged_id": people.wang, "reason": "同一人"}
    assert center.api("lead", "POST", f"/customers/{people.li}/merge", body).status_code == 200
    page = center.login("lead").get(f"/customers/{people.li}")
    assert "我的账单不对" in page.text and "想改套餐" in page.text  # both chats' messages
    assert "账单咨询 Billing" in page.text and "mrg-000001" in page.text
    # Two chat cookies (two browsers): one web-visitor line with its count.
    assert page.text.count('<li data-kind="chat_cookie">') == 1
    assert "Web chat visitor</span> ×2" in page.text or "网页访客</span> ×2" in page.text


def test_given_markup_in_a_customer_name_when_shown_then_escaped(center: Center) -> None:
    customer, _ = chat(center, "<img src=x onerror=alert(1)>", "chat-billing", name="<b>坏</b>")
    page = center.login("lead").get(f"/customers/{customer}")
    assert page.status_code == 200
    assert "<b>坏</b>" not in page.text and "&lt;b&gt;坏&lt;/b&gt;" in page.text
    assert "<img src=x" not in page.text


def test_given_an_agent_or_nobody_when_opening_the_customer_pages_then_refused(
    center: Center,
) -> None:
    two_sites(center)
    assert center.login("agent-a1").get("/customers").status_code == 403
    assert 'href="/customers"' not in center.login("agent-a1").get("/account").text
    assert 'href="/customers"' in center.login("lead").get("/account").text
    anonymous = center.client.get("/customers", follow_redirects=False)
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["location"]


def test_given_a_too_long_search_when_sent_then_422_with_the_reason(center: Center) -> None:
    answer = center.login("lead").get("/customers", params={"q": "x" * 101})
    assert answer.status_code == 422 and 'data-i18n="too_long"' in answer.text


@pytest.mark.parametrize(
    ("lang", "tier", "email", "visitor", "agent"),
    [
        ("zh", "普通", "邮箱: li@example.cn", "网页访客", "王小明"),
        ("en", "Standard", "E-mail: li@example.cn", "Web chat visitor", "王小明"),
    ],
)
def test_given_a_customer_page_then_tier_identifiers_and_agent_are_named_in_its_language(
    center: Center, lang: str, tier: str, email: str, visitor: str, agent: str
) -> None:
    people = two_sites(center)
    browser = center.login("lead")
    page = browser.get(f"/customers/{people.li}", params={"lang": lang}).text
    assert f'<span data-i18n="vocab.tier.0">{tier}</span>' in page  # not "0"
    assert f'<span data-i18n="desktop.id_email">{email.split(":")[0]}</span>: li@example.cn' in page
    assert f'<span data-i18n="desktop.id_chat_cookie">{visitor}</span>' in page
    assert "chat_cookie" not in page.replace('data-kind="chat_cookie"', "").replace(
        "desktop.id_chat_cookie", ""
    )  # the cookie's id (the chat's signing input) is not shown
    assert f'title="a1">{agent}</span>' in page  # the agent by name, its id on hover
    found = browser.get("/customers", params={"q": "李雷", "lang": lang}).text
    assert f"{email.split(':')[0]}</span>: li@example.cn" in found and "chat_cookie:" not in found
