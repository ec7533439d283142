"""Authentication: the login page and its form (CSRF by signed double submit, Origin
check), session cookies (HTTP-only, SameSite, Secure outside local use), logout, rate
limiting with 429 and Retry-After, bearer tokens, the CSRF header on cookie API calls."""

from __future__ import annotations

import re
from typing import Any

from api_helpers import PASSWORD, Api, MakeApi, csrf_of
from fastapi.testclient import TestClient


def login_form(browser: TestClient, username: str, password: str, **extra: str) -> Any:
    page = browser.get("/login")
    data = {"username": username, "password": password, "csrf_token": csrf_of(page.text)}
    return browser.post("/login", data={**data, **extra}, follow_redirects=False)


def test_given_no_session_when_opening_the_front_page_then_the_bilingual_login_form(
    api: Api,
) -> None:
    browser = api.anonymous()
    front = browser.get("/", follow_redirects=False)
    assert front.status_code == 303 and front.headers["location"] == "/login"
    page = browser.get("/login?next=/wallboard")
    assert page.status_code == 200
    html = page.text
    for needle in ('name="username"', 'name="password"', 'type="submit"', 'name="csrf_token"'):
        assert needle in html
    assert 'value="/wallboard"' in html and "登录" in html and "Sign in" in html
    assert not re.search(r"(src|href)=\"https?://", html)
    js = browser.get("/static/auth.js")
    assert js.status_code == 200 and 'kefuI18n.load("auth")' in js.text
    assert browser.get("/i18n/zh.json").json()["messages"]["auth.username"] == "用户名"
    assert browser.get("/i18n/en.json").json()["messages"]["auth.username"] == "Username"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    nonce_cookie = page.headers["set-cookie"]
    assert "kefu_login_csrf=" in nonce_cookie and "HttpOnly" in nonce_cookie
    assert "SameSite=strict" in nonce_cookie and "Secure" not in nonce_cookie
    assert browser.get("/wallboard", follow_redirects=False).headers["location"] == (
        "/login?next=/wallboard"
    )


def test_given_right_credentials_then_a_session_cookie_and_the_wallboard(center: Api) -> None:
    center.user("boss", "supervisor", sites=("sh",))
    browser = center.anonymous()
    done = login_form(browser, "BOSS", PASSWORD, next="/wallboard?site_id=sh")
    assert done.status_code == 303 and done.headers["location"] == "/wallboard?site_id=sh"
    cookie = done.headers["set-cookie"]
    assert cookie.startswith("kefu_session=") and "HttpOnly" in cookie
    assert "SameSite=lax" in cookie and "Path=/" in cookie and "Secure" not in cookie
    board = browser.get("/wallboard")
    assert board.status_code == 200 and "boss" in board.text and 'action="/logout"' in board.text
    me = browser.get("/api/v1/me").json()
    assert (me["username"], me["role"], me["sites"], me["via"]) == (
        "boss",
        "supervisor",
        ["sh"],
        "session",
    )
    assert len(me["csrf_token"]) == 64
    away = login_form(center.anonymous(), "boss", PASSWORD, next="//evil.example/x")
    assert away.headers["location"] == "/wallboard"  # never to another site


def test_given_production_settings_then_cookies_are_secure(make_api: MakeApi) -> None:
    with make_api(env="production", secret_key="s" * 40) as prod:
        prod.user("boss", "admin")
        plain = prod.anonymous()
        assert "Secure" in plain.get("/login").headers["set-cookie"]
        assert login_form(plain, "boss", PASSWORD).status_code == 403  # no cookie over http
        done = login_form(prod.anonymous("https://testserver"), "boss", PASSWORD)
        assert done.status_code == 303 and "Secure" in done.headers["set-cookie"]


