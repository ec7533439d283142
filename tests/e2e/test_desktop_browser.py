"""The agent desktop, web chat, e-mail and the branch hall in a real browser against the
running demo (headless Debian chromium; screenshots in tests/artifacts/).

An agent logs in and goes ready; a customer opens the chat widget in another browser and
writes in Chinese; the agent accepts (keyboard shortcut), replies, and the customer sees
it; the agent transfers with a note; a second agent sees the whole history and the note and
wraps up. An e-mail sent by SMTP reaches an agent whose reply arrives at the relay. A kiosk
ticket shows its predicted wait and the counter page calls it.

One demo with almost no synthetic traffic serves every test of the module; each test's
agents and queues (made over the API) share a skill of that test's own, which no simulated
agent and no other test's agent has, and the agents take no calls.
"""

from __future__ import annotations

import json
import smtplib
import time
from collections.abc import Iterator
from email.message import EmailMessage
from typing import TYPE_CHECKING

import httpx
import pytest
from browser_helpers import (
    ARTIFACTS,
    CHEAP_HASHING,
    Demo,
    NewContext,
    free_port,
    require_chromium,
)
from desktop_helpers import PASSWORD, Relay, SmsProvider, add_agent, admin_api, log_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

E2E_SKILLS = {"e2e": 5}
DESK = {"chat": 2, "email": 2}


def e2e_queue(api: object, queue_id: str, channel: str, name: str, skill: str = "e2e") -> None:
    """A queue only the test's agents serve (the demo's simulated agents lack ``skill``)."""
    body = {
        "queue_id": queue_id,
        "site_id": "demo",
        "channel": channel,
        "skills": {skill: 1},
        "aht_s": 120,
        "name": name,
    }
    made = api.post("/queues", json=body)  # type: ignore[attr-defined]
    assert made.status_code == 201, made.text


@pytest.fixture(scope="module")
def quiet_demo(
    tmp_path_factory: pytest.TempPathFactory, relay: Relay, sms: SmsProvider
) -> Iterator[tuple[Demo, int]]:
    """``kefu demo`` with almost no synthetic traffic, its SMTP listener on a free port,
    replies sent to ``relay`` and texts to ``sms``, shared by the tests of a module (its
    start is most of their time); yields the demo and the SMTP port."""
    require_chromium()
    smtp_port = free_port()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("KEFU_SMTP_PORT", str(smtp_port))
        env.setenv("KEFU_RELAY_HOST", "127.0.0.1")
        env.setenv("KEFU_RELAY_PORT", str(relay.port))
        env.setenv("KEFU_RELAY_FROM", "support@kefu.example")
        env.setenv("KEFU_SMS_URL", sms.url)  # the kiosk offers an SMS reminder
        env.setenv("KEFU_OUTBOUND_SECRET", "e2e-outbound-secret-0123456789")
        for name, value in CHEAP_HASHING.items():
            env.setenv(name, value)
        running = Demo(tmp_path_factory.mktemp("desk") / "desk.sqlite3", rate=0.01)
        running.start()
    try:
        yield running, smtp_port
    finally:
        running.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "desktop-demo-console.txt").write_text(running.output(), encoding="utf-8")


def watch(page: Page, problems: list[str]) -> Page:
    """Collect script errors and failed requests (but the favicon) of ``page``."""
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    return page


def go_ready(page: Page) -> None:
    page.select_option("#presence", "ready")
    page.wait_for_selector("#presence-pill.ready")


