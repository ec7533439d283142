"""The trunk kefu calls customers through (callbacks): its address, the provider's login
and kefu's registration there.

``KEFU_SIP_TRUNK`` is ``host:port``. With ``KEFU_SIP_TRUNK_USER`` and
``KEFU_SIP_TRUNK_PASSWORD`` an INVITE the provider challenges (401 or 407) is sent again
with a digest answer (MD5, RFC 2617), and kefu registers ``sip:<user>@<host>`` at the
trunk for ``KEFU_SIP_TRUNK_REGISTER_S`` seconds (0: no registration), refreshed at 90 % of
the interval the provider grants.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from aiosipua import SipUAC
from aiosipua.auth import SipDigestAuth
from aiosipua.registration import Registration, RegistrationState

from kefu.adapters.voice.port import VoiceSettingsError

__all__ = ["Trunk", "TrunkLogin", "parse_trunk"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Trunk:
    """A trunk at ``host:port``; ``user`` and ``password`` answer its challenges;
    ``register_s``: the registration interval asked for, s (0: none)."""

    host: str
    port: int
    user: str = ""
    password: str = field(default="", repr=False)
    register_s: int = 0

    @property
    def addr(self) -> tuple[str, int]:
        return self.host, self.port

    @property
    def auth(self) -> SipDigestAuth | None:
        """The digest credentials, when a login is configured."""
        return SipDigestAuth(self.user, self.password) if self.user else None


def parse_trunk(spec: str, user: str = "", password: str = "", register_s: int = 0) -> Trunk | None:
    """``host:port`` (port 5060 when left out) of ``KEFU_SIP_TRUNK`` with its login;
    None when empty."""
    if not spec.strip():
        return None
    text = spec.strip()
    host, _, port = text.rpartition(":") if ":" in text else (text, "", "5060")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise VoiceSettingsError(
            "KEFU_SIP_TRUNK is host:port", text_key="error.voice_trunk_invalid", trunk=spec[:64]
        )
    if bool(user) != bool(password):
        raise VoiceSettingsError(
            "KEFU_SIP_TRUNK_USER and KEFU_SIP_TRUNK_PASSWORD go together",
            text_key="error.voice_trunk_login",
        )
    return Trunk(host, int(port), user, password, register_s if user else 0)


class TrunkLogin:
    """kefu's registration at the trunk (when it has a login and an interval): sent at
    start, refreshed before it expires, removed at stop."""

    def __init__(self, trunk: Trunk) -> None:
        self.trunk = trunk
        self.registration: Registration | None = None

    @property
    def registered(self) -> bool:
        return (
            self.registration is not None
            and self.registration.state is RegistrationState.REGISTERED
        )

    def start(self, uac: SipUAC) -> None:
        trunk = self.trunk
        if not trunk.register_s or trunk.auth is None:
            return
        registration = Registration(
            uac,
            f"sip:{trunk.user}@{trunk.host}",
            trunk.addr,
            expires=trunk.register_s,
            auth=trunk.auth,
            user_agent="kefu",
        )
        registration.on_failed = lambda _r, code, reason: log.warning(
            "trunk %s refused kefu's registration: %d %s", trunk.host, code, reason
        )
        registration.on_expired = lambda _r: log.warning(
            "kefu's registration at trunk %s expired", trunk.host
        )
        self.registration = registration
        registration.register()

    def stop(self) -> None:
        registration, self.registration = self.registration, None
        if registration is None:
            return
        if registration.state is RegistrationState.REGISTERED:
            registration.unregister()
        registration._cancel_timers()  # the library's own; its transport closes next
