"""The telephone's settings (``KEFU_SIP_*``), a part of :class:`kefu.config.Settings`.

Voice is off unless ``KEFU_SIP_PORT`` is set.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["VoiceSettings"]


class VoiceSettings(BaseSettings):
    """SIP, media, prompts, recordings and the trunk; each field is ``KEFU_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="KEFU_", extra="ignore")

    sip_host: Annotated[str, Field(description="address the SIP and RTP sockets bind")] = (
        "127.0.0.1"
    )
    sip_port: Annotated[
        int | None, Field(ge=0, le=65535, description="SIP port, UDP and TCP (0: any free one)")
    ] = None
    sip_numbers: Annotated[
        str, Field(description="dialled number=flow[@site], comma-separated (empty: all → demo)")
    ] = ""
    sip_language: Annotated[
        Literal["zh", "en"], Field(description="language of the built-in demo flow's prompts")
    ] = "zh"
    sip_prompts_dir: Annotated[
        str | None, Field(description="prompt clip cache (default: kefu-prompts)")
    ] = None
    sip_media_process: Annotated[
        bool, Field(description="RTP media in a worker process (off: on the SIP loop)")
    ] = True
    sip_media_realtime: Annotated[
        bool, Field(description="SCHED_FIFO for the media worker (needs CAP_SYS_NICE)")
    ] = True
    sip_max_calls: Annotated[
        int, Field(ge=1, description="calls at once; more get 503 (each holds an RTP socket)")
    ] = 500
    sip_ring_timeout_s: Annotated[
        float, Field(gt=0, description="a call not answered within this is refused, s")
    ] = 60.0
    sip_recordings_dir: Annotated[
        str | None, Field(description="operator recordings replacing clips by file name")
    ] = None
    sip_call_recordings_dir: Annotated[
        str | None,
        Field(description="bridged calls recorded here, one stereo WAV per contact (off: unset)"),
    ] = None
    sip_recording_retention_days: Annotated[
        float, Field(gt=0, description="call recordings older than this are deleted, days")
    ] = 90.0
    sip_hold_music: Annotated[
        str | None,
        Field(description="audio file queued callers hear between announcements (sox converts)"),
    ] = None
    sip_announce_every_s: Annotated[
        float, Field(gt=0, description="a queued caller hears its place and wait this often, s")
    ] = 30.0
    sip_agents: Annotated[
        str, Field(description="agent phones' SIP credentials: agent=password, comma-separated")
    ] = ""
    sip_browser_agents: Annotated[
        str, Field(description="agents answering calls in the desktop's softphone, comma-separated")
    ] = ""
    sip_trunk: Annotated[
        str, Field(description="host:port kefu calls customers through (callbacks; empty: none)")
    ] = ""
    sip_trunk_user: Annotated[
        str, Field(description="user kefu logs in to the trunk as (digest; empty: no login)")
    ] = ""
    sip_trunk_password: Annotated[
        str, Field(description="password of sip_trunk_user at the trunk")
    ] = ""
    sip_trunk_register_s: Annotated[
        int, Field(ge=0, le=86_400, description="REGISTER at the trunk for, s (0: never)")
    ] = 600
    sip_callback_key: Annotated[
        str,
        Field(
            pattern=r"^[0-9*#]?$", description="key asking for a callback while queued (empty: off)"
        ),
    ] = "1"
