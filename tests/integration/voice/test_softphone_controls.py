"""The desktop's call controls on a call answered in the browser: a sipp caller dials
10087 and is queued; agent a2 answers in the real agent desktop (headless chromium whose
fake microphone plays a 1 kHz tone), then mutes (the caller hears silence instead of the
tone), unmutes with Alt+M (the tone again), holds (the caller hears the music on hold, a
300 Hz tone), resumes, sends keys from the keypad form (the caller negotiated
telephone-events: it gets them as RFC 4733 events, and no tones in its audio) and hangs
up. The page is switched to Chinese first: the buttons are labelled 静音 / 取消静音.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from phone_helpers import PhoneCenter, RtpSink, phone_center, phone_settings
from softphone_helpers import (
    RAW_MICROPHONE,
    UNTIL_BYE_S,
    agent_desktop,
    caller_scenario,
    dominant_hz,
    require_chromium,
    rms,
    tone_wav,
    wait_received,
)
from voice_helpers import run_sipp, sipp_log

from kefu.adapters.voice.dtmf import ToneDetector
from kefu.adapters.voice.g711 import ulaw_decode
from kefu.domain import events as ev
from kefu.service.routing import commands as c

pytestmark = pytest.mark.e2e

AGENT_HZ, CALLER_HZ, MUSIC_HZ = 1000.0, 440.0, 300.0
SETTLE_S = 0.4  # a control's event reaches the media engine and packets in flight drain


def _has(center: PhoneCenter, kind: type[ev.Event], count: int = 1) -> bool:
    return center.wait_for(lambda: sum(isinstance(e, kind) for e in center.stored) >= count)


def test_given_a_browser_call_when_the_agent_mutes_holds_and_keys_then_the_caller_hears_each(
    prompts_dir: Path, tmp_path: Path
) -> None:
    sync_api = require_chromium()
    music = tone_wav(tmp_path / "music.wav", MUSIC_HZ, seconds=2.0, rate=8000)
    settings = phone_settings(prompts_dir, sip_callback_key="", sip_hold_music=str(music))
    scenario = caller_scenario(tmp_path / "caller", CALLER_HZ, stay_ms=None)
    heard: dict[str, bytes] = {}
    result: dict[str, Any] = {}
    with phone_center(settings) as center:
        sink = RtpSink()

        def call() -> None:
            result["done"] = run_sipp(
                center.door.port, tmp_path / "caller", "-sf", str(scenario),
                "-key", "rtpport", str(sink.sock.getsockname()[1]), service="10087",
                timeout_s=UNTIL_BYE_S,
            )  # fmt: skip

        caller = threading.Thread(target=call, daemon=True)
        try:
            # (no echo canceller or gain control: the tone's level stays what the file says)
            with agent_desktop(center, sync_api, tmp_path, "a2", AGENT_HZ, RAW_MICROPHONE) as page:
                center.run(center.platform.engine.execute(c.SetAgentState("a2", "ready")))
                caller.start()
                page.locator("#softphone-answer").click(timeout=20_000)
                assert wait_received(page, 8000)["received"] > 8000
                driver = center.door.driver
                assert center.wait_for(lambda: bool(driver.bridged))
                expect = sync_api.expect  # waits for the page to show what the server did
                page.locator("#lang").click()  # 中文
                mute = page.locator("#call-mute")
                expect(mute).to_have_text("静音")
                heard["talking"] = sink.take(1.0)
                mute.click()
                assert _has(center, ev.CallMuted)
                expect(mute).to_have_text("取消静音")
                expect(mute).to_have_attribute("aria-pressed", "true")
                time.sleep(SETTLE_S)
                heard["muted"] = sink.take(1.0)
                page.keyboard.press("Alt+m")  # the keyboard unmutes
                assert _has(center, ev.CallUnmuted)
                expect(mute).to_have_attribute("aria-pressed", "false")
                time.sleep(SETTLE_S)
                heard["unmuted"] = sink.take(1.0)
                page.locator("#call-hold").click()
                assert _has(center, ev.ContactHeld)
                expect(page.locator("#call-digits")).to_be_hidden()  # no keys while held
                time.sleep(SETTLE_S)
                heard["held"] = sink.take(1.0)
                page.locator("#call-hold").click()
                assert _has(center, ev.ContactResumed)
                expect(page.locator("#call-digits")).to_be_visible()
                time.sleep(SETTLE_S)
                start = len(sink.payload)
                events_before = len(sink.events)
                page.locator("#call-digits-text").fill("159#")
                page.locator("#call-digits-text").press("Enter")
                assert _has(center, ev.DigitsSentToCaller)
                time.sleep(1.5)  # four keys of 0.2 s
                heard["keys"] = bytes(sink.payload[start:])
                keyed = sink.keys() if not events_before else "(events before the keys)"
                expect(page.locator("#call-digits-text")).to_have_value("")
                page.locator("#softphone-hangup").click()  # kefu's BYE ends the caller
                caller.join(40)
        finally:
            sink.close()
        completed = center.events(ev.ContactCompleted)
        sent = center.events(ev.DigitsSentToCaller)
    assert result["done"].returncode == 0, sipp_log(tmp_path / "caller")
    assert completed, "the call did not complete"
    talking = heard["talking"]
    assert len(talking) >= 4000, "the caller heard nothing from the agent"
    assert abs(dominant_hz(talking) - AGENT_HZ) < 20 and rms(talking) > 2000
    # Muted: the caller's audio keeps flowing (RTP) but holds no trace of the agent's tone.
    assert len(heard["muted"]) >= 4000
    assert rms(heard["muted"]) < 0.01 * rms(talking), (rms(heard["muted"]), rms(talking))
    assert len(heard["unmuted"]) >= 4000 and len(heard["held"]) >= 4000
    assert abs(dominant_hz(heard["unmuted"]) - AGENT_HZ) < 20
    assert rms(heard["unmuted"]) > 0.2 * rms(talking)
    assert abs(dominant_hz(heard["held"]) - MUSIC_HZ) < 20
    assert keyed == "159#"  # RFC 4733 events, one per key
    detector = ToneDetector()
    assert "".join(detector.feed(ulaw_decode(heard["keys"]))) == ""  # no tones
    assert [(e.agent_id, e.digits) for e in sent] == [("a2", "159#")]
