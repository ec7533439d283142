"""The browser softphones' media runs in the softphone worker, never on the server's loop.

The server side here is kefu's own: :class:`Softphones` over a :class:`MediaEngine` on this
process's loop, as the front door runs them. The browsers are aiortc peers in a child
process (standing in for chromium), answering kefu's PCMU offers and sending a tone. While
the calls carry audio both ways, this process holds no peer connection (nor imports
aiortc at all from the server's modules), and its loop keeps waking on time.

ICE: aioice leaves out 127.0.0.1 candidates, so the peers meet on the machine's own
interface address; the traffic never leaves the machine.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

import pytest

from kefu.adapters.voice.media import MediaEngine
from kefu.adapters.voice.port import CallAnswered, CallEnded, VoiceEvent
from kefu.adapters.voice.softphones import Softphones
from kefu.service.routing.softphone import RingingCall, SoftphoneBadAnswer

CALLS = 4
FRAME = 160  # samples of 20 ms at 8 kHz


def _browsers(conn: Connection) -> None:
    """Answer each offer with an aiortc peer sending a 1 kHz tone; close when told."""
    import fractions

    import numpy as np
    from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
    from av import AudioFrame

    class Tone(MediaStreamTrack):
        kind = "audio"

        def __init__(self) -> None:
            super().__init__()
            self.n, self.start = 0, time.monotonic()

        async def recv(self) -> AudioFrame:
            await asyncio.sleep(max(0.0, self.start + self.n * 0.02 - time.monotonic()))
            t = (np.arange(FRAME) + self.n * FRAME) / 8000
            samples = (8000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16).reshape(1, -1)
            frame = AudioFrame.from_ndarray(samples, format="s16", layout="mono")
            frame.sample_rate, frame.pts = 8000, self.n * FRAME
            frame.time_base = fractions.Fraction(1, 8000)
            self.n += 1
            return frame

    async def drain(track: Any) -> None:
        try:
            while True:
                await track.recv()
        except Exception:
            return

    async def main() -> None:
        peers = []
        answers = []
        for sdp in conn.recv():
            pc = RTCPeerConnection()
            peers.append(pc)
            pc.on("track", lambda track: asyncio.ensure_future(drain(track)))
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            pc.addTrack(Tone())
            await pc.setLocalDescription(await pc.createAnswer())
            answers.append(pc.localDescription.sdp)
        conn.send(answers)
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        for pc in peers:
            await pc.close()

    asyncio.run(main())


async def _lateness_ms(seconds: float) -> list[float]:
    """How late this loop wakes from 10 ms sleeps, sorted."""
    late = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        before = time.monotonic()
        await asyncio.sleep(0.01)
        late.append((time.monotonic() - before - 0.01) * 1000)
    return sorted(late)


@contextmanager
def _peer_connections_made() -> Iterator[list[int]]:
    """Counts the aiortc peer connections made in this process while open. Counted as
    they are made rather than found among live objects by a scan of ``gc.get_objects()``:
    that scan took seconds in a test worker's grown heap, and missed one already dropped."""
    from aiortc import RTCPeerConnection

    made = [0]
    original = RTCPeerConnection.__init__

    def counting(peer: RTCPeerConnection, *args: Any, **kwargs: Any) -> None:
        made[0] += 1
        original(peer, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RTCPeerConnection, "__init__", counting)
        yield made


async def _rung(phones: Softphones, agent: str, timeout_s: float = 20.0) -> RingingCall | None:
    """The call ringing for *agent* once its offer is ready (pushed to the desktop then)."""
    for _ in range(int(timeout_s / 0.05)):
        call = phones.call(agent)
        if call is not None:
            return call
        await asyncio.sleep(0.05)
    return None


