"""The demo's first minutes in a real browser (headless Debian chromium): the API docs load
with no outside network, the wallboard's chart stays inside its axes, an agent who closes
the desktop while not ready shows as logged out (session lost) after the grace period, and
the desktop speaks the customer's language: canned replies in it, the value tier by name,
the e-mail and phone the customer gave, outcomes translated.

One demo with almost no synthetic traffic serves every test of the module; the agents and
the queue they serve are made over the API with a skill no simulated agent has.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import pytest
from browser_helpers import ARTIFACTS, Demo, open_wallboard, require_chromium
from desktop_helpers import add_agent, admin_api, chat_in_widget, log_in

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Route

pytestmark = pytest.mark.e2e

GRACE_S = 1.0
SKILLS = {"e2e": 5}
DESK = {"chat": 2}
# The chart's drawing area (wallboard.js): x from L to W − R, y from T to H − B.
LEFT, RIGHT, TOP, BOTTOM = 40.0, 600.0 - 44.0, 12.0, 260.0 - 26.0


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    require_chromium()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("KEFU_AGENT_GRACE_S", str(GRACE_S))
        env.setenv("KEFU_PASSWORD_TIME_COST", "1")
        env.setenv("KEFU_PASSWORD_MEMORY_KIB", "64")
        env.setenv("KEFU_PASSWORD_PARALLELISM", "1")
        running = Demo(tmp_path_factory.mktemp("first-minutes") / "demo.sqlite3", rate=0.01)
        running.start()
    try:
        with admin_api(running) as api:
            queue = {
                "queue_id": "e2e-chat",
                "site_id": "demo",
                "channel": "chat",
                "skills": {"e2e": 1},
                "aht_s": 120,
                "wrapup_s": 120,  # the wrapped-up chat stays on screen with its outcome
                "name": "账单咨询 Billing",
            }
            assert api.post("/queues", json=queue).status_code == 201
            add_agent(api, "e2e.wu", "吴敏", skills=SKILLS, capacity=DESK)
            add_agent(api, "e2e.gao", "高远", skills=SKILLS, capacity=DESK)
        yield running
    finally:
        running.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "first-minutes-console.txt").write_text(running.output(), encoding="utf-8")


def test_given_no_outside_network_when_opening_the_api_docs_then_they_render(
    demo: Demo, browser: BrowserContext
) -> None:
    outside: list[str] = []

    def local_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    browser.route("**/*", local_only)
    page = browser.new_page()
    page.goto(f"{demo.base}/docs")
    title = page.locator(".swagger-ui .info .title")
    title.wait_for()
    assert "kefu" in title.inner_text()
    page.locator(".opblock-tag", has_text="queues").first.wait_for()
    assert outside == []
    assert httpx.get(f"{demo.base}/favicon.ico").status_code == 200


def test_given_the_current_interval_just_begun_then_the_chart_stays_inside_its_axes(
    demo: Demo, browser: BrowserContext
) -> None:
    page = browser.new_page()
    open_wallboard(page, demo)
    page.wait_for_selector("#status.online")
    # A snapshot one minute into a 5-minute interval: its middle is 90 s in the future.
    points = page.evaluate(
        """() => {
          const at = Math.floor(Date.now() / 1000 / 300) * 300 + 60, since = at - 3600;
          const sl = [];
          for (let s = Math.floor(since / 300) * 300; s <= at; s += 300) sl.push([s, 0.9]);
          const waiting = [];
          for (let t = since; t <= at; t += 10) waiting.push([t, 3]);
          const snap = { at, history: { since, sl_interval_s: 300, sl, waiting } };
          window.kefuWallboard.drawChart(snap);
          return [...document.querySelectorAll("#chart circle")].map(
            (c) => [Number(c.getAttribute("cx")), Number(c.getAttribute("cy"))]);
        }"""
    )
    assert len(points) == 13
    for x, y in points:
        assert LEFT <= x <= RIGHT and TOP <= y <= BOTTOM, (x, y)


def test_given_an_agent_not_ready_when_its_desktop_closes_then_the_wallboard_shows_it_logged_out(
    demo: Demo, browser: BrowserContext
) -> None:
    desk = browser.new_page()
    log_in(desk, demo, "e2e.gao", "/desktop")
    desk.wait_for_selector("#link.online")
    desk.select_option("#presence", "not_ready:break")
    desk.wait_for_selector("#presence-pill.not_ready")
    desk.close()
    browser.clear_cookies()  # the supervisor logs in next, in the same browser
    board = browser.new_page()
    open_wallboard(board, demo)
    row = board.locator("#agents tbody tr", has_text="高远")
    row.wait_for()
    deadline = time.monotonic() + GRACE_S + 15
    while "session lost" not in row.inner_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "Offline (session lost)" in row.inner_text()
    board.click("#lang")
    board.wait_for_function(
        "() => [...document.querySelectorAll('#agents tbody tr')]"
        ".some((tr) => tr.textContent.includes('离线 (会话断开)'))"
    )


def customer_chats(page: Page, demo: Demo) -> None:
    page.goto(f"{demo.base}/chat/demo")
    page.click(".kefu-chat-launcher")
    page.fill(".kefu-prechat input[name=name]", "陈静")
    page.fill(".kefu-prechat input[name=email]", "chen.jing@example.cn")
    page.fill(".kefu-prechat input[name=phone]", "13700001111")
    page.select_option(".kefu-prechat select[name=topic]", "e2e-chat")
    page.fill(".kefu-prechat textarea[name=text]", "你好，我想查询上个月的账单")
    page.click(".kefu-start")
    page.wait_for_selector(".kefu-msg.customer:not(.pending)")


def test_given_an_english_desk_when_a_customer_writes_chinese_then_the_desk_speaks_to_the_customer(
    demo: Demo, browser: BrowserContext
) -> None:
    agent = browser.new_page()
    log_in(agent, demo, "e2e.wu", "/desktop")
    agent.wait_for_selector("#link.online")
    agent.select_option("#presence", "ready")
    agent.wait_for_selector("#presence-pill.ready")
    customer_chats(browser.new_page(), demo)
    agent.locator(".offer", has_text="陈静").wait_for()
    agent.click(".offer .accept")
    agent.wait_for_selector("#messages li.inbound")
    assert agent.locator("html").get_attribute("lang") == "en"

    assert agent.inner_text("#customer dd.tier") == "Standard"
    ids = agent.locator("#customer .ids")
    assert ids.locator("li[data-kind=email]").inner_text() == "E-mail: chen.jing@example.cn"
    assert ids.locator("li[data-kind=phone]").inner_text() == "Phone: +8613700001111"

    agent.select_option("#canned", "greeting")  # the agent's page is English
    assert agent.input_value("#reply-text") == "您好，很高兴为您服务，请问有什么可以帮您？"
    agent.keyboard.press("Control+Enter")
    agent.wait_for_selector("#messages li.outbound")

    agent.select_option("#disposition", "resolved")
    agent.click("#wrapup button[type=submit]")
    outcome = agent.locator("#customer .timeline li.current .outcome")
    outcome.wait_for()
    agent.wait_for_function(
        "() => document.querySelector('#customer .timeline li.current .outcome')"
        ".textContent === 'Resolved'"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    agent.screenshot(path=str(ARTIFACTS / "desktop-customer-language.png"))
    agent.click("#lang")
    agent.wait_for_selector("#lang >> text=English")
    assert outcome.inner_text() == "已解决"
    assert agent.inner_text("#customer dd.tier") == "普通"
    assert ids.locator("li[data-kind=email]").inner_text() == "邮箱: chen.jing@example.cn"


def test_given_the_chinese_pages_then_wallboard_and_desktop_name_a_busy_agent_alike() -> None:
    from kefu.i18n import catalogs

    chinese = catalogs().get("zh")
    assert chinese.text("wallboard.busy") == chinese.text("desktop.busy") == "服务中"
    # Every state an agent shows on both pages (wallboard.js and desktop.js stateLabel):
    # one word per state, in each language.
    for lang in ("zh", "en"):
        texts = catalogs().get(lang)
        for wallboard, desktop in (
            ("ready", "ready"),
            ("not_ready", "not_ready"),
            ("busy", "busy"),
            ("wrapup", "wrapup"),
            ("offered_state", "offered"),
            ("offline_state", "offline_state"),
        ):
            same = texts.text(f"wallboard.{wallboard}"), texts.text(f"desktop.{desktop}")
            assert same[0] == same[1] and not same[0].startswith(("wallboard.", "desktop.")), (
                lang,
                wallboard,
                same,
            )


def test_given_a_busy_agent_logged_out_after_the_grace_when_back_then_ready_cancels_it(
    demo: Demo, browser: BrowserContext
) -> None:
    """The grace period logs out a busy agent as a pending change (offline once its chats
    end). Back at the desktop, the presence list shows that Offline, so picking Ready is a
    change and cancels it (it showed Ready, and picking Ready did nothing)."""
    with admin_api(demo) as api:
        add_agent(api, "e2e.he", "何平", skills=SKILLS, capacity=DESK)
    desk = browser.new_page()
    log_in(desk, demo, "e2e.he", "/desktop")
    desk.wait_for_selector("#link.online")
    desk.select_option("#presence", "ready")
    desk.wait_for_selector("#presence-pill.ready")
    chat_in_widget(browser.new_page(), demo, "e2e-chat", "宽带又断了", name="林涛")
    desk.locator(".offer", has_text="林涛").locator(".accept").click()
    desk.wait_for_selector("#presence-pill.busy")
    desk.close()
    time.sleep(GRACE_S + 2.0)

    back = browser.new_page()
    back.goto(f"{demo.base}/desktop?lang=en")
    back.wait_for_selector("#link.online")
    back.wait_for_function(
        "() => document.querySelector('#presence-pill').textContent.includes('then Offline')"
    )
    assert back.input_value("#presence") == "offline"
    back.select_option("#presence", "ready")
    back.wait_for_function(
        "() => !document.querySelector('#presence-pill').textContent.includes('then')"
    )
    assert back.input_value("#presence") == "ready"
    assert back.inner_text("#presence-pill") == "Busy"
