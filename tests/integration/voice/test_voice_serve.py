"""``kefu voice serve`` as deployed: its own process, media in the worker, a real caller."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_sipp_calls import RtpReceiver
from voice_helpers import SCENARIOS, run_sipp, sipp_log

KEFU = [sys.executable, "-c", "import sys; from kefu.cli import main; sys.argv[0] = 'kefu'; main()"]


def test_given_kefu_voice_serve_when_a_caller_dials_then_it_hears_the_greeting_and_ctrl_c_stops(
    prompts_dir: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "KEFU_SIP_PROMPTS_DIR": str(prompts_dir), "KEFU_SIP_LANGUAGE": "en"}
    env["PYTHONFAULTHANDLER"] = "1"  # SIGABRT prints where a server that will not stop is
    # Its log goes to a file: a pipe nobody reads would stop a chatty server once full.
    errors = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [*KEFU, "voice", "serve", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
    )
    receiver = RtpReceiver()
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()
        match = re.search(r"SIP on 127\.0\.0\.1:(\d+) \(UDP, TCP\)", banner)
        assert match, banner
        result = run_sipp(
            int(match.group(1)), tmp_path, "-sf", str(SCENARIOS / "prompt_and_digits.xml"),
            "-key", "rtpport", str(receiver.port),
        )  # fmt: skip
        assert result.returncode == 0, sipp_log(tmp_path)
        greeting = (prompts_dir / "en" / "greeting.ul").read_bytes()
        assert greeting[:8000] in receiver.payload(0)
        server.send_signal(signal.SIGINT)
        try:
            code = server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.send_signal(signal.SIGABRT)
            server.wait(timeout=10)
            pytest.fail("no exit 30 s after Ctrl-C:\n" + (tmp_path / "server.log").read_text())
        assert code == 0, (tmp_path / "server.log").read_text()[-2000:]
    finally:
        receiver.close()
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
        errors.close()
        if server.stdout is not None:
            server.stdout.close()