def test_given_the_server_modules_when_imported_then_aiortc_is_not() -> None:
    probe = (
        "import sys\n"
        "import kefu.adapters.voice.front_door, kefu.adapters.voice.sip\n"
        "import kefu.adapters.voice.softphones, kefu.adapters.voice.softphone_worker\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('aiortc', 'aioice')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout


def test_given_browser_calls_when_they_carry_audio_then_the_media_is_in_the_worker() -> None:
    events: list[VoiceEvent] = []

    # An earlier test's process may still be ending on this worker: only ours must go.
    children_before = set(multiprocessing.active_children())

    async def run() -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        engine = MediaEngine("127.0.0.1", events.append)
        await engine.start()
        phones = Softphones("127.0.0.1", engine, events.append, {f"a{n}" for n in range(CALLS)})
        ours, theirs = multiprocessing.Pipe()
        browsers = multiprocessing.get_context("spawn").Process(target=_browsers, args=(theirs,))
        browsers.start()
        try:
            legs = [phones.ring(f"a{n}", "13800000000") for n in range(CALLS)]
            offers = []
            for n in range(CALLS):
                ringing = await _rung(phones, f"a{n}")
                assert ringing is not None, "no offer for the browser"
                offers.append(ringing.sdp)
            ours.send(offers)
            answers = await loop.run_in_executor(None, ours.recv)
            for n, (leg_id, sdp) in enumerate(zip(legs, answers, strict=True)):
                await phones.answer(f"a{n}", leg_id, sdp)
            await asyncio.sleep(2)  # ICE and DTLS settle
            carried = [(w, leg) for leg in legs if (w := phones.pool.worker_of(leg)) is not None]
            assert len(carried) == CALLS and all(w.pid is not None for w, _leg in carried)
            before = [await w.counts(leg_id) for w, leg_id in carried]
            late = await _lateness_ms(3.0)
            after = [await w.counts(leg_id) for w, leg_id in carried]
            ours.send("stop")
            await phones.close()
            return {"legs": legs, "before": before, "after": after, "late": late}
        finally:
            await loop.run_in_executor(None, browsers.join, 20)
            if browsers.is_alive():  # slow to close its peers on a loaded machine
                browsers.kill()
                browsers.join()  # reaped: only the server's own processes could remain
            await phones.close()
            await engine.stop()

    with _peer_connections_made() as made:
        result = asyncio.run(run())
    assert made == [0]  # no aiortc peer connection in the server's process
    for leg_id, (got0, sent0), (got1, sent1) in zip(
        result["legs"], result["before"], result["after"], strict=True
    ):
        assert CallAnswered(leg_id) in events
        # About 150 frames each way in 3 s: the engine's to the browser, the browser's back.
        assert got1 - got0 > 75, (leg_id, got0, got1)
        assert sent1 - sent0 > 75, (leg_id, sent0, sent1)
        assert CallEnded(leg_id, "shutdown") in events
    late = result["late"]
    # The server's loop only relays signalling: it wakes on time while the calls run
    # (carrying these peers itself, it woke 160 ms late at p99 at 20 calls).
    assert late[int(len(late) * 0.99)] < 100, late[-10:]
    assert set(multiprocessing.active_children()) - children_before == set()


def test_given_legs_in_two_workers_when_one_dies_then_only_its_leg_ends_and_calls_go_on() -> None:
    events: list[VoiceEvent] = []

    async def run() -> tuple[list[str], list[int | None], set[str], str | None]:
        engine = MediaEngine("127.0.0.1", events.append)
        await engine.start()
        phones = Softphones("127.0.0.1", engine, events.append, {"a1", "a2"})
        phones.pool.legs_per_worker, phones.pool.max_workers = 1, 2  # a worker for each
        try:
            legs = [phones.ring(agent, "13800000000") for agent in ("a1", "a2")]
            for agent in ("a1", "a2"):
                assert await _rung(phones, agent) is not None
            # An answer aiortc cannot use is refused with the reason; the call still rings.
            with pytest.raises(SoftphoneBadAnswer):
                await phones.answer("a1", legs[0], "v=0\r\nnot an answer\r\n")
            workers = [phones.pool.worker_of(leg_id) for leg_id in legs]
            pids = [None if worker is None else worker.pid for worker in workers]
            assert pids[0] is not None
            os.kill(pids[0], signal.SIGKILL)
            for _ in range(100):
                if legs[0] not in phones.legs:
                    break
                await asyncio.sleep(0.05)
            still = set(phones.legs)
            third = phones.ring("a1", "13800000001")
            ringing = await _rung(phones, "a1")
            legs.append(third)
            return legs, pids, still, None if ringing is None else ringing.leg_id
        finally:
            await phones.close()
            await engine.stop()

    legs, pids, still, rung = asyncio.run(run())
    assert pids[0] != pids[1]  # one worker each
    assert CallEnded(legs[0], "shutdown") in events  # the dead worker's leg ended, not lost
    assert still == {legs[1]}  # the other worker's call rings on
    assert rung == legs[2]  # a new worker carries the next call
