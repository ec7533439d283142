"""The demo's telephone: ``kefu demo`` answers SIP (UDP and TCP) with the bank's IVR flow.

Port 5060 unless ``--sip-port`` or ``KEFU_SIP_PORT`` says otherwise (0: a free one; a free
one too when 5060 is taken, as the SMTP port). The prompt clips are cached next to the
database (``KEFU_SIP_PROMPTS_DIR`` overrides): the first start renders them with espeak-ng
and sox in the background, so the web demo is up at once and SIP listens a little later.
Calls put through to an agent's phone are recorded next to the database too
(``kefu-call-recordings/<contact id>.wav``; ``KEFU_SIP_CALL_RECORDINGS_DIR`` overrides).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kefu.bootstrap import Platform
from kefu.config import Settings

if TYPE_CHECKING:
    from kefu.adapters.voice.front_door import VoiceFrontDoor

__all__ = ["DemoVoice", "demo_voice_settings"]


def demo_voice_settings(settings: Settings, db: str, sip_port: int | None) -> Settings:
    """The demo's voice settings: the bank flow for calls, the clip cache and the call
    recordings by the database, and the SIP port (``sip_port`` first, then
    ``KEFU_SIP_PORT``, then 5060 if free)."""
    update: dict[str, object] = {}
    flows = settings.ivr_flows
    if not any(key.split("@")[0].strip() == "voice" for key in _keys(flows)):
        update["ivr_flows"] = f"{flows},voice=bank" if flows else "voice=bank"
    if not settings.sip_prompts_dir:
        update["sip_prompts_dir"] = str(Path(db).resolve().parent / "kefu-prompts")
    if not settings.sip_call_recordings_dir:
        update["sip_call_recordings_dir"] = str(Path(db).resolve().parent / "kefu-call-recordings")
    port = sip_port if sip_port is not None else settings.sip_port
    if port is None:
        port = 5060 if _free(settings.sip_host, 5060) else 0
    update["sip_port"] = port
    return settings.model_copy(update=update)


def _keys(spec: str) -> list[str]:
    return [pair.partition("=")[0] for pair in spec.split(",") if "=" in pair]


def _free(host: str, port: int) -> bool:
    """Whether both UDP and TCP ``host:port`` can be bound now."""
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                return False
    return True


class DemoVoice:
    """Starts the platform's front door in the background once the server started."""

    def __init__(
        self,
        settings: Settings,
        announce: Callable[[str], None],
        *,
        example_number: str | None = "95555",
    ) -> None:
        self.settings = settings
        self.announce = announce
        self.example_number = example_number
        """The number the console's example call dials (the demo's); None: no example."""
        self.platform: Platform | None = None
        self._task: asyncio.Task[None] | None = None
        self._door: VoiceFrontDoor | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        from kefu.adapters.voice.front_door import VoiceFrontDoor
        from kefu.domain.errors import KefuError

        platform = self.platform
        if platform is None or platform.channels is None or platform.ivr is None:
            return
        try:
            door = VoiceFrontDoor(
                self.settings,
                platform.channels,
                platform.ivr,
                phones=platform.phones,
                softphone=platform.softphone,
            )
            await door.start()
        except (OSError, KefuError) as exc:
            self.announce(f"SIP is off 电话未启用: {exc}")
            return
        self._door = door
        host, number = self.settings.sip_host, self.example_number
        if number is None:
            self.announce(f"SIP 电话 on {host}:{door.port} (UDP, TCP)")
            return
        self.announce(
            f"Phone 电话: sip:{number}@{host}:{door.port} (UDP, TCP) — "
            f"e.g. sipp {host}:{door.port} -sn uac_pcap -m 1 -s {number}"
        )

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if self._door is not None:
            await self._door.stop()
