"""The registrar of agent phones: REGISTER with HTTP digest authentication (RFC 3261 §10,
RFC 2617 MD5 as RFC 8760 still allows), one binding per agent.

Credentials come from ``KEFU_SIP_AGENTS`` (``a1=secret,a2=other``: the SIP user is the
agent id). A REGISTER without valid credentials gets ``401`` with a fresh nonce; a wrong
password ``403``; an unknown user ``404``. ``Expires: 0`` removes the binding.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

from aiosipua import SipRequest, SipResponse, SipTransport, parse_uri

from kefu.adapters.voice.port import VoiceSettingsError

__all__ = ["Binding", "Registrar", "parse_agents"]

_REALM = "kefu"
_NONCE_TTL_S = 300.0
_MAX_EXPIRES_S = 3600
_PARAM = re.compile(r'(\w+)\s*=\s*(?:"([^"]*)"|([^\s,]+))')
_USER = re.compile(r"^[\w.-]{1,64}$")


def parse_agents(spec: str) -> dict[str, str]:
    """``"a1=secret, a2=other"`` → agent id → password."""
    out: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        user, sep, password = item.partition("=")
        if not sep or not _USER.match(user.strip()) or not password:
            raise VoiceSettingsError(
                "KEFU_SIP_AGENTS items are agent=password",
                text_key="error.voice_agents_invalid",
                item=user.strip(),
            )
        out[user.strip()] = password
    return out


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class Binding:
    """Where agent ``user``'s phone takes calls, until ``expires_at`` (monotonic s)."""

    user: str
    uri: str
    addr: tuple[str, int]
    expires_at: float


class Registrar:
    """Bindings of registered agent phones; :meth:`handle` answers a REGISTER."""

    def __init__(self, credentials: Mapping[str, str]) -> None:
        self.credentials = dict(credentials)
        self.bindings: dict[str, Binding] = {}
        self._nonces: dict[str, float] = {}

    def binding(self, user: str) -> Binding | None:
        """The live binding of ``user``'s phone, if any."""
        found = self.bindings.get(user)
        if found is not None and found.expires_at < time.monotonic():
            del self.bindings[user]
            return None
        return found

    def handle(self, transport: SipTransport, request: SipRequest) -> None:
        """Challenge, check and record one REGISTER."""
        to = request.get_header("to") or ""
        user = parse_uri(to[to.find("<") + 1 : to.rfind(">")] if "<" in to else to).user or ""
        if user not in self.credentials:
            self._reply(transport, request, 404, "Not Found - Unknown Agent")
            return
        auth = request.get_header("authorization")
        if not auth:
            self._challenge(transport, request)
            return
        params = {m.group(1).lower(): m.group(2) or m.group(3) for m in _PARAM.finditer(auth)}
        nonce = params.get("nonce", "")
        issued = self._nonces.get(nonce)
        if issued is None or time.monotonic() - issued > _NONCE_TTL_S:
            self._challenge(transport, request)  # stale or foreign nonce: a fresh one
            return
        ha1 = _md5(f"{user}:{_REALM}:{self.credentials[user]}")
        ha2 = _md5(f"REGISTER:{params.get('uri', '')}")
        if "qop" in params:
            expected = _md5(
                f"{ha1}:{nonce}:{params.get('nc', '')}:{params.get('cnonce', '')}:"
                f"{params['qop']}:{ha2}"
            )
        else:
            expected = _md5(f"{ha1}:{nonce}:{ha2}")
        if params.get("username") != user or not secrets.compare_digest(
            expected, params.get("response", "")
        ):
            self._reply(transport, request, 403, "Forbidden - Bad Credentials")
            return
        contact = request.get_header("contact") or ""
        expires = _expires(request, contact)
        if expires == 0 or contact.strip() == "*":
            self.bindings.pop(user, None)
            self._reply(transport, request, 200, "OK")
            return
        uri = contact[contact.find("<") + 1 : contact.find(">")] if "<" in contact else contact
        uri = uri.split(";")[0].strip()
        target = parse_uri(uri)
        addr = (target.host, target.port or 5060)
        self.bindings[user] = Binding(user, uri, addr, time.monotonic() + expires)
        self._reply(transport, request, 200, "OK", {"Contact": f"<{uri}>;expires={expires}"})

    def _challenge(self, transport: SipTransport, request: SipRequest) -> None:
        nonce = secrets.token_hex(16)
        now = time.monotonic()
        self._nonces = {n: t for n, t in self._nonces.items() if now - t < _NONCE_TTL_S}
        self._nonces[nonce] = now
        header = f'Digest realm="{_REALM}", nonce="{nonce}", algorithm=MD5'
        self._reply(transport, request, 401, "Unauthorized", {"WWW-Authenticate": header})

    @staticmethod
    def _reply(
        transport: SipTransport,
        request: SipRequest,
        status: int,
        reason: str,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        response = SipResponse(status_code=status, reason_phrase=reason)
        for via in request.headers.get("via"):
            response.headers.append("Via", via)
        for name in ("From", "To", "Call-ID", "CSeq"):
            value = request.headers.get_first(name.lower())
            if value:
                if name == "To" and status >= 200 and ";tag=" not in value:
                    value += ";tag=" + secrets.token_hex(4)
                response.headers.set_single(name, value)
        for name, value in (extra or {}).items():
            response.headers.set_single(name, value)
        response.headers.set_single("User-Agent", "kefu")
        transport.send_reply(response)


def _expires(request: SipRequest, contact: str) -> int:
    found = re.search(r";\s*expires\s*=\s*(\d+)", contact)
    raw = found.group(1) if found else (request.get_header("expires") or "3600")
    try:
        return max(0, min(_MAX_EXPIRES_S, int(raw)))
    except ValueError:
        return _MAX_EXPIRES_S
