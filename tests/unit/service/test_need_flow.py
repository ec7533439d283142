"""The likely reason in a flow: an IVR flow runs the ``likely_reason`` action and, for a
customer with an open case, offers the case's status first; a customer without one gets
the ordinary greeting. The contact handed to an agent carries ``likely_reason``."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ivr_world import Customer, open_center

from kefu.bootstrap import build_simulation
from kefu.config import Settings
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.model import Channel
from kefu.service.cases import OpenCase

FLOW = """
flow: needs
version: 1
start: likely
agent: agent
nodes:
  likely:
    kind: action
    action: likely_reason
    outcomes: {case_status: case_first}
    default: greeting
  case_first:
    kind: message
    text:
      zh: "您有一张进行中的工单 {likely_reason.why}，正在为您查询进度。"
      en: "Your case {likely_reason.why} is open."
    next: agent
  greeting:
    kind: message
    text: {zh: "您好，请问有什么可以帮您？", en: "Hello, how can we help?"}
    next: agent
  agent:
    kind: transfer
    queue: sms
"""


def test_given_an_open_case_when_the_customer_texts_then_the_flow_offers_its_status_first(
    tmp_path: Path,
) -> None:
    flow_file = tmp_path / "needs.yaml"
    flow_file.write_text(FLOW, encoding="utf-8")
    settings = Settings(env="test", ivr_flows="sms=needs", ivr_flow_files=str(flow_file))

    async def main() -> None:
        async with build_simulation(settings) as sim:
            _chat, sms = await open_center(sim)
            known = Customer(sim, Channel.SMS, Identifier(IdentifierKind.PHONE, "13800138000"))
            stranger = Customer(sim, Channel.SMS, Identifier(IdentifierKind.PHONE, "13900139000"))
            directory = sim.channels.state.directory
            customer_id = directory.create(at=sim.clock.now(), name="张三")
            directory.add_identifier(customer_id, known.ident, at=sim.clock.now())
            case = await sim.engine.execute(
                OpenCase("inquiry", "房贷申请进度", by="a1", site_id="sh", customer_id=customer_id)
            )
            await sim.step(60)
            await known.say("你好")
            await stranger.say("你好")
            told = sms.texts(known.conversation_id)
            assert told and told[0].startswith("您有一张进行中的工单"), told
            assert case.case_id in told[0]
            assert sms.texts(stranger.conversation_id)[0] == "您好，请问有什么可以帮您？"
            contact_id = sim.channels.state.contact_of[known.conversation_id]
            attributes = sim.engine.router.contacts[contact_id].attributes
            assert attributes["likely_reason"] == "case_status"
            assert attributes["likely_reason.why"] == f"open_case:{case.case_id}"
            other = sim.channels.state.contact_of[stranger.conversation_id]
            assert "likely_reason" not in sim.engine.router.contacts[other].attributes

    asyncio.run(main())