def test_given_an_agent_when_a_customer_chats_in_chinese_then_reply_transfer_and_wrap_up(
    quiet_demo: tuple[Demo, int], contexts: NewContext
) -> None:
    demo, _ = quiet_demo
    with admin_api(demo) as api:
        e2e_queue(api, "e2e-chat", "chat", "宽带支持 Broadband", skill="e2e-chat")
        add_agent(api, "e2e.lin", "林晓", skills={"e2e-chat": 5}, capacity=DESK)
        add_agent(api, "e2e.zhou", "周杰", skills={"e2e-chat": 5}, capacity=DESK)
    problems: list[str] = []
    first = watch(contexts("lin").new_page(), problems)
    pushed: list[str] = []  # the desktop socket's frames, as sent
    first.on("websocket", lambda ws: ws.on("framereceived", lambda frame: pushed.append(frame)))
    log_in(first, demo, "e2e.lin", "/desktop")
    first.wait_for_selector("#link.online")
    go_ready(first)
    second = watch(contexts("zhou").new_page(), problems)
    log_in(second, demo, "e2e.zhou", "/desktop")
    second.wait_for_selector("#link.online")

    customer = watch(contexts("customer").new_page(), problems)
    customer.goto(f"{demo.base}/chat/demo")
    customer.click(".kefu-chat-launcher")
    customer.fill(".kefu-prechat input[name=name]", "张伟")
    customer.fill(".kefu-prechat input[name=phone]", "13912345678")
    customer.select_option(".kefu-prechat select[name=topic]", "e2e-chat")  # topic → queue
    customer.fill(".kefu-prechat textarea[name=text]", "你好，我家的宽带从昨晚开始无法上网")
    customer.click(".kefu-start")
    customer.wait_for_selector(".kefu-msg.customer:not(.pending)")
    customer.wait_for_selector(".kefu-status[data-state=offered], .kefu-status[data-state=queued]")

    offer = first.locator(".offer", has_text="张伟")
    offer.wait_for()
    first.keyboard.press("Alt+a")  # accept by shortcut
    first.wait_for_selector("#messages li.inbound", timeout=10_000)
    assert "宽带从昨晚开始无法上网" in first.inner_text("#messages")
    first.wait_for_selector("#customer .timeline li")
    assert "13912345678" in first.inner_text("#customer") or "8613912345678" in first.inner_text(
        "#customer"
    )
    customer.wait_for_selector(".kefu-status[data-state=active]")
    assert "林晓" in customer.inner_text(".kefu-status")

    first.keyboard.press("Alt+r")
    first.keyboard.type("您好，我来帮您检查线路，请稍等。")
    first.keyboard.press("Control+Enter")
    customer.wait_for_selector(".kefu-msg.agent >> text=我来帮您检查线路")
    first.wait_for_selector("#messages li.outbound")
    # A further customer message comes alone over the socket and is appended to the view.
    customer.fill(".kefu-composer textarea", "路由器的灯一直在闪")
    customer.click(".kefu-send")
    first.wait_for_selector("#messages li.inbound >> text=路由器的灯一直在闪")
    frames = [json.loads(f) for f in pushed]
    assert any(
        f["type"] == "message" and f["message"]["text"] == "路由器的灯一直在闪" for f in frames
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    first.screenshot(path=str(ARTIFACTS / "desktop-en.png"))
    customer.screenshot(path=str(ARTIFACTS / "chat-widget.png"))

    go_ready(second)
    first.select_option("#transfer-target", "agent:e2e.zhou")
    first.fill("#transfer-note", "客户宽带故障，已核实手机号，请继续跟进")
    first.click("#transfer button[type=submit]")
    first.wait_for_selector("#no-contacts:not(.hidden)")

    second.locator(".offer", has_text="张伟").wait_for()
    second.click(".offer .accept")
    second.wait_for_selector("#messages li.outbound")
    history = second.inner_text("#messages")
    assert "宽带从昨晚开始无法上网" in history and "我来帮您检查线路" in history
    assert "请继续跟进" in second.inner_text("#handoff")
    customer.wait_for_selector(".kefu-status[data-state=active] >> text=周杰")
    second.click("#lang")
    second.wait_for_selector("#lang >> text=English")
    second.screenshot(path=str(ARTIFACTS / "desktop-zh.png"))
    second.select_option("#disposition", "resolved")
    second.keyboard.press("Alt+w")
    customer.wait_for_selector(".kefu-status[data-state=closed]")
    second.wait_for_selector("#end-wrapup:not(.hidden), #no-contacts:not(.hidden)")
    assert problems == []


def test_given_an_email_by_smtp_then_an_agent_answers_and_the_reply_reaches_the_relay(
    quiet_demo: tuple[Demo, int], contexts: NewContext, relay: Relay
) -> None:
    demo, smtp_port = quiet_demo
    with admin_api(demo) as api:
        # New e-mail goes to the first e-mail queue by id: e2e-mail before the demo's email.
        e2e_queue(api, "e2e-mail", "email", "邮件测试 E-mail", skill="e2e-mail")
        add_agent(api, "e2e.mail", "邮件组 陈静", skills={"e2e-mail": 5}, capacity=DESK)
    problems: list[str] = []
    page = watch(contexts("mail").new_page(), problems)
    log_in(page, demo, "e2e.mail", "/desktop")
    page.wait_for_selector("#link.online")
    go_ready(page)

    message = EmailMessage()
    message["From"] = "刘洋 <liu.yang@example.cn>"
    message["To"] = "support@kefu.example"
    message["Subject"] = "退款申请 Refund"
    message["Message-ID"] = "<refund-1@example.cn>"
    message.set_content("你好，我上周的订单还没有退款，订单号 20261120。")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        client.send_message(message)

    page.locator(".offer", has_text="刘洋").wait_for()
    page.click(".offer .accept")
    page.wait_for_selector("#messages li.inbound")
    assert "订单号 20261120" in page.inner_text("#messages")
    page.fill("#reply-text", "您好，退款已提交，预计三个工作日内到账。")
    page.click("#reply button[type=submit]")
    deadline = time.monotonic() + 15
    while not relay.received:
        assert time.monotonic() < deadline, "no reply at the relay"
        time.sleep(0.1)
    reply = relay.parsed()
    assert reply["In-Reply-To"] == "<refund-1@example.cn>"
    assert str(reply["Subject"]) == "Re: 退款申请 Refund"
    assert "退款已提交" in reply.get_body().get_content()
    assert problems == []


def test_given_a_kiosk_ticket_then_it_shows_a_predicted_wait_and_the_counter_calls_it(
    quiet_demo: tuple[Demo, int], contexts: NewContext
) -> None:
    demo, _ = quiet_demo
    with admin_api(demo) as api:
        made = api.post(
            "/queues",
            json={
                "queue_id": "hall",
                "site_id": "demo",
                "channel": "branch",
                "skills": {"e2e": 1},
                "aht_s": 300,
                "name": "营业厅 Hall",
            },
        )
        assert made.status_code == 201, made.text
        add_agent(api, "e2e.counter", "3号窗口", skills=E2E_SKILLS, capacity={"branch": 1})
    problems: list[str] = []
    clerk = watch(contexts("clerk").new_page(), problems)
    log_in(clerk, demo, "e2e.counter", "/branch/counter")
    clerk.click("#next")  # on duty: the first number is called at once
    kiosk = watch(contexts("kiosk").new_page(), problems)
    kiosk.goto(f"{demo.base}/branch/kiosk?lang=en")
    kiosk.click(".service[data-queue=hall]")
    kiosk.wait_for_selector("#ticket-number >> text=A001")
    clerk.wait_for_selector("#serving >> text=A001")
    kiosk.click("#done")
    kiosk.click(".service[data-queue=hall]")
    kiosk.wait_for_selector("#ticket-number >> text=A002")
    # One counter serving A001 for 5 minutes on average: A002 is next, about 5 minutes.
    assert kiosk.inner_text("#ticket-wait") == "About 5 minutes, 0 ahead"
    kiosk.screenshot(path=str(ARTIFACTS / "kiosk-en.png"))
    kiosk.fill("#sms-phone", "13900001111")  # rather not wait in the hall
    kiosk.click("#sms-form button[type=submit]")
    kiosk.wait_for_selector("#sms-done:not(.hidden)")
    assert "text you" in kiosk.inner_text("#sms-done")

    display = watch(contexts("display").new_page(), problems)
    display.goto(f"{demo.base}/branch/display")
    display.wait_for_selector("#latest-ticket >> text=A001")
    clerk.click("#next")
    clerk.wait_for_selector("#serving >> text=A002")
    display.wait_for_selector("#latest-ticket >> text=A002")
    assert display.inner_text("#latest-counter") == "4号窗口"  # after the demo's three counters
    display.screenshot(path=str(ARTIFACTS / "hall-display.png"))
    assert problems == []


def start_chat(page: Page, demo: Demo, name: str, phone: str, text: str) -> None:
    """A customer chats on the demo shop's widget about the merge test's topic."""
    page.goto(f"{demo.base}/chat/demo")
    page.click(".kefu-chat-launcher")
    page.fill(".kefu-prechat input[name=name]", name)
    page.fill(".kefu-prechat input[name=phone]", phone)
    page.select_option(".kefu-prechat select[name=topic]", "e2e-merge")
    page.fill(".kefu-prechat textarea[name=text]", text)
    page.click(".kefu-start")
    page.wait_for_selector(".kefu-msg.customer:not(.pending)")


def test_given_two_chats_of_one_person_when_the_agent_merges_them_then_undo_splits_them(
    quiet_demo: tuple[Demo, int], contexts: NewContext
) -> None:
    demo, _ = quiet_demo
    with admin_api(demo) as api:
        e2e_queue(api, "e2e-merge", "chat", "宽带支持 Broadband", skill="e2e-merge")
        add_agent(api, "e2e.merge", "赵敏", skills={"e2e-merge": 5}, capacity=DESK)
    problems: list[str] = []
    desk = watch(contexts("merge").new_page(), problems)
    desk.goto(f"{demo.base}/login")  # no next: an agent lands on its desktop
    desk.fill("input[name=username]", "e2e.merge")
    desk.fill("input[name=password]", PASSWORD)
    with desk.expect_navigation():
        desk.locator("form [type=submit]").click()
    assert desk.url.endswith("/desktop"), desk.url
    desk.wait_for_selector("#link.online")
    go_ready(desk)
    start_chat(watch(contexts("phone").new_page(), problems), demo, "孙丽", "13700001111", "手机上")
    desk.locator(".offer", has_text="孙丽").wait_for()
    desk.click(".offer .accept")
    start_chat(watch(contexts("web").new_page(), problems), demo, "孙丽", "13700002222", "网页上")
    desk.locator(".offer", has_text="孙丽").wait_for()
    desk.click(".offer .accept")
    desk.wait_for_selector("#contacts li:nth-child(2)")
    desk.click("#contacts li:nth-child(1)")
    desk.wait_for_selector("#merge:not(.hidden)")
    desk.wait_for_selector("#customer .ids >> text=1370000")
    kept = desk.get_attribute("#customer", "data-customer")
    other = "2222" if "13700001111" in desk.inner_text("#customer") else "1111"
    desk.fill("#merge-other", f"137 0000 {other}")  # the other chat's phone
    desk.select_option("#merge-survivor", "this")
    desk.fill("#merge-reason", "同一位客户的两个会话")
    desk.click("#merge button[type=submit]")
    desk.wait_for_selector("#merge-done:not(.hidden), #merge-error:not(.hidden)")
    assert desk.inner_text("#merge-error") == ""
    assert f"→ {kept}" in desk.inner_text("#merge-text")
    # The merge pushes the panel at once (the periodic refresh is 5 s away).
    desk.wait_for_selector(f"#customer .ids >> text=1370000{other}", timeout=3_000)
    desk.screenshot(path=str(ARTIFACTS / "desktop-merge.png"))
    desk.click("#merge-undo")
    desk.wait_for_selector("#merge-undo.hidden", state="attached")
    assert "mrg-" in desk.inner_text("#merge-text")
    desk.click("#lang")
    desk.wait_for_selector("#merge button[type=submit] >> text=合并")
    assert problems == []


def test_given_the_push_connection_not_yet_open_when_an_agent_goes_ready_then_it_takes(
    quiet_demo: tuple[Demo, int], contexts: NewContext
) -> None:
    """The state select works from the first paint: the action carries the page's CSRF
    token even when the push connection's hello (which also carries it) has not come."""
    demo, _ = quiet_demo
    with admin_api(demo) as api:
        add_agent(api, "e2e.early", "早班", skills={"e2e-early": 5}, capacity=DESK)
    problems: list[str] = []
    page = watch(contexts("early").new_page(), problems)
    # A socket that opens but never hears from the server: no hello, no pushed view.
    page.route_web_socket("**/ws/desktop", lambda _ws: None)
    log_in(page, demo, "e2e.early", "/desktop")
    go_ready(page)
    assert problems == [], problems


def test_given_a_call_when_the_agent_consults_a_colleague_then_both_desktops_show_it_and_hand_over(
    quiet_demo: tuple[Demo, int], contexts: NewContext
) -> None:
    """A voice contact made over the API, answered by 王芳: she consults 陈刚 from the
    transfer form (咨询), both desktops show the consult (he without her controls), and
    completing it (完成转接) hands the call and the note to him."""
    demo, _ = quiet_demo
    skills, calls = {"e2e-consult": 5}, {"voice": 1}
    with admin_api(demo) as api:
        e2e_queue(api, "e2e-calls", "voice", "电话咨询", skill="e2e-consult")
        add_agent(api, "e2e.wang", "王芳", skills=skills, capacity=calls)
        add_agent(api, "e2e.chen", "陈刚", skills=skills, capacity=calls)
        problems: list[str] = []
        first = watch(contexts("wang").new_page(), problems)
        log_in(first, demo, "e2e.wang", "/desktop?lang=zh")
        first.wait_for_selector("#link.online")
        go_ready(first)
    token = demo.issue_token("admin", "contacts:write")  # as an integration creates a call
    body = {"queue_id": "e2e-calls", "attributes": {"customer": "赵敏"}}
    with httpx.Client(base_url=demo.base, headers={"Authorization": f"Bearer {token}"}) as caller:
        made = caller.post("/api/v1/contacts", json=body, timeout=10)
        assert made.status_code == 201, made.text
    first.locator(".offer").wait_for()
    first.keyboard.press("Alt+a")
    first.wait_for_selector("#contacts li")
    second = watch(contexts("chen").new_page(), problems)
    log_in(second, demo, "e2e.chen", "/desktop?lang=zh")
    second.wait_for_selector("#link.online")
    go_ready(second)
    first.locator("#contacts li").first.click()
    first.select_option("#transfer-target", "agent:e2e.chen")
    first.click("#consult-start")
    first.wait_for_selector("#consult-status >> text=正在咨询: 陈刚")
    assert first.is_visible("#consult-complete") and first.is_visible("#conference-start")
    assert first.is_hidden("#consult-start") and first.is_hidden("#call-hold")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    first.screenshot(path=str(ARTIFACTS / "desktop-consult-zh.png"))
    second.locator("#contacts li").first.click()
    second.wait_for_selector("#consult-status >> text=同事咨询: 王芳")
    assert second.is_hidden("#consult-complete") and second.is_hidden("#wrapup")
    first.fill("#transfer-note", "客户想办房贷，已核实身份")
    first.click("#consult-complete")
    first.wait_for_selector("#no-contacts:not(.hidden)")
    second.wait_for_selector("#call-consult.hidden", state="attached")
    second.wait_for_selector("#wrapup:not(.hidden)")
    assert "客户想办房贷" in second.inner_text("#handoff")
    assert problems == [], problems
