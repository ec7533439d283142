"""The desktop's softphone: an agent's browser hears of the call ringing for it (pushed on
the desktop's socket as soon as kefu's offer is ready, or fetched), answers it with its
SDP, or hangs up. Signalling only; the telephone front door attaches the backend carrying
the media when it starts. With none attached (kefu runs without SIP) there is never a call
to answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from kefu.domain.errors import Conflict, NotFound, ValidationError
from kefu.service.routing.commands import ChooseEndpoint

if TYPE_CHECKING:
    from kefu.service.engine import RoutingEngine
    from kefu.service.security.access import Principal

__all__ = [
    "AgentEndpoint",
    "CallState",
    "Changed",
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


CallState = Literal["ringing", "talking"]


@dataclass(frozen=True, slots=True)
class RingingCall:
    """A call in an agent's browser: its leg, the caller's number, kefu's offer, and
    whether it still rings or was answered."""

    leg_id: str
    caller: str
    sdp: str
    state: CallState = "ringing"

    def to_json(self) -> dict[str, Any]:
        return {"leg_id": self.leg_id, "caller": self.caller, "sdp": self.sdp, "state": self.state}


Changed = Callable[[str | None], None]
"""Told that an agent's softphone changed (its call rang, was answered or ended; its
endpoint); None: every agent's (the backend attached or detached)."""


class SoftphoneBackend(Protocol):
    def connect(self, changed: Changed, chosen: Callable[[str], AgentEndpoint | None]) -> None:
        """Report changes to *changed*; *chosen* gives an agent's logged endpoint."""

    def endpoint(self, agent: str) -> AgentEndpoint: ...
    def choose(self, agent: str, endpoint: AgentEndpoint) -> None: ...
    def call(self, agent: str) -> RingingCall | None: ...
    async def answer(self, agent: str, leg_id: str, sdp: str) -> None: ...
    async def hang_up_by(self, agent: str, leg_id: str) -> None: ...


class SoftphoneDesk:
    """The agents' softphones, as the attached backend carries them. Where each agent
    answers is the router's (``ChooseEndpoint``, logged as ``SoftphoneEndpointChosen``):
    it survives a restart; an agent who never chose answers where the backend's default
    puts it (``KEFU_SIP_BROWSER_AGENTS``, else its SIP phone)."""

    def __init__(self, engine: RoutingEngine) -> None:
        self.engine = engine
        self._backend: SoftphoneBackend | None = None
        self._watchers: list[Changed] = []

    def attach(self, backend: SoftphoneBackend) -> Callable[[], None]:
        """Carry calls through *backend*; returns the function that detaches it."""
        self._backend = backend
        backend.connect(self._changed, self.chosen)
        self._changed(None)

        def detach() -> None:
            if self._backend is backend:
                self._backend = None
                self._changed(None)

        return detach

    def subscribe(self, watcher: Changed) -> Callable[[], None]:
        """Call *watcher* with the agent whose softphone changed (None: everyone's);
        returns the function that unsubscribes."""
        self._watchers.append(watcher)

        def unsubscribe() -> None:
            if watcher in self._watchers:
                self._watchers.remove(watcher)

        return unsubscribe

    def _changed(self, agent: str | None) -> None:
        for watcher in list(self._watchers):
            watcher(agent)

    def _require(self) -> SoftphoneBackend:
        if self._backend is None:
            raise SoftphoneOffline(
                "kefu answers no calls here (no telephone front door)",
                text_key="error.softphone_offline",
            )
        return self._backend

    def chosen(self, agent: str) -> AgentEndpoint | None:
        """The endpoint *agent* chose (the router's, from the log), or None."""
        record = self.engine.router.agents.get(agent)
        endpoint = None if record is None else record.endpoint
        return "browser" if endpoint == "browser" else "sip" if endpoint == "sip" else None

    def endpoint(self, agent: str) -> AgentEndpoint | None:
        """Where *agent* answers calls; None when kefu takes no calls here."""
        return None if self._backend is None else self._backend.endpoint(agent)

    async def choose(
        self, agent: str, endpoint: AgentEndpoint, actor: Principal | None = None
    ) -> None:
        """*agent* answers its next calls at *endpoint* (the command ``ChooseEndpoint``:
        logged, so kept across restarts)."""
        backend = self._require()
        await self.engine.execute(ChooseEndpoint(agent, endpoint), actor=actor)
        backend.choose(agent, endpoint)
        self._changed(agent)

    def call(self, agent: str) -> RingingCall | None:
        """The call in *agent*'s browser once kefu's offer is ready (ringing or answered),
        or None; never waits."""
        return None if self._backend is None else self._backend.call(agent)

    async def answer(self, agent: str, leg_id: str, sdp: str) -> None:
        """*agent*'s browser answers its call *leg_id* with the SDP *sdp*."""
        await self._require().answer(agent, leg_id, sdp)

    async def hang_up(self, agent: str, leg_id: str) -> None:
        """*agent* hangs up (or declines) its call *leg_id*."""
        await self._require().hang_up_by(agent, leg_id)
