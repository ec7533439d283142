"""Every page switches between English and Simplified Chinese: each has its language
button, loads the catalogs' script and its own, and the catalogs carry both languages'
text, including the desktop's shortcuts, canned replies and merge panel."""

from __future__ import annotations

from typing import Any

from api_helpers import Api
from fastapi.testclient import TestClient

PAGES = {
    "/login": ("/static/auth.js", "auth.sign_in", "Sign in", "登录"),
    "/account": (
        "/static/auth.js",
        "auth.open_desktop",
        "Open the agent desktop",
        "打开座席工作台",
    ),
    "/desktop": ("/static/desktop.js", "desktop.shortcuts", "Alt+A accept", "Alt+A 接受"),
    "/branch/kiosk": ("/static/branch.js", "branch.sms_button", "Text me", "短信提醒我"),
    "/branch/counter": ("/static/branch.js", "branch.call_next", "Call next", "叫下一位"),
    "/branch/display": ("/static/branch.js", "branch.display_title", "Now serving", "叫号显示"),
}


def _words(browser: TestClient) -> tuple[dict[str, Any], dict[str, Any]]:
    en, zh = (browser.get(f"/i18n/{lang}.json").json()["messages"] for lang in ("en", "zh"))
    return en, zh


def test_given_each_page_when_opened_then_it_has_a_language_switch_and_both_languages(
    center: Api,
) -> None:
    center.user("agent-a1", "agent", agent_id="a1")
    center.user("boss", "supervisor", sites=("sh",))
    agent = center.login("agent-a1")
    for path, (script, key, english, chinese) in PAGES.items():
        browser = center.anonymous() if path == "/login" else agent
        page = browser.get(path)
        assert page.status_code == 200, (path, page.text)
        assert 'id="lang"' in page.text and f'src="{script}"' in page.text, path
        assert 'src="/static/i18n.js"' in page.text, path
        en, zh = _words(browser)
        assert english in en[key] and chinese in zh[key], (path, key)
    board = center.login("boss").get("/wallboard")
    assert board.status_code == 200 and 'id="lang"' in board.text
    widget = center.anonymous().get("/static/kefu-chat.js").text
    assert "kefu-chat-lang" in widget and "/i18n/" in widget
    en, zh = _words(center.anonymous())
    assert (en["chat.open"], zh["chat.open"]) == ("Chat with us", "在线客服")
    assert "/static/kefu-chat.js" in center.anonymous().get("/chat/demo").text


def test_given_the_desktop_then_shortcuts_are_shown_and_canned_replies_and_merge_are_there(
    center: Api,
) -> None:
    center.user("agent-a1", "agent", agent_id="a1")
    agent = center.login("agent-a1")
    page = agent.get("/desktop").text
    assert "Alt+A accept" in page and "Alt+R reply" in page and "Alt+W wrap up" in page
    assert 'id="canned"' in page and 'id="merge"' in page and "/static/desktop-merge.js" in page
    code = agent.get("/static/desktop.js").text
    for key in ('key === "a"', 'key === "r"', 'key === "w"', '$("canned").addEventListener'):
        assert key in code
    en, zh = _words(agent)
    assert (en["merge.keep_other"], zh["merge.keep_other"]) == (
        "Keep the other customer",
        "保留另一位客户",
    )
    assert zh["vocab.canned.greeting"].startswith("您好")
    account = agent.get("/account").text
    assert 'href="/desktop"' in account


def test_given_a_chinese_browser_when_a_page_is_refused_or_a_login_fails_then_chinese_text(
    center: Api,
) -> None:
    center.user("agent-a1", "agent", agent_id="a1")
    center.user("boss", "supervisor", sites=("sh",))
    boss = center.login("boss")
    chinese = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
    desk = boss.get("/desktop", headers=chinese)
    assert desk.status_code == 403 and "座席工作台仅供座席使用。" in desk.text
    assert 'lang="zh-Hans"' in desk.text and "for agents" not in desk.text
    english = boss.get("/desktop?lang=en", headers=chinese)
    assert "The agent desktop is for agents." in english.text
    customers = center.login("agent-a1").get("/customers", headers=chinese)
    assert customers.status_code == 403 and "客户查询仅供主管和管理员使用。" in customers.text
    counter = boss.get("/branch/counter")
    assert counter.status_code == 403 and "Counters are agent users." in counter.text
    kiosk = center.anonymous().get("/branch/kiosk", headers=chinese).text
    assert "<title>自助取号 · kefu</title>" in kiosk
    browser = center.anonymous()
    form = browser.get("/login")
    token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    wrong = browser.post(
        "/login",
        data={"username": "boss", "password": "not it", "csrf_token": token},
        headers=chinese,
        follow_redirects=False,
    )
    assert wrong.status_code == 401 and "用户名或密码错误。" in wrong.text
    assert ">用户名</label>" in wrong.text and ">Username</label>" not in wrong.text
    assert ">Username</label>" in center.anonymous().get("/login").text


def test_given_a_chinese_reader_when_the_api_refuses_then_the_message_is_in_chinese(
    api: Api,
) -> None:
    browser = api.anonymous()
    english = browser.get("/api/v1/me")
    chinese = browser.get("/api/v1/me", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    asked = browser.get("/api/v1/me?lang=zh")
    assert english.status_code == chinese.status_code == asked.status_code == 401
    assert english.json()["message"] == "log in or send a bearer token"
    assert chinese.json()["message"] == asked.json()["message"] == "请先登录或提供令牌"
    assert chinese.json()["error_id"] == english.json()["error_id"] == "not_authenticated"
    # Placeholders are filled from the error's details, in the reader's language.
    unknown = api.client.get("/api/v1/customers/cus-nobody", headers={"Accept-Language": "zh"})
    assert unknown.status_code == 404
    assert unknown.json()["message"] == "未知客户：cus-nobody"
    assert unknown.json()["details"] == {"customer_id": "cus-nobody"}
