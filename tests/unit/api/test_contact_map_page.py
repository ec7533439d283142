"""The supervisors' contact map page, ``/reports/contact-map``, over a planted routing log in
the platform's store: the SVG graph, the planted loop, blind spot and broken hand-off, FCR
next to AHT, the CSV and SVG downloads; a supervisor sees the contacts of their sites only,
an agent gets 403, a foreign site 404, nobody logged in the login."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest
from api_helpers import Api

from kefu.domain import events as ev
from kefu.domain.model import AgentSpec, Channel, ContactSpec, QueueSpec
from kefu.domain.routing import Router

DAY = 86_400.0
PAGE = "/reports/contact-map"


def _planted(now: float) -> list[ev.Event]:
    """k1 (王芳, 账单) goes billing → cards → billing (a loop) and is completed; 李雷's k2
    is abandoned and never called back (a blind spot); 王芳 comes back about 账单 two days
    later (k3: k1 is a broken hand-off); k9 is of the Beijing queue."""
    r = Router()
    for queue in ("billing", "cards", "bj-local"):
        r.define_queue(QueueSpec(queue, Channel.VOICE), 0.0)
    for agent in ("a1", "a2", "b1"):
        r.define_agent(AgentSpec(agent, capacity={"voice": 1}), 0.0)
    t = now - 5 * DAY

    def take(contact_id: str, at: float) -> None:
        offer = next(
            e
            for e in reversed(r.log)
            if isinstance(e, ev.OfferCreated) and e.contact_id == contact_id
        )
        r.accept(offer.offer_id, at)

    r.set_presence("a1", "ready", t)
    r.enqueue(ContactSpec("k1", "billing", customer_id="王芳", attributes={"topic": "账单"}), t)
    take("k1", t + 5)
    r.set_presence("a2", "ready", t + 6)
    r.transfer("k1", t + 60, to_queue="cards")
    take("k1", t + 65)
    r.set_presence("a1", "ready", t + 66)
    r.transfer("k1", t + 120, to_queue="billing")
    take("k1", t + 125)
    r.complete("k1", t + 300)
    r.enqueue(ContactSpec("k2", "billing", customer_id="李雷"), t + DAY)
    r.abandon("k2", t + DAY + 40)
    r.set_presence("a1", "ready", t + 2 * DAY)
    r.enqueue(
        ContactSpec("k3", "billing", customer_id="王芳", attributes={"topic": "账单"}), t + 2 * DAY
    )
    take("k3", t + 2 * DAY + 5)
    r.complete("k3", t + 2 * DAY + 100)
    r.set_presence("b1", "ready", t + 3 * DAY)
    r.enqueue(ContactSpec("k9", "bj-local", customer_id="张三"), t + 3 * DAY)
    take("k9", t + 3 * DAY + 5)
    r.complete("k9", t + 3 * DAY + 50)
    return list(r.log)


@pytest.fixture
def mapped(center: Api) -> Api:
    body = {"queue_id": "cards", "site_id": "sh", "name": "信用卡 Cards"}
    assert center.client.post("/api/v1/queues", json=body).status_code == 201
    with center.store() as uow:
        uow.events.append(_planted(center.clock.now()))
        uow.commit()
    center.user("lead", "supervisor", sites=("sh",))
    center.user("a1", "agent", sites=("sh",), agent_id="a1")
    return center


def test_given_a_planted_log_then_the_page_marks_the_loop_blind_spot_and_broken_hand_off(
    mapped: Api,
) -> None:
    lead = mapped.login("lead")
    # A repeat window of 2.5 days: k3's is over (resolved first), k1 came back within it.
    page = lead.get(PAGE, params={"days": 30, "window_days": 2.5, "lang": "en"})
    assert page.status_code == 200, page.text
    html = page.text
    assert "<svg" in html and 'data-node="queue:billing"' in html
    assert 'data-source="agent:a1" data-target="queue:billing"' in html  # the way back
    for table, contact in (("loops", "k1"), ("blind-spots", "k2"), ("broken", "k1")):
        section = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
        assert f"<td>{contact}" in section, table
    assert "k9" not in html and "bj-local" not in html  # Beijing is not the lead's
    fcr_queue = html.split('id="fcr-queue"', 1)[1].split("</table>", 1)[0]
    assert "<td>billing</td>" in fcr_queue and "50.0 %" in fcr_queue
    zh = lead.get(PAGE, params={"days": 30, "lang": "zh"}).text
    assert "客户接触地图" in zh and "盲点" in zh
    # Channels and outcomes in the reader's words, on the graph and in the tables.
    graph = zh.split('id="map"', 1)[1].split("</svg>", 1)[0]
    assert ">语音<" in graph and ">放弃<" in graph and ">已完成<" in graph
    assert ">voice<" not in graph and ">abandoned<" not in graph
    blind = zh.split('id="blind-spots"', 1)[1].split("</table>", 1)[0]
    assert "<td>语音</td>" in blind and "<td>voice</td>" not in blind
    assert 'data-node="channel:voice"' in graph  # the node's name stays the data's


def test_given_the_downloads_then_the_csv_has_the_marks_and_fcr_and_the_svg_is_an_image(
    mapped: Api,
) -> None:
    lead = mapped.login("lead")
    got = lead.get(PAGE, params={"days": 30, "format": "csv"})
    assert got.status_code == 200 and "attachment" in got.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(got.text)))
    marks = {(r["section"], r["contact_id"]) for r in rows}
    assert {("loop", "k1"), ("blind_spot", "k2"), ("broken_handoff", "k1")} <= marks
    fcr = {r["source"]: r["detail"] for r in rows if r["section"] == "fcr_agent"}
    assert "fcr=" in fcr["a1"] and "aht_s=" in fcr["a1"]
    image = lead.get(PAGE, params={"days": 30, "format": "svg"})
    assert image.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(image.text)
    assert root.tag.endswith("svg") and int(root.get("width") or 0) > 300


def test_given_other_callers_then_agents_403_foreign_sites_404_strangers_to_login(
    mapped: Api,
) -> None:
    assert mapped.login("a1").get(PAGE).status_code == 403
    assert mapped.login("lead").get(PAGE, params={"site_id": "bj"}).status_code == 404
    anonymous = mapped.anonymous().get(PAGE, follow_redirects=False)
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["location"]


def test_given_department_waits_and_ivr_sessions_then_each_caller_sees_those_of_their_sites(
    mapped: Api,
) -> None:
    from kefu.domain.cases import events as cev
    from kefu.domain.ivr import events as iev
    from kefu.service.channels.ports import ChannelRecord

    now = mapped.clock.now()
    t = now - 4 * DAY
    wait = "waiting_on_department"
    found: list[tuple[str, str, str, dict[str, object]]] = []
    tasks = []
    for case_id, site in (("C-sh", "sh"), ("C-bj", "bj")):
        opened = cev.CaseOpened(t, case_id, "fault", "王芳", site, "卡", 0, 0, {}, None, None, "a1")
        moved = cev.CaseStateChanged(t + 60, case_id, "open", wait, "", "a1", "风控", None, None)
        linked = cev.CaseLinked(t, case_id, "work_item", f"task-{case_id}", "workitem", "a1")
        for event in (opened, linked, moved):
            data = cev.case_event_to_dict(event)
            found.append(("case", str(data["type"]), case_id, data))
        attrs = {"case_id": case_id, "sla_due": f"{t + DAY:.0f}"}
        queue = "billing" if site == "sh" else "bj-local"
        tasks.append(
            ev.ContactQueued(t, f"task-{case_id}", queue, "workitem", 0, 0, None, attrs, None, 1)
        )
    started = iev.FlowStarted(t, "conv9", "welcome", 1, "zh", {}, None, None, None, None)
    for event in (started, iev.Abandoned(t + 30, "conv9", "welcome")):
        data = iev.ivr_event_to_dict(event)
        found.append(("ivr", str(data["type"]), "conv9", data))
    with mapped.store() as uow:
        uow.events.append(tasks)
        uow.channels.append(
            [
                ChannelRecord(10_000 + n, t + 60, stream, kind, subject, data)
                for n, (stream, kind, subject, data) in enumerate(found)
            ]
        )
        uow.commit()
    lead = mapped.login("lead").get(PAGE, params={"days": 30, "lang": "zh"}).text
    blind = lead.split('id="blind-spots"', 1)[1].split("</table>", 1)[0]
    assert "<td>C-sh</td>" in blind and "等待部门处理已超 SLA" in blind
    assert "C-bj" not in lead and 'data-node="ivr:welcome"' not in lead
    assert 'data-node="department:风控"' in lead and ">部门</text>" in lead
    mapped.user("boss", "admin")
    everything = mapped.login("boss").get(PAGE, params={"days": 30, "format": "csv"}).text
    assert "C-bj" in everything and "ivr:welcome,outcome:ivr_abandoned" in everything
