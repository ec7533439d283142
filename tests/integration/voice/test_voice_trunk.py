"""A trunk with the provider's login: sipp plays the provider. An INVITE it challenges
with 407 is sent again with a valid digest answer and the call is answered; kefu
registers at the trunk through a 401 challenge and refreshes before the interval the
provider granted runs out."""

from __future__ import annotations

import asyncio
import hashlib
import re
import socket
from collections.abc import Callable
from pathlib import Path

from voice_helpers import SCENARIOS, require_tool

from kefu.adapters.voice.port import CallAnswered, CallEnded, VoiceEvent
from kefu.adapters.voice.sip import SipFrontDoor
from kefu.adapters.voice.trunk import parse_trunk

_USER, _PASSWORD = "kefu-trunk", "s3cret-pw"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def _udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _provider(scenario: str, port: int, cwd: Path) -> asyncio.subprocess.Process:
    """sipp as the provider on ``port``, expecting kefu's login (one call)."""
    return await asyncio.create_subprocess_exec(
        require_tool("sipp"), "-sf", str(SCENARIOS / scenario), "-i", "127.0.0.1",
        "-p", str(port), "-mp", str(_udp_port()), "-m", "1",
        "-key", "authuser", _USER, "-key", "authpass", _PASSWORD,
        "-timeout", "20s", "-timeout_error", "-nostdin", "-trace_err", "-trace_msg",
        cwd=cwd, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def _until(check: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    for _ in range(int(timeout_s / 0.05)):
        if check():
            return True
        await asyncio.sleep(0.05)
    return check()


def test_given_a_trunk_login_when_the_provider_challenges_the_invite_then_it_is_answered(
    tmp_path: Path,
) -> None:
    port = _udp_port()
    events: list[VoiceEvent] = []

    async def scenario() -> int | None:
        provider = await _provider("trunk_challenge.xml", port, tmp_path)
        door = SipFrontDoor(
            host="127.0.0.1",
            port=0,
            sink=events.append,
            clips=lambda _name: b"",
            trunk=parse_trunk(f"127.0.0.1:{port}", _USER, _PASSWORD, 0),
        )
        await door.start()
        try:
            await asyncio.sleep(0.3)  # the provider listens
            leg = door.dial_number("13800000001")
            assert await _until(lambda: any(isinstance(e, CallAnswered) for e in events))
            door.hang_up(leg)  # kefu's BYE
            return await asyncio.wait_for(provider.wait(), timeout=10)
        finally:
            if provider.returncode is None:
                provider.kill()
                await provider.wait()
            await door.stop()

    assert asyncio.run(scenario()) == 0
    assert [type(e) for e in events] == [CallAnswered, CallEnded]
    # The second INVITE answered the challenge with the right digest (RFC 2617, MD5).
    (log,) = tmp_path.glob("trunk_challenge_*_messages.log")
    (answer,) = re.findall(r"^Proxy-Authorization: (.*)$", log.read_text(), re.M)
    fields = dict(re.findall(r'(\w+)="?([^",]*)"?', answer.removeprefix("Digest ")))
    assert (fields["username"], fields["realm"]) == (_USER, "trunk.example")
    assert fields["nonce"] == "kefu-test-nonce"
    ha1 = _md5(f"{_USER}:trunk.example:{_PASSWORD}")
    ha2 = _md5(f"INVITE:{fields['uri']}")
    assert fields["response"] == _md5(f"{ha1}:kefu-test-nonce:{ha2}")


def test_given_a_trunk_login_when_kefu_starts_then_it_registers_and_refreshes_in_time(
    tmp_path: Path,
) -> None:
    port = _udp_port()

    async def scenario() -> tuple[bool, int | None]:
        provider = await _provider("trunk_register.xml", port, tmp_path)
        await asyncio.sleep(0.3)  # the provider listens
        door = SipFrontDoor(
            host="127.0.0.1",
            port=0,
            sink=lambda _event: None,
            clips=lambda _name: b"",
            trunk=parse_trunk(f"127.0.0.1:{port}", _USER, _PASSWORD, 2),
        )
        await door.start()
        try:
            login = door.trunk_login
            assert login is not None
            registered = await _until(lambda: login.registered, 5)
            # The provider granted 2 s: it ends once the refresh (at 1.8 s) logged in again.
            code = await asyncio.wait_for(provider.wait(), timeout=10)
            return registered and login.registered, code
        finally:
            if provider.returncode is None:
                provider.kill()
                await provider.wait()
            await door.stop()

    assert asyncio.run(scenario()) == (True, 0)
