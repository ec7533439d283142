"""The visual IVR page: the bank flow's outline (every menu at once, sub-menus inside their
option, the identity form) and the page itself; an unknown flow is a 404 that echoes no
markup."""

from __future__ import annotations

from fastapi.testclient import TestClient

from kefu.adapters.ivr.wiring import flow_catalog
from kefu.bootstrap import build_test
from kefu.config import Settings
from kefu.web.ivr_page import flow_outline


def test_given_the_bank_flow_when_outlined_then_every_option_with_the_steps_reaching_it() -> None:
    outline = flow_outline(flow_catalog().published("bank"))
    assert outline["languages"] == {
        "zh": {"node": "language", "text": "1"},
        "en": {"node": "language", "text": "2"},
    }
    assert outline["identity"]["collect"] == "account"
    assert outline["identity"]["verify"] == "pin"
    main, more = outline["menus"]
    assert [o["label"]["en"] for o in main["options"]] == [
        "Bill explanation",
        "Report a lost card",
        "Account balance",
        "Recent transactions",
    ]
    block = main["options"][1]["children"][0]
    assert block["steps"] == [{"node": "main", "text": "2"}, {"node": "card_confirm", "text": "1"}]
    assert more["node"] == "more" and outline["moves"]["more"]["main"] == "1"
    assert "Please choose a service." in outline["questions"]


def test_given_the_platform_when_the_page_is_asked_then_the_flow_or_a_404_without_markup() -> None:
    client = TestClient(build_test(Settings(env="test")).app)
    page = client.get("/ivr/bank")
    assert (
        page.status_code == 200 and "银行卡挂失" in page.text and "Report a lost card" in page.text
    )
    assert "kefu_chat" in page.headers.get("set-cookie", "")
    missing = client.get("/ivr/%3Cimg%20src=x%20onerror=alert(1)%3E")
    assert missing.status_code == 404
    assert "<img" not in missing.text and "onerror" not in missing.text


def test_given_the_shipped_flows_when_compared_then_the_same_files_as_the_examples() -> None:
    from pathlib import Path

    from kefu.adapters.ivr.wiring import BANK_FLOW

    examples = Path(__file__).resolve().parents[3] / "examples" / "ivr"
    shipped = sorted(BANK_FLOW.parent.glob("*.yaml"))
    assert [p.name for p in shipped] == ["bank.yaml", "hall.yaml"]
    for path in shipped:
        assert path.read_bytes() == (examples / path.name).read_bytes(), path.name
