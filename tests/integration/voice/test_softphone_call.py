"""A caller talks to an agent who answers in the browser: sipp dials 10087, the flow queues
the call and offers it to agent a2, who logged in to the agent desktop in headless chromium
(a fake microphone playing a 1 kHz tone) and chose to answer calls in the browser there;
the call rings in the page and a2 clicks Answer; the page answers kefu's PCMU offer
through ``/api/v1/desktop/softphone`` and the driver bridges the caller's RTP leg to the
browser's. The caller must hear
the agent's tone and the page must receive the caller's audio (headless chromium's
``audioLevel`` reads 0, so inbound bytes are what is checked there).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from phone_helpers import RtpSink, phone_center, phone_settings
from softphone_helpers import (
    agent_desktop,
    caller_scenario,
    dominant_hz,
    require_chromium,
    wait_received,
)
from voice_helpers import run_sipp, sipp_log

from kefu.domain import events as ev
from kefu.service.routing import commands as c

pytestmark = pytest.mark.e2e

AGENT_HZ, CALLER_HZ = 1000.0, 440.0


def test_given_a_browser_agent_when_a_caller_is_answered_in_the_page_then_both_hear(
    prompts_dir: Path, tmp_path: Path
) -> None:
    sync_api = require_chromium()
    # The caller talks from the start and stays 12 s: enough for the browser to answer.
    scenario = caller_scenario(tmp_path / "caller", CALLER_HZ, stay_ms=11_500)
    settings = phone_settings(prompts_dir, sip_callback_key="")
    result: dict[str, Any] = {}
    stats: dict[str, Any] = {}
    with phone_center(settings) as center:
        sink = RtpSink()

        def call() -> None:
            result["done"] = run_sipp(
                center.door.port, tmp_path / "caller", "-sf", str(scenario),
                "-key", "rtpport", str(sink.sock.getsockname()[1]), service="10087",
            )  # fmt: skip

        caller = threading.Thread(target=call, daemon=True)
        try:
            # a2 moves its calls from its SIP phone to this browser.
            with agent_desktop(center, sync_api, tmp_path, "a2", AGENT_HZ) as page:
                center.run(center.platform.engine.execute(c.SetAgentState("a2", "ready")))
                caller.start()
                # The call rings in the desktop: the caller's number and Answer.
                page.locator("#softphone-answer").click(timeout=20_000)
                assert "13800000000" in page.locator("#softphone-caller").inner_text()
                stats = wait_received(page, 8000)
                caller.join(30)
        finally:
            sink.close()
        completed = center.events(ev.ContactCompleted)
    assert result["done"].returncode == 0, sipp_log(tmp_path / "caller")
    assert stats["codec"] == "audio/PCMU", stats
    assert stats["received"] > 8000, stats  # > 1 s of the caller's audio reached the page
    assert completed, "the answered call did not complete"
    heard = bytes(sink.payload)
    # The caller's last second before hanging up is the agent's tone.
    assert len(heard) >= 16000
    assert abs(dominant_hz(heard[-8000:]) - AGENT_HZ) < 20
