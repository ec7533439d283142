"""``/admin/ivr`` (admins change flows through forms) and ``/reports/ivr`` (supervisors)."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_helpers import Api, MakeApi, csrf_of
from golden_helpers import PAGE_MASKS, PUBLISHED_MASKS, check_golden

BANK_YAML = (Path(__file__).resolve().parents[3] / "examples" / "ivr" / "bank.yaml").read_text(
    encoding="utf-8"
)
EDITED = BANK_YAML.replace("欢迎致电客服银行。", "欢迎致电客服银行（页面版）。")


@pytest.fixture
def pages(make_api: MakeApi) -> Api:
    with make_api(max_body_bytes=1 << 20) as api:
        c = api.client
        assert c.post("/api/v1/sites", json={"site_id": "sh", "name": "上海"}).status_code == 201
        assert c.post("/api/v1/agents", json={"agent_id": "a1", "site_id": "sh"}).status_code == 201
        api.user("boss", "admin")
        api.user("sup", "supervisor", sites=("sh",))
        api.user("agent1", "agent", agent_id="a1")
        yield api  # type: ignore[misc]


def test_given_an_admin_when_saving_publishing_and_rolling_back_in_the_page_then_done(
    pages: Api,
) -> None:
    browser = pages.login("boss")
    page = browser.get("/admin/ivr?flow=bank&lang=zh")
    assert page.status_code == 200
    assert "自助语音流程" in page.text and 'id="outline"' in page.text
    token = csrf_of(page.text)
    saved = browser.post(
        "/admin/ivr/bank/draft",
        data={"csrf_token": token, "source": EDITED},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/admin/ivr?flow=bank&notice=saved"
    page = browser.get("/admin/ivr?flow=bank&notice=saved")
    check_golden("ivr_admin_page.html", page.text, *PAGE_MASKS, *PUBLISHED_MASKS)
    assert "Draft saved." in page.text and "页面版" in page.text and 'id="publish"' in page.text
    done = browser.post("/admin/ivr/bank/publish", data={"csrf_token": token})
    assert done.status_code == 200 and 'id="published">2<' in done.text
    assert pages.platform.ivr is not None
    assert pages.platform.ivr.catalog.published("bank").version == 2
    done = browser.post("/admin/ivr/bank/rollback", data={"csrf_token": token})
    assert 'id="published">1<' in done.text
    assert pages.platform.ivr.catalog.published("bank").version == 1


def test_given_a_broken_draft_when_published_in_the_page_then_422_with_the_reasons(
    pages: Api,
) -> None:
    browser = pages.login("boss")
    token = csrf_of(browser.get("/admin/ivr").text)
    broken = EDITED.replace("next: hours", "next: nowhere")
    refused = browser.post("/admin/ivr/bank/draft", data={"csrf_token": token, "source": broken})
    assert refused.status_code == 422 and 'id="error"' in refused.text
    assert "nowhere" in refused.text  # the editor keeps what was typed
    orphan = EDITED + "\n  orphan:\n    kind: end\n    text: {zh: 再见, en: Bye}\n"
    browser.post("/admin/ivr/bank/draft", data={"csrf_token": token, "source": orphan})
    refused = browser.post("/admin/ivr/bank/publish", data={"csrf_token": token})
    assert refused.status_code == 422 and "orphan" in refused.text
    assert pages.platform.ivr is not None
    assert pages.platform.ivr.catalog.published("bank").version == 1


def test_given_others_when_opening_the_admin_page_then_refused(pages: Api) -> None:
    assert pages.login("sup").get("/admin/ivr").status_code == 403
    assert pages.login("agent1").get("/admin/ivr").status_code == 403
    anonymous = pages.anonymous().get("/admin/ivr", follow_redirects=False)
    assert anonymous.status_code == 303
    browser = pages.login("boss")
    no_token = browser.post("/admin/ivr/bank/rollback", data={"csrf_token": "x"})
    assert no_token.status_code == 403


def test_given_a_supervisor_when_opening_the_report_then_coverage_and_depth_shown(
    pages: Api,
) -> None:
    page = pages.login("sup").get("/reports/ivr?days=3&lang=zh")
    assert page.status_code == 200
    assert "自助覆盖率" in page.text and "78 %" in page.text and 'id="depth"' in page.text
    assert pages.login("agent1").get("/reports/ivr").status_code == 403


def test_given_a_flow_published_over_90_days_ago_when_admin_opens_page_then_reminded(
    pages: Api,
) -> None:
    browser = pages.login("boss")
    token = csrf_of(browser.get("/admin/ivr").text)
    browser.post("/admin/ivr/bank/draft", data={"csrf_token": token, "source": EDITED})
    browser.post("/admin/ivr/bank/publish", data={"csrf_token": token})
    fresh = browser.get("/admin/ivr?flow=bank")
    assert 'id="reminders"' not in fresh.text
    assert (
        "2024-02-13" in fresh.text
    )  # re-derive by: 90 days after the publication (Shanghai dates)
    pages.clock.advance(91 * 86_400.0)
    browser = pages.login("boss")  # the earlier session has long expired
    en = browser.get("/admin/ivr?flow=bank&lang=en")
    assert 'id="reminders"' in en.text and 'class="reminder" data-flow="bank"' in en.text
    assert "Time to re-derive bank: published on 2023-11-15" in en.text
    assert "90-day re-derivation date (2024-02-13)" in en.text
    assert 'class="rederive overdue"' in en.text
    zh = browser.get("/admin/ivr?flow=bank&lang=zh")
    assert (
        "流程 bank 需要重新推导：它于 2023-11-15 发布，已超过 90 天的重新推导期限（2024-02-13）"
        in (zh.text)
    )
