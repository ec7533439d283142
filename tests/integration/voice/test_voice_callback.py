"""The router's callback over SIP: a voice callback contact reserved for an agent rings the
agent's registered phone, and once it answers kefu calls the customer's number through the
trunk and bridges the two; hanging up ends both and completes the contact."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from voice_helpers import SCENARIOS, require_tool

from kefu.adapters.clock import SystemClock
from kefu.adapters.scheduler import AsyncioScheduler
from kefu.adapters.voice.front_door import VoiceFrontDoor
from kefu.adapters.voice.registrar import Binding
from kefu.bootstrap import build_platform
from kefu.config import Settings
from kefu.domain import events as ev
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.routing import commands as c
from kefu.testing import InMemoryUnitOfWorkFactory


def _udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _uas(sipp: str, port: int, cwd: Path, *scenario: str) -> asyncio.subprocess.Process:
    """sipp's built-in UAS on ``port``: answers one call at once, echoes its audio (or
    the *scenario* given, e.g. ``-sf`` and a file)."""
    return await asyncio.create_subprocess_exec(
        sipp, *(scenario or ("-sn", "uas")), "-i", "127.0.0.1", "-p", str(port),
        "-mp", str(_udp_port()),
        "-rtp_echo", "-m", "1", "-timeout", "30s", "-timeout_error", "-nostdin",
        "-trace_err", "-trace_msg",
        cwd=cwd, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


def test_given_a_voice_callback_when_an_agent_is_reserved_then_agent_and_customer_are_bridged(
    prompts_dir: Path, tmp_path: Path
) -> None:
    sipp = require_tool("sipp")
    agent_port, trunk_port = _udp_port(), _udp_port()
    settings = Settings(
        env="test",
        sip_prompts_dir=str(prompts_dir),
        sip_media_process=False,
        sip_trunk=f"127.0.0.1:{trunk_port}",
    )

    async def scenario() -> None:
        clock = SystemClock()
        platform = build_platform(
            settings,
            uow_factory=InMemoryUnitOfWorkFactory(),
            clock=clock,
            scheduler=AsyncioScheduler(clock),
        )
        assert platform.channels is not None and platform.ivr is not None
        stored: list[object] = []
        platform.engine.subscribe(lambda batch: stored.extend(s.event for s in batch))
        async with platform.app.router.lifespan_context(platform.app):
            e = platform.engine.execute
            await e(c.CreateSite("sh", "上海"))
            await e(c.DefineQueue(QueueSpec("cb", Channel.VOICE, aht_s=60, wrapup_s=0), "sh"))
            await e(c.DefineAgent(AgentSpec("a1", site_id="sh")))
            made = await e(c.CreateContact("cb", attributes={"channel": "voice"}))
            contact_id = str(made["contact_id"])
            await e(c.RequestCallback(contact_id, "13800000001"))
            door = VoiceFrontDoor(settings, platform.channels, platform.ivr, port=0)
            await door.start()
            # The agent's phone is registered (the digest exchange has its own tests).
            registrar = door.door.registrar
            uri = f"sip:a1@127.0.0.1:{agent_port}"
            registrar.bindings["a1"] = Binding("a1", uri, ("127.0.0.1", agent_port), 1e12)
            agent = await _uas(sipp, agent_port, tmp_path)
            customer = await _uas(sipp, trunk_port, tmp_path)
            try:
                await asyncio.sleep(0.5)  # the phones listen
                await e(c.SetAgentState("a1", "ready"))
                driver = door.driver
                for _ in range(100):
                    if driver.bridged:
                        break
                    await asyncio.sleep(0.1)
                ((customer_leg, agent_leg),) = driver.bridged.items()
                assert customer_leg.startswith("out-") and agent_leg.startswith("out-")
                await asyncio.sleep(0.5)  # talking
                door.door.hang_up(customer_leg)  # the customer hangs up
                codes = await asyncio.wait_for(
                    asyncio.gather(agent.wait(), customer.wait()), timeout=20
                )
                assert codes == [0, 0]  # both phones got kefu's BYE
                for _ in range(50):
                    if any(isinstance(x, ev.ContactCompleted) for x in stored):
                        break
                    await asyncio.sleep(0.1)
                accepted = [x for x in stored if isinstance(x, ev.OfferAccepted)]
                assert [(x.contact_id, x.agent_id) for x in accepted] == [(contact_id, "a1")]
                assert any(
                    isinstance(x, ev.ContactCompleted) and x.contact_id == contact_id
                    for x in stored
                )
            finally:
                for phone in (agent, customer):
                    if phone.returncode is None:
                        phone.kill()
                        await phone.wait()
                await door.stop()

    asyncio.run(scenario())


def test_given_a_callback_ringing_an_agent_when_the_offer_times_out_then_cancel_and_it_waits_on(
    prompts_dir: Path, tmp_path: Path
) -> None:
    """The agent's phone rings and never answers: when the router's offer times out kefu
    CANCELs the INVITE (the phone, a sipp scenario, ends only on it), and the callback
    keeps its place in line."""
    sipp = require_tool("sipp")
    agent_port = _udp_port()
    settings = Settings(
        env="test",
        sip_prompts_dir=str(prompts_dir),
        sip_media_process=False,
        sip_trunk="127.0.0.1:9",
        offer_timeout_s=1.5,
    )

    async def scenario() -> None:
        clock = SystemClock()
        platform = build_platform(
            settings,
            uow_factory=InMemoryUnitOfWorkFactory(),
            clock=clock,
            scheduler=AsyncioScheduler(clock),
        )
        assert platform.channels is not None and platform.ivr is not None
        stored: list[object] = []
        platform.engine.subscribe(lambda batch: stored.extend(s.event for s in batch))
        async with platform.app.router.lifespan_context(platform.app):
            e = platform.engine.execute
            await e(c.CreateSite("sh", "上海"))
            await e(c.DefineQueue(QueueSpec("cb", Channel.VOICE, aht_s=60, wrapup_s=0), "sh"))
            await e(c.DefineAgent(AgentSpec("a1", site_id="sh")))
            made = await e(c.CreateContact("cb", attributes={"channel": "voice"}))
            contact_id = str(made["contact_id"])
            await e(c.RequestCallback(contact_id, "13800000001"))
            door = VoiceFrontDoor(settings, platform.channels, platform.ivr, port=0)
            await door.start()
            uri = f"sip:a1@127.0.0.1:{agent_port}"
            door.door.registrar.bindings["a1"] = Binding("a1", uri, ("127.0.0.1", agent_port), 1e12)
            ringing = str(SCENARIOS / "ring_until_cancel.xml")
            agent = await _uas(sipp, agent_port, tmp_path, "-sf", ringing)
            try:
                await asyncio.sleep(0.5)  # the phone listens
                await e(c.SetAgentState("a1", "ready"))
                code = await asyncio.wait_for(agent.wait(), timeout=15)
                assert code == 0  # the phone got kefu's CANCEL
                timed_out = [x for x in stored if isinstance(x, ev.OfferTimedOut)]
                assert [x.contact_id for x in timed_out][:1] == [contact_id]
                contact = platform.engine.router.contacts[contact_id]
                assert contact.callback and contact.state.value in ("queued", "offered")
                assert not any(isinstance(x, ev.ContactAbandoned) for x in stored)
            finally:
                if agent.returncode is None:
                    agent.kill()
                    await agent.wait()
                await door.stop()

    asyncio.run(scenario())
