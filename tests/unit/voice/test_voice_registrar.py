"""The agent phones' registrar: digest challenge, the right and wrong passwords, unknown
agents, removal, and the ``KEFU_SIP_AGENTS`` setting."""

from __future__ import annotations

import hashlib
import re
from typing import Any, cast

import pytest
from aiosipua import SipMessage, SipRequest, SipResponse, SipTransport

from kefu.adapters.voice.port import VoiceSettingsError
from kefu.adapters.voice.registrar import Registrar, parse_agents


class Replies:
    """Stands in for the transport: keeps the responses sent."""

    def __init__(self) -> None:
        self.sent: list[SipResponse] = []

    def send_reply(self, response: SipResponse) -> None:
        self.sent.append(response)


def _register(user: str, authorization: str = "", expires: int = 300) -> SipRequest:
    lines = [
        "REGISTER sip:127.0.0.1:5060 SIP/2.0",
        "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1",
        f"From: <sip:{user}@127.0.0.1>;tag=1",
        f"To: <sip:{user}@127.0.0.1>",
        "Call-ID: reg-1@127.0.0.1",
        "CSeq: 1 REGISTER",
        f"Contact: <sip:{user}@127.0.0.1:5070>",
        f"Expires: {expires}",
    ]
    if authorization:
        lines.append(f"Authorization: {authorization}")
    message = SipMessage.parse("\r\n".join([*lines, "Content-Length: 0", "", ""]))
    assert isinstance(message, SipRequest)
    return message


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _answer(challenge: SipResponse, user: str, password: str) -> str:
    header = challenge.headers.get_first("www-authenticate") or ""
    nonce = re.search(r'nonce="([^"]+)"', header)
    assert nonce is not None and 'realm="kefu"' in header
    uri = "sip:127.0.0.1:5060"
    ha1, ha2 = _md5(f"{user}:kefu:{password}"), _md5(f"REGISTER:{uri}")
    response = _md5(f"{ha1}:{nonce.group(1)}:{ha2}")
    return (
        f'Digest username="{user}", realm="kefu", nonce="{nonce.group(1)}", '
        f'uri="{uri}", response="{response}", algorithm=MD5'
    )


def _handle(registrar: Registrar, replies: Replies, request: SipRequest) -> SipResponse:
    registrar.handle(cast(SipTransport, replies), request)
    return replies.sent[-1]


def test_given_an_agent_when_it_registers_with_the_digest_then_its_phone_is_bound() -> None:
    registrar, replies = Registrar({"a1": "秘密 pw"}), Replies()
    challenge = _handle(registrar, replies, _register("a1"))
    assert challenge.status_code == 401
    ok = _handle(registrar, replies, _register("a1", _answer(challenge, "a1", "秘密 pw")))
    assert ok.status_code == 200
    binding = registrar.binding("a1")
    assert binding is not None and binding.addr == ("127.0.0.1", 5070)
    gone = _register("a1", _answer(challenge, "a1", "秘密 pw"), expires=0)
    assert _handle(registrar, replies, gone).status_code == 200
    assert registrar.binding("a1") is None


@pytest.mark.parametrize(
    ("user", "password", "status"), [("a1", "wrong", 403), ("nobody", "x", 404)]
)
def test_given_bad_credentials_when_registering_then_refused_and_nothing_bound(
    user: str, password: str, status: int
) -> None:
    registrar, replies = Registrar({"a1": "right"}), Replies()
    first = _handle(registrar, replies, _register(user))
    if first.status_code == 401:
        first = _handle(registrar, replies, _register(user, _answer(first, user, password)))
    assert first.status_code == status
    assert registrar.bindings == {}


def test_given_a_made_up_nonce_when_registering_then_challenged_again() -> None:
    registrar, replies = Registrar({"a1": "right"}), Replies()
    forged: Any = 'Digest username="a1", realm="kefu", nonce="abc", uri="x", response="0"'
    assert _handle(registrar, replies, _register("a1", forged)).status_code == 401
    assert registrar.bindings == {}


def test_given_the_agents_setting_when_parsed_then_pairs_or_a_clear_error() -> None:
    assert parse_agents("a1=one, a2=two=2") == {"a1": "one", "a2": "two=2"}
    with pytest.raises(VoiceSettingsError):
        parse_agents("a1")


def test_given_the_trunk_setting_when_parsed_then_host_and_port_or_a_clear_error() -> None:
    from kefu.adapters.voice.trunk import parse_trunk

    assert parse_trunk("") is None
    assert parse_trunk("sbc.example.com:5080").addr == ("sbc.example.com", 5080)  # type: ignore[union-attr]
    assert parse_trunk("sbc.example.com").addr == ("sbc.example.com", 5060)  # type: ignore[union-attr]
    with pytest.raises(VoiceSettingsError):
        parse_trunk("sbc:port")
