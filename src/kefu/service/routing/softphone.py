"""The desktop's softphone: an agent's browser fetches the call ringing for it, answers it
with its SDP, or hangs up. Signalling only; the telephone front door attaches the backend
carrying the media when it starts. With none attached (kefu runs without SIP) there is
never a call to answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from kefu.domain.errors import Conflict, NotFound, ValidationError

__all__ = [
    "AgentEndpoint",
    "NoSoftphoneCall",
    "RingingCall",
    "SoftphoneAnswered",
    "SoftphoneBackend",
    "SoftphoneBadAnswer",
    "SoftphoneDesk",
    "SoftphoneOffline",
]


AgentEndpoint = Literal["sip", "browser"]
"""Where an agent answers calls: its registered SIP phone, or the desktop's softphone."""


class SoftphoneOffline(Conflict):
    """kefu carries no calls (no telephone front door)."""

    error_id = "softphone_offline"


class NoSoftphoneCall(NotFound):
    """No such call rings (or was answered) in this agent's browser."""

    error_id = "softphone_no_call"


class SoftphoneAnswered(Conflict):
    """The call was answered already."""

    error_id = "softphone_answered"


class SoftphoneBadAnswer(ValidationError):
    """The browser's SDP answer is not one kefu can use."""

    error_id = "softphone_bad_sdp"


@dataclass(frozen=True, slots=True)
class RingingCall:
    """A call ringing in an agent's browser: its leg, the caller's number, kefu's offer."""

    leg_id: str
    caller: str
    sdp: str

    def to_json(self) -> dict[str, Any]:
        return {"leg_id": self.leg_id, "caller": self.caller, "sdp": self.sdp}


class SoftphoneBackend(Protocol):
    def endpoint(self, agent: str) -> AgentEndpoint: ...
    def choose(self, agent: str, endpoint: AgentEndpoint) -> None: ...
    async def ringing(self, agent: str) -> RingingCall | None: ...
    async def answer(self, agent: str, leg_id: str, sdp: str) -> None: ...
    async def hang_up_by(self, agent: str, leg_id: str) -> None: ...


class SoftphoneDesk:
    """The agents' softphones, as the attached backend carries them."""

    def __init__(self) -> None:
        self._backend: SoftphoneBackend | None = None

    def attach(self, backend: SoftphoneBackend) -> Callable[[], None]:
        """Carry calls through *backend*; returns the function that detaches it."""
        self._backend = backend

        def detach() -> None:
            if self._backend is backend:
                self._backend = None

        return detach

    def _require(self) -> SoftphoneBackend:
        if self._backend is None:
            raise SoftphoneOffline(
                "kefu answers no calls here (no telephone front door)",
                text_key="error.softphone_offline",
            )
        return self._backend

    def endpoint(self, agent: str) -> AgentEndpoint | None:
        """Where *agent* answers calls; None when kefu takes no calls here."""
        return None if self._backend is None else self._backend.endpoint(agent)

    def choose(self, agent: str, endpoint: AgentEndpoint) -> None:
        """*agent* answers its next calls at *endpoint* (kept like a phone's registration:
        until kefu restarts, when ``KEFU_SIP_BROWSER_AGENTS`` applies again)."""
        self._require().choose(agent, endpoint)

    async def ringing(self, agent: str) -> RingingCall | None:
        """The call ringing in *agent*'s browser, or None."""
        return None if self._backend is None else await self._backend.ringing(agent)

    async def answer(self, agent: str, leg_id: str, sdp: str) -> None:
        """*agent*'s browser answers its call *leg_id* with the SDP *sdp*."""
        await self._require().answer(agent, leg_id, sdp)

    async def hang_up(self, agent: str, leg_id: str) -> None:
        """*agent* hangs up (or declines) its call *leg_id*."""
        await self._require().hang_up_by(agent, leg_id)
