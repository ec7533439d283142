"""kefu restarted mid-call: the router, rebuilt from its log, still holds voice contacts
whose calls no SIP dialog carries any more; the front door ends them at start with a clear,
counted outcome (a callback keeps its place)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from kefu.adapters.clock import SystemClock
from kefu.adapters.scheduler import AsyncioScheduler
from kefu.adapters.voice.front_door import VoiceFrontDoor
from kefu.bootstrap import build_platform
from kefu.config import Settings
from kefu.domain.model import AgentSpec, Channel, ContactState, QueueSpec
from kefu.service.routing import commands as c
from kefu.testing import InMemoryUnitOfWorkFactory


def test_given_voice_contacts_of_calls_gone_when_the_front_door_starts_then_they_end_counted(
    prompts_dir: Path,
) -> None:
    settings = Settings(env="test", sip_prompts_dir=str(prompts_dir), sip_media_process=False)

    async def scenario() -> None:
        clock = SystemClock()
        platform = build_platform(
            settings,
            uow_factory=InMemoryUnitOfWorkFactory(),
            clock=clock,
            scheduler=AsyncioScheduler(clock),
        )
        assert platform.channels is not None and platform.ivr is not None
        async with platform.app.router.lifespan_context(platform.app):
            e = platform.engine.execute
            router = platform.engine.router
            await e(c.CreateSite("sh", "上海"))
            await e(c.DefineQueue(QueueSpec("q", Channel.VOICE, aht_s=60), "sh"))
            await e(c.DefineAgent(AgentSpec("a1", site_id="sh")))
            await e(c.SetAgentState("a1", "ready"))

            async def call(call_id: str) -> str:
                made = await e(c.CreateContact("q", attributes={"call_id": call_id}))
                return str(made["contact_id"])

            talking = await call("sip-talking")  # offered to a1 at once, then answered
            offer_id = router.contacts[talking].offer_id
            assert offer_id is not None
            await e(c.AcceptOffer(talking, offer_id, "a1"))
            waiting = await call("sip-waiting")
            callback = await call("sip-callback")
            await e(c.RequestCallback(callback, "13800000000"))
            chat = str((await e(c.CreateContact("q")))["contact_id"])  # no call: untouched

            door = VoiceFrontDoor(settings, platform.channels, platform.ivr, port=0)
            await door.start()
            try:
                assert door.lost == {talking: "completed", waiting: "abandoned"}
                # The callback and the contact without a call wait on (a1, free again, may
                # be offered one of them).
                for kept in (callback, chat):
                    assert router.contacts[kept].state in (
                        ContactState.QUEUED,
                        ContactState.OFFERED,
                    )
                assert router.contacts[waiting].state is ContactState.ABANDONED
                assert router.contacts[talking].state in (
                    ContactState.WRAPUP,
                    ContactState.COMPLETED,
                )
            finally:
                await door.stop()

    asyncio.run(scenario())
