"""The customer's answers byte for byte: on the manual clock, customers of two sites with
chats, a wrapped-up conversation with its follow-up survey, a case with a note, give the
exact text recorded in ``golden/`` from ``GET /api/v1/customers`` (search),
``GET /api/v1/customers/{id}`` (the panel with its value), ``.../timeline``, the merge and
its undo, and the supervisors' pages ``/customers?q=`` and ``/customers/{id}``. The read
models behind them may change; what callers receive may not."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from api_helpers import Api, MakeApi
from golden_helpers import PAGE_MASKS, check_golden

from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.model import AgentSpec, Channel
from kefu.service.channels import ChannelService, Inbound
from kefu.service.routing import commands as c

V1 = "/api/v1"
REPLY_IDS = (r'"chat-out:[0-9a-f]{16}-', '"chat-out:…-')


@dataclass
class People:
    api: Api
    lead: dict[str, str]
    wang: str
    li: str
    han: str

    def get(self, path: str, **params: Any) -> str:
        answer = self.api.client.get(f"{V1}{path}", params=params, headers=self.lead)
        assert answer.status_code == 200, answer.text
        return answer.text

    def post(self, path: str, body: Any) -> str:
        answer = self.api.client.post(f"{V1}{path}", json=body, headers=self.lead)
        assert answer.status_code == 200, answer.text
        return answer.text


def _channels(api: Api) -> ChannelService:
    channels = api.platform.channels
    assert channels is not None
    return channels


def _say(
    api: Api, who: Identifier, text: str, n: int, topic: str, name: str = ""
) -> tuple[str, str]:
    """A chat message of customer ``who``; the live customer id and the conversation."""
    inbound = Inbound(
        Channel.CHAT, (who,), text, api.clock.now(), f"chat:{who.value}:{n}",
        sender_name=name, topic=topic,
    )  # fmt: skip
    channels = _channels(api)
    receipt = api.client.portal.call(channels.receive, inbound)
    conv = channels.state.conversation(str(receipt.conversation_id))
    return channels.state.directory.resolve(conv.customer_id), conv.conversation_id


def _desk(api: Api, agent: dict[str, str], path: str, body: Any = None) -> Any:
    answer = api.client.post(f"{V1}/desktop{path}", json=body, headers=agent)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture
def people(make_api: MakeApi) -> Iterator[People]:
    """Sites sh and bj; 王芳 (phone) chatted at sh twice: answered by a1, wrapped up with a
    survey sent, a case with a note; 李雷 (e-mail) waits at sh; 韩梅梅 chatted at bj."""
    with make_api(survey_wrap_up_queues="chat") as api:
        client, execute = api.client, api.platform.engine.execute
        for site, name in (("sh", "上海中心"), ("bj", "北京中心")):
            made = client.post(f"{V1}/sites", json={"site_id": site, "name": name})
            assert made.status_code == 201
        for body in (
            {"queue_id": "chat", "site_id": "sh", "channel": "chat", "name": "在线 Chat"},
            {"queue_id": "bj-chat", "site_id": "bj", "channel": "chat"},
        ):
            assert client.post(f"{V1}/queues", json=body).status_code == 201, body
        for agent_id, site, name in (("a1", "sh", "王小明"), ("b1", "bj", "赵敏")):
            spec = AgentSpec(agent_id, capacity={Channel.CHAT: 2}, site_id=site, name=name)
            client.portal.call(execute, c.DefineAgent(spec))
        api.user("agent-a1", "agent", sites=("sh",), agent_id="a1")
        api.user("lead", "supervisor", sites=("sh",))
        a1 = api.token("agent-a1")
        wang_phone = Identifier(IdentifierKind.PHONE, "13800138000")
        wang, conv = _say(api, wang_phone, "我要查询上个月的账单", 1, "chat", name="王芳")
        api.clock.advance(3)
        _desk(api, a1, "/state", {"presence": "ready"})
        (offer,) = client.get(f"{V1}/desktop", headers=a1).json()["offers"]
        contact_id = offer["contact_id"]
        _desk(api, a1, f"/offers/{contact_id}/accept", {"offer_id": offer["offer_id"]})
        api.clock.advance(5)
        _desk(api, a1, f"/conversations/{conv}/reply", {"text": "您好，已为您查询。"})
        case = {"case_type": "inquiry", "title": "账单疑问", "contact_id": contact_id}
        opened = client.post(f"{V1}/cases", json=case)
        assert opened.status_code == 201, opened.text
        case_id = opened.json()["case_id"]
        api.clock.advance(2)
        note = client.post(f"{V1}/cases/{case_id}/notes", json={"text": "已核对明细"})
        assert note.status_code == 201, note.text
        _desk(api, a1, f"/conversations/{conv}/wrap-up", {"disposition": "resolved"})
        api.clock.advance(60)
        _say(api, wang_phone, "还有一个问题", 2, "chat")
        api.clock.advance(4)
        li_mail = Identifier(IdentifierKind.EMAIL, "li@example.cn")
        li, _ = _say(api, li_mail, "想改套餐", 1, "chat", name="李雷")
        han_phone = Identifier(IdentifierKind.PHONE, "13900139000")
        han, _ = _say(api, han_phone, "北京这边的问题", 1, "bj-chat", name="韩梅梅")
        api.clock.advance(10)
        yield People(api, api.token("lead"), wang, li, han)


def test_given_customers_when_searched_then_the_answers_are_byte_identical(
    people: People,
) -> None:
    found = people.get("/customers", q="example.cn")
    assert people.li in found and people.han not in found
    check_golden("customers_search_mail.json", found)
    check_golden("customers_search_phone.json", people.get("/customers", q="138 0013"))
    everyone = people.api.client.get(f"{V1}/customers", params={"q": "1"})
    assert everyone.status_code == 200 and people.han in everyone.text
    check_golden("customers_search_admin.json", everyone.text)


def test_given_a_customer_when_its_panel_and_timeline_are_read_then_byte_identical(
    people: People,
) -> None:
    panel = people.get(f"/customers/{people.wang}")
    assert '"value"' in panel and '"surveys_allowed"' in panel
    check_golden("customer_panel.json", panel)
    timeline = people.get(f"/customers/{people.wang}/timeline")
    assert all(f'"kind":"{k}"' in timeline for k in ("contact", "case", "note", "survey"))
    check_golden("customer_timeline.json", timeline, REPLY_IDS)


def test_given_two_customers_when_merged_and_undone_then_the_answers_are_byte_identical(
    people: People,
) -> None:
    merged = people.post(
        f"/customers/{people.wang}/merge", {"merged_id": "email:li@example.cn", "reason": "同一人"}
    )
    check_golden("customer_merge.json", merged)
    check_golden("customer_panel_merged.json", people.get(f"/customers/{people.li}"))
    people.api.clock.advance(30)
    undone = people.post("/customers/merges/mrg-000001/undo", {"reason": "不是同一人"})
    check_golden("customer_undo.json", undone)
    check_golden("customer_panel_undone.json", people.get(f"/customers/{people.wang}"))


def test_given_a_supervisor_when_it_opens_the_customer_pages_then_the_html_is_byte_identical(
    people: People,
) -> None:
    browser = people.api.login("lead")
    found = browser.get("/customers", params={"q": "example"})
    assert found.status_code == 200 and people.li in found.text
    check_golden("customers_page_search.html", found.text, *PAGE_MASKS)
    page = browser.get(f"/customers/{people.wang}")
    assert page.status_code == 200 and "还有一个问题" in page.text
    check_golden("customers_page_customer.html", page.text, *PAGE_MASKS)
