"""``kefu demo`` answers SIP: sipp's built-in ``uac_pcap`` (INVITE, 200, ACK, A-law audio
with an RFC 2833 digit, BYE) completes against the demo, whose bank flow greets the call."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
from server_helpers import CHEAP_HASHING_ENV, KEFU, free_port
from voice_helpers import run_sipp, sipp_log


class Output:
    """The demo's console, read line by line on a thread."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line)

    def close(self, process: subprocess.Popen[str]) -> None:
        self._thread.join(timeout=10)
        if process.stdout is not None:
            process.stdout.close()

    def find(self, pattern: str, timeout_s: float) -> re.Match[str] | None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if found := re.search(pattern, line):
                    return found
            time.sleep(0.2)
        return None


@pytest.mark.slow
def test_given_kefu_demo_when_sipps_uac_pcap_calls_then_the_call_completes(
    prompts_dir: Path, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        **CHEAP_HASHING_ENV,
        "KEFU_ENV": "local",
        "COLUMNS": "300",
        "KEFU_SIP_PROMPTS_DIR": str(prompts_dir),
        "KEFU_DEMO_PASSWORD": "demo password 演示",
    }
    db = tmp_path / "demo.sqlite3"
    command = [*KEFU, "demo", "--db", str(db), "--port", str(free_port()), "--sip-port", "0",
               "--smtp-port", str(free_port()), "--rate", "0.1", "--seed", "3"]  # fmt: skip
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = Output(process)
    try:
        found = output.find(r"sip:95555@127\.0\.0\.1:(\d+)", timeout_s=90)
        assert found, "".join(output.lines)
        sip_port = int(found.group(1))
        calls = tmp_path / "sipp"
        calls.mkdir()
        result = run_sipp(sip_port, calls, "-sn", "uac_pcap", service="95555", timeout_s=30)
        assert result.returncode == 0, sipp_log(calls)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        finally:
            output.close(process)
    assert code == 0, "".join(output.lines)
    # The call was a voice conversation greeted by the bank's flow, stored in the demo's file.
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
