"""The trunk's settings: ``host:port`` with an optional login, refused when half given."""

from __future__ import annotations

import pytest

from kefu.adapters.voice.port import VoiceSettingsError
from kefu.adapters.voice.trunk import Trunk, parse_trunk


def test_given_trunk_settings_when_parsed_then_address_login_and_registration() -> None:
    assert parse_trunk("") is None
    assert parse_trunk("sip.example.cn") == Trunk("sip.example.cn", 5060)
    trunk = parse_trunk("10.0.0.5:5070", "kefu", "pw", 600)
    assert trunk == Trunk("10.0.0.5", 5070, "kefu", "pw", 600)
    assert trunk.auth is not None and trunk.auth.username == "kefu"
    assert "pw" not in repr(trunk)
    assert parse_trunk("10.0.0.5:5070", register_s=600) == Trunk("10.0.0.5", 5070)


@pytest.mark.parametrize(
    ("spec", "user", "password", "key"),
    [
        ("host:port", "", "", "error.voice_trunk_invalid"),
        ("host:5060", "kefu", "", "error.voice_trunk_login"),
        ("host:5060", "", "pw", "error.voice_trunk_login"),
    ],
)
def test_given_bad_trunk_settings_when_parsed_then_refused_with_a_reason(
    spec: str, user: str, password: str, key: str
) -> None:
    with pytest.raises(VoiceSettingsError) as refused:
        parse_trunk(spec, user, password, 600)
    assert refused.value.text_key == key
