"""Voice calls to agents under load: the caller's last digit to the agent's phone ringing,
and bridged calls carried at once.

One process runs a kefu platform (in-memory store, the live engine, scheduler and IVR wing)
with its telephone front door (SIP on this loop, media in the worker process as ``kefu
demo`` runs it). A one-question flow ("press 1") hands callers to a voice queue staffed by
``--agents`` ready agents whose phones are registered at one sipp UAS (answering at once
and echoing the audio). sipp calls at ``--rate`` per second, ``--calls`` in all: each caller
presses 1 one second after the answer (RFC 4733), talks ``--talk`` ms, hangs up.

Figures per rate: calls placed / successful, the time from kefu receiving the caller's
digit to kefu sending the INVITE to the agent's phone (p50, p99, max; goal p99 < 300 ms),
the most calls bridged at once, and the CPU this process used (cores; the media worker
runs beside it). The machine is shared: the 1-minute load average is in the record.

    .venv/bin/python bench/voice_agents.py [--rate 5,10,20] [--calls 100] [--talk 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT / "src"))

FLOW = """
flow: press1
version: 1
start: menu
agent: queue
languages: [zh, en]
nodes:
  menu:
    kind: menu
    prompt: {zh: 请按一。, en: Press one.}
    options:
      - {digit: "1", label: {zh: 人工, en: Agent}, next: queue}
    timeout_s: 20
  queue:
    kind: transfer
    queue: desk
    text: {zh: 请稍候。, en: One moment.}
"""

CALLER = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="press 1 and talk">
  <send retrans="500"><![CDATA[

      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: caller <sip:13800000000@[local_ip]:[local_port]>;tag=[pid]b[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:13800000000@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=caller 1 1 IN IP4 [local_ip]
      s=-
      c=IN IP4 [local_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000

  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200"/>
  <send><![CDATA[

      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: caller <sip:13800000000@[local_ip]:[local_port]>;tag=[pid]b[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
  <pause milliseconds="1000"/>
  <nop><action><exec play_pcap_audio="pcap/dtmf_2833_1.pcap"/></action></nop>
  <pause milliseconds="TALK_MS"/>
  <send retrans="500"><![CDATA[

      BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: caller <sip:13800000000@[local_ip]:[local_port]>;tag=[pid]b[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
  <recv response="200"/>
</scenario>
"""


def _port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)


