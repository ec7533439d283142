"""The branch hall's pages: the kiosk offers an SMS reminder only when SMS can be sent, and
the counter, a signed-in clerk's page, signs out like the other signed-in pages."""

from __future__ import annotations

from api_helpers import Api, MakeApi, csrf_of


def test_given_no_sms_channel_when_the_kiosk_opens_then_no_sms_reminder_is_offered(
    api: Api,
) -> None:
    page = api.anonymous().get("/branch/kiosk").text
    assert 'id="ticket-form"' in page and 'id="phone"' in page
    assert 'id="sms-form"' not in page and 'id="sms-done"' not in page
    assert 'data-i18n="phone_only"' in page and 'data-i18n="phone_optional"' not in page
    en, zh = (api.anonymous().get(f"/i18n/{lang}.json").json()["messages"] for lang in ("en", "zh"))
    assert "SMS" not in en["branch.phone_only"] and "短信" not in zh["branch.phone_only"]


def test_given_an_sms_channel_when_the_kiosk_opens_then_it_offers_an_sms_reminder(
    make_api: MakeApi,
) -> None:
    secret = "outbound-secret-0123456789"
    with make_api(sms_url="http://127.0.0.1:9/sms", outbound_secret=secret) as api:
        page = api.anonymous().get("/branch/kiosk").text
    assert 'id="sms-form"' in page and 'data-i18n="sms_button"' in page
    assert 'data-i18n="phone_optional"' in page


def test_given_a_clerk_at_the_counter_when_signing_out_then_the_counter_asks_for_a_login(
    center: Api,
) -> None:
    center.user("clerk", "agent", agent_id="a1")
    clerk = center.login("clerk")
    counter = clerk.get("/branch/counter", headers={"Accept-Language": "zh-CN"})
    assert counter.status_code == 200 and 'action="/logout"' in counter.text
    assert 'data-i18n="logout"' in counter.text and "退出登录" in counter.text
    for public in ("/branch/kiosk", "/branch/display"):
        assert 'action="/logout"' not in clerk.get(public).text, public
    out = clerk.post("/logout", data={"csrf_token": csrf_of(counter.text)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    again = clerk.get("/branch/counter", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/login")
