"""E-mail addresses → queues as data (``/admin/addresses``): a route set by an admin sends
the next message to that mailbox into its e-mail queue (other mail: the first e-mail queue),
is audited, kept across a restart and removable; bad input is refused naming the field,
nothing stored; supervisors read, agents are refused."""

from __future__ import annotations

from typing import Any

import pytest
from api_helpers import Api, csrf_of
from fastapi.testclient import TestClient

from kefu.bootstrap import build_test
from kefu.config import Settings
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.model import Channel
from kefu.service.channels import Inbound

V1 = "/api/v1"


@pytest.fixture
def mail(center: Api) -> Api:
    c = center.client
    for queue_id in ("general-mail", "loans-mail"):
        body = {"queue_id": queue_id, "site_id": "sh", "channel": "email"}
        assert c.post(f"{V1}/queues", json=body).status_code == 201
    center.user("boss", "admin")
    center.user("sup", "supervisor", sites=("sh",))
    center.user("agent1", "agent", agent_id="a1")
    return center


def _save(api: Api, data: dict[str, str], lang: str = "en") -> tuple[int, str]:
    admin = api.login("boss")
    token = csrf_of(admin.get("/admin").text)
    done = admin.post(
        f"/admin/addresses?lang={lang}", data={"csrf_token": token, **data}, follow_redirects=False
    )
    return done.status_code, done.text


def _mail_queue(api: Api, to: str, n: int) -> Any:
    """The queue of the contact a new message to ``to`` starts."""
    sender = (Identifier(IdentifierKind.EMAIL, f"c{n}@example.com"),)
    inbound = Inbound(
        Channel.EMAIL, sender, "hello", api.clock.now(), f"<m{n}@example.com>", recipients=(to,)
    )
    channels = api.platform.channels
    assert channels is not None
    receipt = api.client.portal.call(channels.receive, inbound)
    return api.client.get(f"{V1}/contacts/{receipt.contact_id}").json()["queue_id"]


def test_given_a_route_then_mail_to_that_mailbox_goes_to_its_queue_audited_and_kept(
    mail: Api,
) -> None:
    assert _mail_queue(mail, "Loans@Bank.example", 1) == "general-mail"
    status, page = _save(mail, {"address": "Loans@Bank.example", "queue_id": "loans-mail"})
    assert status == 303, page
    assert _mail_queue(mail, "loans@bank.example", 2) == "loans-mail"
    assert _mail_queue(mail, "other@bank.example", 3) == "general-mail"
    audit = mail.client.get(f"{V1}/audit", params={"action": "address_route."}).json()["items"]
    assert audit[0]["before"] is None
    assert audit[0]["after"] == {"address": "loans@bank.example", "queue_id": "loans-mail"}
    seen = mail.login("sup").get("/admin/addresses")
    assert seen.status_code == 200 and 'data-address="loans@bank.example"' in seen.text
    assert 'id="read-only"' in seen.text and 'id="route-form"' not in seen.text
    assert mail.login("agent1").get("/admin/addresses").status_code == 403
    again = build_test(Settings(env="test"), uow_factory=mail.store)
    with TestClient(again.app):
        routes = again.channels.core.routes  # type: ignore[union-attr]
        assert dict(routes) == {"loans@bank.example": "loans-mail"}
    assert _save(mail, {"address": "loans@bank.example", "queue_id": ""})[0] == 303
    assert _mail_queue(mail, "loans@bank.example", 5) == "general-mail"


def test_given_bad_routes_then_the_field_is_named_in_chinese_and_nothing_stored(
    mail: Api,
) -> None:
    cases = (
        ({"address": "not-an-address", "queue_id": "loans-mail"}, "address", "不是有效的邮箱地址"),
        ({"address": "a@bank.example", "queue_id": "billing"}, "queue_id", "不是邮件队列"),
        ({"address": "a@bank.example", "queue_id": ""}, "address", "没有可删除的路由"),
    )
    for data, field, text in cases:
        status, page = _save(mail, data, lang="zh")
        assert status == 422, (data, status)
        assert text in page and f'id="f-{field}"' in page, data
    audit = mail.client.get(f"{V1}/audit", params={"action": "address_route."}).json()["items"]
    assert audit == []
