"""The telephone front door of a running platform: the SIP server, its IVR voice driver and
the flows' clips, started and stopped with the platform (``kefu demo``, ``kefu serve``).

Dialled numbers pick a flow (``KEFU_SIP_NUMBERS``); a number without one, or when none are
configured, runs the voice channel's flow of ``KEFU_IVR_FLOWS`` (``voice=bank``). The flows'
fixed lines are rendered to clips at start (cached: a later start renders nothing new).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from kefu.adapters.voice.hold_music import hold_music
from kefu.adapters.voice.ivr_driver import VoiceIvr
from kefu.adapters.voice.registrar import Registrar, parse_agents
from kefu.adapters.voice.retention import RetentionSweep
from kefu.adapters.voice.routes import parse_numbers
from kefu.adapters.voice.sip import SipFrontDoor
from kefu.adapters.voice.softphones import parse_browser_agents
from kefu.adapters.voice.texts import TextClips
from kefu.adapters.voice.trunk import parse_trunk
from kefu.config import Settings
from kefu.domain.ivr.flow import Flow, GotoFlowNode
from kefu.domain.model import Channel
from kefu.service.channels import ChannelService
from kefu.service.ivr import IvrWing
from kefu.service.routing import PhoneBook
from kefu.service.routing.softphone import SoftphoneDesk

__all__ = ["VoiceFrontDoor"]

log = logging.getLogger(__name__)


class VoiceFrontDoor:
    """SIP on ``settings.sip_host``/``sip_port`` (``port`` overrides it; 0: a free one),
    driving calls through ``ivr`` over ``channels`` (it becomes the voice channel's reply
    gateway); *phones* learns which users' phones are registered (a supervisor joining a
    call needs one); *softphone* carries the desktop softphones' signalling."""

    def __init__(
        self,
        settings: Settings,
        channels: ChannelService,
        ivr: IvrWing,
        *,
        port: int | None = None,
        phones: PhoneBook | None = None,
        softphone: SoftphoneDesk | None = None,
    ) -> None:
        self.clips = TextClips(settings.prompts_path)
        self.registrar = Registrar(parse_agents(settings.sip_agents))
        self.phones = phones
        self._detach_phones: Callable[[], None] | None = None
        self.softphone = softphone
        self._detach_softphone: Callable[[], None] | None = None
        self.ivr = ivr
        self.hold_music = Path(settings.sip_hold_music) if settings.sip_hold_music else None
        recordings = settings.sip_call_recordings_dir
        self.recordings = Path(recordings) if recordings else None
        self.driver = VoiceIvr(
            channels,
            ivr,
            self.clips,
            language=settings.sip_language,
            announce_every_s=settings.sip_announce_every_s,
            callback_key=settings.sip_callback_key,
            recordings=self.recordings,
        )
        channels.set_gateway(Channel.VOICE, self.driver)
        self._numbers = parse_numbers(settings.sip_numbers)
        chosen = port if port is not None else settings.sip_port
        self.door = SipFrontDoor(
            host=settings.sip_host,
            port=5060 if chosen is None else chosen,
            sink=self.driver,
            clips=self.driver.clip,
            numbers=self._numbers,
            default_flow=ivr.flow_for(Channel.VOICE) or "demo",
            media_process=settings.sip_media_process,
            media_realtime=settings.sip_media_realtime,
            max_calls=settings.sip_max_calls,
            ring_timeout_s=settings.sip_ring_timeout_s,
            registrar=self.registrar,
            trunk=parse_trunk(
                settings.sip_trunk,
                settings.sip_trunk_user,
                settings.sip_trunk_password,
                settings.sip_trunk_register_s,
            ),
            browser_agents=parse_browser_agents(settings.sip_browser_agents),
        )
        self.driver.port = self.door
        self._detach: Callable[[], None] | None = None
        self.retention = (
            None
            if self.recordings is None
            else RetentionSweep(
                channels.engine, self.recordings, settings.sip_recording_retention_days
            )
        )
        self.lost: dict[str, str] = {}
        """Contacts of calls lost across a restart, ended at start (contact id → how)."""

    @property
    def port(self) -> int:
        return self.door.port

    async def start(self) -> None:
        """Render the flows' missing clips (in a thread), then listen."""
        if self.recordings is not None:
            self.recordings.mkdir(parents=True, exist_ok=True)
        if self.hold_music is not None:
            music = await asyncio.to_thread(hold_music, self.hold_music, self.clips.cache_dir)
            self.driver.set_hold_music(music)
        flows = self._voice_flows()
        extra = self.driver.offer_texts()
        lines = await asyncio.to_thread(self.clips.publish, flows, extra)
        log.info("voice: %d flow lines as clips in %s", lines, self.clips.cache_dir)
        await self.door.start()
        if (
            self.door.softphones.endpoints
        ):  # browser agents from the start: no wait at the first call
            self.door.softphones.warm()
        self._detach = self.driver.attach()
        if self.phones is not None:
            registrar = self.registrar
            self._detach_phones = self.phones.attach(lambda user: bool(registrar.binding(user)))
        if self.softphone is not None:
            self._detach_softphone = self.softphone.attach(self.door.softphones)
        self.lost = await self.driver.end_lost_calls()
        if self.retention is not None:
            self.retention.start()

    def _voice_flows(self) -> list[Flow]:
        """The published flows calls can reach: the numbers' and the voice channel's, and
        the flows they continue in."""
        catalog = self.ivr.catalog
        wanted = {route.flow for route in self._numbers.values()}
        wanted |= {
            flow for key, flow in self.ivr.options.flows.items() if key.split("@")[0] == "voice"
        }
        flows: dict[str, Flow] = {}
        while wanted:
            flow_id = wanted.pop()
            if flow_id in flows or not self.ivr.published(flow_id):
                continue
            flows[flow_id] = flow = catalog.published(flow_id)
            wanted |= {n.flow for n in flow.nodes.values() if isinstance(n, GotoFlowNode)}
        return list(flows.values())

    async def stop(self) -> None:
        if self.retention is not None:
            await self.retention.stop()
        if self._detach_phones is not None:
            self._detach_phones()
        if self._detach_softphone is not None:
            self._detach_softphone()
        if self._detach is not None:
            self._detach()
        await self.door.stop()
