"""Supervisors on an agent's call: listening silently, whispering to the agent, barging
in. The router's ``CallListened`` / ``CallWhispered`` / ``CallBarged`` ring the supervisor's
registered phone; once it answers it hears both sides of the bridged call and is heard by
nobody, the agent, or both. A call that ends hangs up its supervisors.

A base of :class:`~kefu.adapters.voice.agent_calls.AgentPhones`.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from kefu.adapters.voice.call_controls import CallControls
from kefu.adapters.voice.port import CallAnswered, CallEnded, JoinMode, VoiceError, VoiceEvent
from kefu.domain import events as ev
from kefu.domain.errors import KefuError

__all__ = ["MODES", "Supervisors"]

log = logging.getLogger(__name__)

MODES: dict[type[ev.Event], JoinMode] = {
    ev.CallListened: "listen",
    ev.CallWhispered: "whisper",
    ev.CallBarged: "barge",
}
"""The router's event asking a supervisor in → how the supervisor joins."""


@dataclass(slots=True)
class _Supervisor:
    """A supervisor's phone leg on a call: *legs* are the (customer, agent) legs."""

    supervisor: str
    legs: tuple[str, str]
    mode: JoinMode
    answered: bool = False


class Supervisors(CallControls):
    """Ring the supervisors' phones and join them to the bridged calls."""

    listeners: dict[str, _Supervisor]
    """A supervisor's phone leg → who, the (customer, agent) legs it joins, how."""

    def join(self, contact_id: str, supervisor: str, mode: JoinMode) -> None:
        """Ring the supervisor's registered phone; once answered it hears both sides of
        the contact's bridged call and, as *mode* says, is heard by nobody, the agent or
        both. A supervisor already on the call changes mode without a new ring."""
        found = self._bridged_call(contact_id)
        if found is None:
            log.warning("voice contact %s: no bridged call to join", contact_id)
            return
        customer_leg, agent_leg, leg = found
        for listener, joined in self.listeners.items():
            if joined.supervisor == supervisor and joined.legs == (customer_leg, agent_leg):
                joined.mode = mode
                if joined.answered:
                    self._connect_supervisor(listener, joined)
                return
        try:
            listener = self.port().dial(supervisor, caller=leg.caller)
        except VoiceError as exc:
            log.warning("voice contact %s: supervisor %s not rung: %s", contact_id, supervisor, exc)
            return
        self.listeners[listener] = _Supervisor(supervisor, (customer_leg, agent_leg), mode)

    def on_listener_event(self, event: VoiceEvent) -> bool:
        """Handle a supervisor's leg's event (answered: it joins); False when *event* is
        not about one. A call that ends hangs up its supervisors."""
        if isinstance(event, CallEnded):
            for listener, on_call in list(self.listeners.items()):
                if event.call_id in on_call.legs:
                    with contextlib.suppress(KefuError):
                        self.port().hang_up(listener)
        joined = self.listeners.get(event.call_id)
        if joined is None:
            return False
        if isinstance(event, CallAnswered):
            joined.answered = True
            self._connect_supervisor(event.call_id, joined)
        elif isinstance(event, CallEnded):
            self.listeners.pop(event.call_id, None)
        return True

    def _connect_supervisor(self, listener: str, joined: _Supervisor) -> None:
        try:
            self.port().listen(listener, *joined.legs, joined.mode)
        except KefuError:  # the call ended while the supervisor's phone rang
            self.port().hang_up(listener)
