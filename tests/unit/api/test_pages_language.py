"""Every page switches between English and Simplified Chinese: each has its language
button and its script carries both languages' text, including the desktop's shortcuts,
canned replies and merge panel."""

from __future__ import annotations

from api_helpers import Api

PAGES = {
    "/login": ("/static/auth.js", "Sign in", "登录"),
    "/account": ("/static/auth.js", "Open the agent desktop", "打开座席工作台"),
    "/desktop": ("/static/desktop.js", "Alt+A accept", "Alt+A 接受"),
    "/branch/kiosk": ("/static/branch.js", "Text me", "短信提醒我"),
    "/branch/counter": ("/static/branch.js", "Call next", "叫下一位"),
    "/branch/display": ("/static/branch.js", "Now serving", "叫号显示"),
}


def test_given_each_page_when_opened_then_it_has_a_language_switch_and_both_languages(
    center: Api,
) -> None:
    center.user("agent-a1", "agent", agent_id="a1")
    center.user("boss", "supervisor", sites=("sh",))
    agent = center.login("agent-a1")
    for path, (script, english, chinese) in PAGES.items():
        browser = center.anonymous() if path == "/login" else agent
        page = browser.get(path)
        assert page.status_code == 200, (path, page.text)
        assert 'id="lang"' in page.text and f'src="{script}"' in page.text, path
        code = browser.get(script).text
        assert english in code and chinese in code, (path, script)
    board = center.login("boss").get("/wallboard")
    assert board.status_code == 200 and 'id="lang"' in board.text
    widget = center.anonymous().get("/static/kefu-chat.js").text
    assert "kefu-chat-lang" in widget and "在线客服" in widget and "Chat with us" in widget
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
    merge = agent.get("/static/desktop-merge.js").text
    assert "Keep the other customer" in merge and "保留另一位客户" in merge
    account = agent.get("/account").text
    assert 'href="/desktop"' in account
