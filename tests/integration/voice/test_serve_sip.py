"""``kefu serve`` answers SIP when ``KEFU_SIP_PORT`` is set: sipp's built-in ``uac_pcap``
completes against it and the call is a voice conversation greeted by the configured flow."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from server_helpers import Server, admin_token
from voice_helpers import run_sipp, sipp_log

from kefu.adapters.storage import make_engine, sqlite_url, upgrade


@pytest.mark.slow
def test_given_kefu_serve_with_a_sip_port_when_uac_pcap_calls_then_the_flow_answers_it(
    prompts_dir: Path, tmp_path: Path
) -> None:
    db = tmp_path / "kefu.sqlite3"
    engine = make_engine(sqlite_url(str(db)))
    upgrade(engine)
    engine.dispose()
    auth = admin_token(db)
    server = Server(db)
    server.env.update(
        KEFU_SIP_PORT="0", KEFU_IVR_FLOWS="voice=bank", KEFU_SIP_PROMPTS_DIR=str(prompts_dir)
    )
    server.start()
    try:
        # An operator's center: a voice queue the flow's callers are handed to.
        for path, body in (
            ("sites", {"site_id": "sh", "name": "上海"}),
            ("queues", {"queue_id": "phone", "site_id": "sh", "channel": "voice"}),
        ):
            made = httpx.post(f"{server.base}/api/v1/{path}", json=body, headers=auth)
            assert made.status_code in (200, 201), made.text
        found = None
        deadline = time.monotonic() + 60
        while found is None and time.monotonic() < deadline:
            found = re.search(r"SIP 电话 on 127\.0\.0\.1:(\d+)", server.log.read_text("utf-8"))
            time.sleep(0.2)
        assert found, server.log.read_text("utf-8")
        calls = tmp_path / "sipp"
        calls.mkdir()
        result = run_sipp(int(found.group(1)), calls, "-sn", "uac_pcap", timeout_s=30)
        assert result.returncode == 0, sipp_log(calls)
    finally:
        server.stop()
    with closing(sqlite3.connect(db)) as stored:
        convs = stored.execute("SELECT conversation_id FROM conversations WHERE channel='voice'")
        (conv_id,) = [row[0] for row in convs]
        told = [
            json.loads(payload)
            for (payload,) in stored.execute(
                "SELECT payload FROM conversation_events WHERE conversation_id=? AND type=?",
                (conv_id, "replied"),
            )
        ]
    assert told and "中文服务请按 1" in json.dumps(told[0], ensure_ascii=False)