def test_given_a_forged_form_when_posted_then_403_and_no_session(center: Api) -> None:
    center.user("boss", "admin")
    browser = center.anonymous()
    browser.get("/login")
    forged = browser.post(
        "/login",
        data={"username": "boss", "password": PASSWORD, "csrf_token": "0" * 64},
        follow_redirects=False,
    )
    assert forged.status_code == 403 and "kefu_session" not in forged.headers.get("set-cookie", "")
    fresh = center.anonymous()  # the form's token without its cookie
    token = csrf_of(center.anonymous().get("/login").text)
    lone = fresh.post(
        "/login", data={"username": "boss", "password": PASSWORD, "csrf_token": token}
    )
    assert lone.status_code == 403
    page = browser.get("/login")
    other_site = browser.post(
        "/login",
        data={"username": "boss", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert other_site.status_code == 403


def test_given_wrong_passwords_then_401_then_429_with_retry_after_per_username(
    center: Api,
) -> None:
    center.user("boss", "admin")
    browser = center.anonymous()
    for _ in range(5):
        wrong = login_form(browser, "boss", "not the password")
        assert wrong.status_code == 401
        assert "Wrong username or password" in wrong.text
    limited = login_form(browser, "boss", PASSWORD)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 300
    assert "kefu_session" not in limited.headers.get("set-cookie", "")
    center.clock.advance(301)
    assert login_form(browser, "boss", PASSWORD).status_code == 303


def client_at(api: Api, address: str) -> TestClient:
    """A browser of the same running app calling from ``address``."""
    browser = TestClient(api.platform.app, client=(address, 50_000))
    browser.portal = api.client.portal
    return browser


def test_given_an_attacker_locking_the_admin_when_the_admin_logs_in_from_elsewhere_then_303(
    center: Api,
) -> None:
    center.user("boss", "admin")
    attacker = client_at(center, "203.0.113.7")
    for _ in range(5):
        assert login_form(attacker, "boss", "not the password").status_code == 401
    assert login_form(attacker, "boss", PASSWORD).status_code == 429
    assert login_form(client_at(center, "10.0.0.2"), "boss", PASSWORD).status_code == 303


def test_given_a_backing_off_user_when_an_admin_unlocks_it_then_it_logs_in_and_it_is_audited(
    center: Api,
) -> None:
    center.user("boss", "admin")
    center.user("sup", "supervisor", sites=("sh",))
    browser = center.anonymous()
    for _ in range(5):
        assert login_form(browser, "boss", "not the password").status_code == 401
    assert login_form(browser, "boss", PASSWORD).status_code == 429
    refused = center.anonymous().post("/api/v1/users/boss/unlock", headers=center.token("sup"))
    assert refused.status_code == 403
    assert center.client.post("/api/v1/users/nobody/unlock").status_code == 404
    unlocked = center.client.post("/api/v1/users/boss/unlock")
    assert unlocked.status_code == 200 and unlocked.json()["username"] == "boss"
    assert login_form(browser, "boss", PASSWORD).status_code == 303
    entries = center.client.get("/api/v1/audit", params={"action": "user.unlock"}).json()
    assert [(e["actor"], e["target_id"]) for e in entries["items"]] == [("root", "boss")]


def test_given_many_usernames_from_one_address_then_the_address_is_limited(
    make_api: MakeApi,
) -> None:
    with make_api(login_max_failures_per_address=3) as api:
        api.user("boss", "admin")
        browser = api.anonymous()
        for name in ("a", "b", "c"):
            assert login_form(browser, name, "wrong password!").status_code == 401
        assert login_form(browser, "boss", PASSWORD).status_code == 429


def test_given_a_session_when_logging_out_then_it_ends_and_needs_the_form_token(
    center: Api,
) -> None:
    center.user("boss", "admin")
    browser = center.login("boss")
    assert browser.get("/api/v1/me").status_code == 200
    refused = browser.post("/logout", data={"csrf_token": "nope"}, follow_redirects=False)
    assert refused.status_code == 403 and browser.get("/api/v1/me").status_code == 200
    token = csrf_of(browser.get("/account").text)
    out = browser.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert 'kefu_session=""' in out.headers["set-cookie"]
    assert browser.get("/api/v1/me").status_code == 401


def test_given_a_session_cookie_when_changing_through_the_api_then_the_csrf_header_is_needed(
    center: Api,
) -> None:
    center.user("boss", "supervisor", sites=("sh",))
    browser = center.login("boss")
    change = {"presence": "ready"}
    refused = browser.post("/api/v1/agents/a1/state", json=change)
    assert refused.status_code == 403 and refused.json()["details"]["reason"] == "csrf"
    token = browser.get("/api/v1/me").json()["csrf_token"]
    done = browser.post("/api/v1/agents/a1/state", json=change, headers={"X-CSRF-Token": token})
    assert done.status_code == 200 and done.json()["presence"] == "ready"
    cross = browser.post(
        "/api/v1/agents/a1/state",
        json=change,
        headers={"X-CSRF-Token": token, "Origin": "https://evil.example"},
    )
    assert cross.status_code == 403


def test_given_an_idle_session_when_used_later_then_401(center: Api) -> None:
    center.user("boss", "admin")
    browser = center.login("boss")
    center.clock.advance(7201)
    assert browser.get("/api/v1/me").status_code == 401
    assert browser.get("/", follow_redirects=False).headers["location"] == "/login"


def test_given_bad_bearer_credentials_then_401_with_www_authenticate(center: Api) -> None:
    anonymous = center.anonymous()
    for headers in (
        {},
        {"Authorization": "Bearer kefu_0000_nope"},
        {"Authorization": "Basic cm9vdDpyb290"},
        {"Authorization": "Bearer"},
    ):
        response = anonymous.get("/api/v1/sites", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["error_id"] == "not_authenticated"


def test_given_an_agent_when_logging_in_then_it_lands_on_its_desktop(center: Api) -> None:
    center.user("agent-a1", "agent", agent_id="a1")
    center.user("boss", "supervisor", sites=("sh",))
    done = login_form(center.anonymous(), "agent-a1", PASSWORD)
    assert done.status_code == 303 and done.headers["location"] == "/desktop"
    browser = center.login("agent-a1")
    assert browser.get("/", follow_redirects=False).headers["location"] == "/desktop"
    assert browser.get("/login", follow_redirects=False).headers["location"] == "/desktop"
    assert browser.get("/desktop").status_code == 200
    kept = login_form(center.anonymous(), "agent-a1", PASSWORD, next="/branch/counter")
    assert kept.headers["location"] == "/branch/counter"  # a safe explicit target is kept
    away = login_form(center.anonymous(), "agent-a1", PASSWORD, next="//evil.example/x")
    assert away.headers["location"] == "/desktop"
    boss = login_form(center.anonymous(), "boss", PASSWORD)
    assert boss.headers["location"] == "/wallboard"
