"""The desktop tells the customer's language with each contact (canned replies follow it,
not the agent's page), and its vocabulary names the value tiers."""

from __future__ import annotations

import pytest
from channels_server_helpers import Center, next_frame
from hypothesis import given
from hypothesis import strategies as st

from kefu.i18n import catalogs
from kefu.service.desktop import customer_language, vocabulary


def chat(center: Center, text: str, **profile: object) -> None:
    with center.client.websocket_connect("/ws/chat") as ws:
        ws.send_json({"type": "hello"})
        next_frame(ws, "welcome")
        profile = {"topic": "chat-billing", **profile}
        ws.send_json({"type": "message", "cseq": 1, "text": text, "profile": profile})
        next_frame(ws, "ack")


@pytest.mark.parametrize(
    ("text", "name", "language"),
    [
        ("你好，我的账单不对", "Alice", "zh"),
        ("Hello, my bill is wrong", "王芳", "en"),
        ("12345 ？", "王芳", "zh"),  # no letters: the name tells
        ("12345", "", None),
    ],
)
def test_given_a_customer_writing_when_offered_and_held_then_its_language_comes_along(
    center: Center, text: str, name: str, language: str | None
) -> None:
    center.desktop("a1", "POST", "/state", {"presence": "ready"})
    chat(center, text, name=name)
    (offer,) = center.screen("a1")["offers"]
    assert offer["language"] == language
    body = {"offer_id": offer["offer_id"]}
    center.desktop("a1", "POST", f"/offers/{offer['contact_id']}/accept", body)
    (held,) = center.screen("a1")["contacts"]
    assert held["language"] == language


@given(st.lists(st.text(max_size=20), max_size=5), st.text(max_size=10))
def test_given_any_texts_then_the_language_is_that_of_the_latest_text_with_letters(
    texts: list[str], name: str
) -> None:
    language = customer_language(texts, name)
    assert language in ("zh", "en", None)
    if texts and customer_language(texts[-1:]) is not None:
        assert language == customer_language(texts[-1:])


def test_given_the_vocabulary_then_value_tiers_have_labels_in_both_languages() -> None:
    en, zh = catalogs().get("en"), catalogs().get("zh")
    tiers = {
        p["code"]: (en.text(p["key"]), zh.text(p["key"])) for p in vocabulary().to_json()["tiers"]
    }
    assert tiers["0"] == ("Standard", "普通")
    assert tiers["1"][1] == "银卡" and tiers["2"][1] == "金卡"
