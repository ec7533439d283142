"""The demo's voice settings put the clip cache and the call recordings by the database."""

from __future__ import annotations

from pathlib import Path

from kefu.cli.demo_voice import demo_voice_settings
from kefu.config import Settings


def test_given_the_demo_when_configured_then_calls_are_recorded_next_to_its_database(
    tmp_path: Path,
) -> None:
    db = tmp_path / "demo.db"
    settings = demo_voice_settings(Settings(env="test"), str(db), 0)
    assert settings.sip_call_recordings_dir == str(tmp_path.resolve() / "kefu-call-recordings")
    assert settings.sip_prompts_dir == str(tmp_path.resolve() / "kefu-prompts")
    chosen = Settings(env="test", sip_call_recordings_dir=str(tmp_path / "mine"))
    assert demo_voice_settings(chosen, str(db), 0).sip_call_recordings_dir == str(tmp_path / "mine")
