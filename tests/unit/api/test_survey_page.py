"""The public survey page ``/survey/<token>``: no login, the question in the customer's
language (Accept-Language or ``?lang=``), an answer posted once then thanks; forged links
404 and answered or expired surveys 410, each with a page in the right language; an NPS
survey shows 0–10 and takes 0."""

from __future__ import annotations

import re
from typing import Any

from api_helpers import Api
from test_api_cases import _as, _customer, _Outbox, cases  # noqa: F401

from kefu.domain.model import Channel

V1 = "/api/v1"


def _resolved_case_survey(api: Api, phone: str) -> tuple[Any, str]:
    """A case of an SMS contact resolved: the survey wing and the link token of ``s1``."""
    channels = api.platform.channels
    assert channels is not None
    channels.set_gateway(Channel.SMS, _Outbox())
    _customer_id, contact_id = _customer(api, phone, "sms-sh")
    lead = _as(api, "lead")
    case_id = api.client.post(
        f"{V1}/cases", json={"case_type": "inquiry", "title": "x", "contact_id": contact_id},
        headers=lead,
    ).json()["case_id"]  # fmt: skip
    moved = api.client.post(
        f"{V1}/cases/{case_id}/transitions", json={"to": "resolved", "reason": "r"}, headers=lead
    )
    assert moved.status_code == 200, moved.text
    wing = api.platform.app.state.surveys
    token = wing.link_token("s1")
    assert token is not None
    return wing, token


def test_given_a_survey_link_when_the_customer_opens_it_then_answers_then_thanks_once(
    cases: Api,  # noqa: F811
) -> None:
    wing, token = _resolved_case_survey(cases, "+8613800138011")
    anon = cases.anonymous()
    zh = anon.get(f"/survey/{token}", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert zh.status_code == 200 and 'lang="zh-Hans"' in zh.text
    assert "满意" in zh.text and "How satisfied" not in zh.text
    assert re.findall(r'name="score" value="(\d+)"', zh.text) == ["1", "2", "3", "4", "5"]
    assert "http://" not in zh.text.replace("http://testserver", "")  # nothing from elsewhere
    en = anon.get(f"/survey/{token}?lang=en", headers={"Accept-Language": "zh-CN"})
    assert "How satisfied" in en.text and 'action="/survey/' in en.text
    off_scale = anon.post(f"/survey/{token}?lang=en", data={"score": "7"})
    assert off_scale.status_code == 422 and 'id="invalid"' in off_scale.text
    assert wing.book.surveys["s1"].score is None
    done = anon.post(f"/survey/{token}?lang=zh", data={"score": "4", "comment": " 很快 "})
    assert done.status_code == 200 and "感谢" in done.text
    survey = wing.book.surveys["s1"]
    assert (survey.score, survey.comment, survey.answer_channel) == (4, "很快", "web")
    again = anon.get(f"/survey/{token}?lang=en")
    assert again.status_code == 410 and "answered already" in again.text
    second = anon.post(f"/survey/{token}?lang=zh", data={"score": "1"})
    assert second.status_code == 410 and "已经作答" in second.text
    assert wing.book.surveys["s1"].score == 4
    timeline = cases.client.get(
        f"{V1}/customers/{survey.sent.customer_id}/timeline", headers=_as(cases, "lead")
    ).json()["items"]
    assert [i["score"] for i in timeline if i["kind"] == "survey"] == [4]


def test_given_forged_or_expired_links_then_the_page_says_so_in_both_languages(
    cases: Api,  # noqa: F811
) -> None:
    wing, token = _resolved_case_survey(cases, "+8613800138022")
    anon = cases.anonymous()
    survey_id, expiry, signature = token.split(".")
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    for forged in (f"{survey_id}.{expiry}.{flipped}", f"s9.{expiry}.{signature}", "x"):
        for lang, words in (("en", "not valid"), ("zh", "链接无效")):
            shown = anon.get(f"/survey/{forged}?lang={lang}")
            assert shown.status_code == 404 and words in shown.text, (forged, lang)
        posted = anon.post(f"/survey/{forged}", data={"score": "5"})
        assert posted.status_code == 404
    assert wing.book.surveys["s1"].score is None
    cases.clock.advance(8 * 86_400.0)
    for lang, words in (("en", "has closed"), ("zh", "已经结束")):
        late = anon.get(f"/survey/{token}?lang={lang}")
        assert late.status_code == 410 and words in late.text
    assert anon.post(f"/survey/{token}", data={"score": "5"}).status_code == 410
    assert wing.book.surveys["s1"].score is None


def test_given_another_sites_form_when_it_posts_to_the_page_then_it_is_refused(
    cases: Api,  # noqa: F811
) -> None:
    wing, token = _resolved_case_survey(cases, "+8613800138033")
    refused = cases.anonymous().post(
        f"/survey/{token}", data={"score": "1"}, headers={"Origin": "https://evil.example"}
    )
    assert refused.status_code == 403 and wing.book.surveys["s1"].score is None


def test_given_an_nps_case_type_then_the_page_offers_0_to_10_and_takes_0(
    cases: Api,  # noqa: F811
) -> None:
    import dataclasses

    surveys = cases.platform.app.state.surveys
    surveys.options = dataclasses.replace(surveys.options, nps_case_types=frozenset({"inquiry"}))
    wing, token = _resolved_case_survey(cases, "+8613800138044")
    anon = cases.anonymous()
    shown = anon.get(f"/survey/{token}?lang=en")
    assert re.findall(r'name="score" value="(\d+)"', shown.text) == [str(n) for n in range(11)]
    assert "recommend" in shown.text
    done = anon.post(f"/survey/{token}?lang=en", data={"score": "0", "comment": "太慢"})
    assert done.status_code == 200
    assert wing.book.surveys["s1"].score == 0
    assert wing.book.surveys["s1"].follow_up is not None  # a detractor: followed up


def test_given_a_customer_record_in_english_then_the_page_opens_in_english(
    cases: Api,  # noqa: F811
) -> None:
    wing, token = _resolved_case_survey(cases, "+8613800138055")
    customer_id = wing.book.surveys["s1"].sent.customer_id
    patched = cases.client.patch(
        f"{V1}/customers/{customer_id}", json={"language": "en"}, headers=_as(cases, "lead")
    )
    assert patched.status_code == 200, patched.text
    anon = cases.anonymous()
    first = anon.get(
        f"/survey/{token}", headers={"Accept-Language": "zh-CN"}, follow_redirects=False
    )
    assert first.status_code == 303 and first.headers["location"].endswith("?lang=en")
    page = anon.get(first.headers["location"], headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200 and "How satisfied" in page.text
    chosen = anon.get(f"/survey/{token}?lang=zh", headers={"Accept-Language": "en"})
    assert chosen.status_code == 200 and "满意" in chosen.text  # the switch still wins