async def run_rate(rate: int, calls: int, agents: int, talk_ms: int, work: Path) -> dict[str, Any]:
    from kefu.adapters.clock import SystemClock
    from kefu.adapters.scheduler import AsyncioScheduler
    from kefu.adapters.voice.front_door import VoiceFrontDoor
    from kefu.adapters.voice.port import CallAnswered, DigitReceived, VoiceEvent
    from kefu.adapters.voice.registrar import Binding
    from kefu.bootstrap import build_platform
    from kefu.config import Settings
    from kefu.domain.model import AgentSpec, Channel, QueueSpec
    from kefu.service.routing import commands as c
    from kefu.testing import InMemoryUnitOfWorkFactory

    sipp = shutil.which("sipp")
    assert sipp is not None, "sipp is not installed (apt-get install sip-tester)"
    flow_file = work / "press1.yaml"
    flow_file.write_text(FLOW)
    settings = Settings(
        env="test",
        ivr_flows="voice=press1",
        ivr_flow_files=str(flow_file),
        sip_prompts_dir=str(work / "prompts"),
        sip_media_realtime=False,
    )
    clock = SystemClock()
    made = build_platform(
        settings,
        uow_factory=InMemoryUnitOfWorkFactory(),
        clock=clock,
        scheduler=AsyncioScheduler(clock),
    )
    assert made.channels is not None and made.ivr is not None
    loop = asyncio.get_running_loop()
    digit_at: dict[str, float] = {}
    ring_ms: list[float] = []
    bridged_now, bridged_peak = 0, 0
    async with made.app.router.lifespan_context(made.app):
        e = made.engine.execute
        await e(c.CreateSite("sh", "上海"))
        await e(c.DefineQueue(QueueSpec("desk", Channel.VOICE, aht_s=30, wrapup_s=0), "sh"))
        uas_port, uas_media = _port(), _port()
        door = VoiceFrontDoor(settings, made.channels, made.ivr, port=0)
        for n in range(agents):
            agent = f"a{n}"
            await e(c.DefineAgent(AgentSpec(agent, site_id="sh")))
            await e(c.SetAgentState(agent, "ready"))
            door.door.registrar.bindings[agent] = Binding(
                agent, f"sip:{agent}@127.0.0.1:{uas_port}", ("127.0.0.1", uas_port), 1e12
            )
        driver, sip = door.driver, door.door
        ring = driver.agents.ring

        def timed_ring(leg: Any, offer_id: str, agent_id: str) -> None:
            ring(leg, offer_id, agent_id)  # sends the INVITE to the agent's phone
            started = digit_at.pop(leg.call_id, None)
            if started is not None:
                ring_ms.append(loop.time() - started)

        driver.agents.ring = timed_ring  # type: ignore[method-assign]
        sink = driver.__call__

        def timed_sink(event: VoiceEvent) -> None:
            nonlocal bridged_now, bridged_peak
            if isinstance(event, DigitReceived) and event.call_id in driver.calls:
                digit_at[event.call_id] = loop.time()
            if isinstance(event, CallAnswered):
                bridged_now += 1
                bridged_peak = max(bridged_peak, bridged_now)
            sink(event)
            if type(event).__name__ == "CallEnded" and event.call_id.startswith("out-"):
                bridged_now -= 1

        sip._sink = timed_sink
        await door.start()
        uas = subprocess.Popen(
            [sipp, "-sn", "uas", "-i", "127.0.0.1", "-p", str(uas_port), "-mp", str(uas_media),
             "-rtp_echo", "-m", str(calls), "-nostdin", "-timeout", "600s"],
            cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        scenario = work / "caller.xml"
        scenario.write_text(CALLER.replace("TALK_MS", str(talk_ms)))
        pcap = work / "pcap"
        if not pcap.exists():
            pcap.symlink_to("/usr/share/sip-tester")
        cpu0, wall0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
        caller = await asyncio.create_subprocess_exec(
            sipp, f"127.0.0.1:{sip.port}", "-sf", str(scenario), "-i", "127.0.0.1",
            "-p", str(_port()), "-mp", str(_port()), "-r", str(rate), "-m", str(calls),
            "-l", str(rate * (talk_ms // 1000 + 4)), "-nostdin", "-timeout", "300s",
            "-s", "10086", cwd=work, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        out, _ = await caller.communicate()
        wall = time.monotonic() - wall0
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        uas.terminate()
        uas.wait(timeout=10)
        await door.stop()

    text = out.decode(errors="replace")

    def total(label: str) -> int:
        match = re.search(rf"{label}\s*\|\s*\d+\s*\|\s*(\d+)", text)
        return int(match.group(1)) if match else 0

    cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    return {
        "rate_per_s": rate,
        "calls": calls,
        "successful": total("Successful call"),
        "failed": total("Failed call"),
        "rung": len(ring_ms),
        "digit_to_ring_ms": {
            "p50": _pct(ring_ms, 0.5),
            "p99": _pct(ring_ms, 0.99),
            "max": _pct(ring_ms, 1.0),
        },
        # Which calls (in order of their ring) were slowest: a cold first call or a stall.
        "slowest": [
            {"call": n + 1, "ms": round(ms * 1000, 1)}
            for n, ms in sorted(enumerate(ring_ms), key=lambda x: -x[1])[:3]
        ],
        "bridged_peak": bridged_peak,
        "process_cores": round(cpu / max(wall, 1e-9), 3),
        "wall_s": round(wall, 1),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", default="5,10,20")
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--agents", type=int, default=150)
    parser.add_argument("--talk", type=int, default=5000, help="ms each caller talks")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    runs = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="kefu-voice-agents-") as tmp:
        for rate in [int(r) for r in args.rate.split(",")]:
            run = asyncio.run(run_rate(rate, args.calls, args.agents, args.talk, Path(tmp)))
            print(json.dumps(run, ensure_ascii=False), flush=True)
            runs.append(run)
    record = {
        "bench": "voice_agents",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_1min_before": round(load_before, 2),
            "load_1min_after": round(os.getloadavg()[0], 2),
        },
        "agents": args.agents,
        "talk_ms": args.talk,
        "runs": runs,
    }
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        path = RESULTS / f"voice_agents-{stamp}.json"
        path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
        print(path)
    return record


if __name__ == "__main__":
    main()
