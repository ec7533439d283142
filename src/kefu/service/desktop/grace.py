"""Agents whose desktops all disappeared are logged out after a grace period.

An agent who closes the browser (or loses the network) while not ready would otherwise
stay not ready, and count as staff, forever. When an agent's last desktop socket goes
away, :class:`SessionGrace` waits ``grace_s`` seconds; if no desktop of the agent came
back by then, it sets the agent offline with the reason :data:`SESSION_LOST` through
:class:`~kefu.service.routing.commands.SetAgentState`, so the change is an event like any other
(the wallboard shows it as the agent's state and reason). An agent holding contacts goes
offline when the last one ends (the router's pending presence).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from kefu.domain.errors import KefuError
from kefu.domain.model import AgentPresence
from kefu.service.engine import RoutingEngine
from kefu.service.errors import NotLeader, ServiceUnavailable
from kefu.service.routing import commands as c

__all__ = ["DEFAULT_GRACE_S", "SESSION_LOST", "SessionGrace"]

log = logging.getLogger(__name__)

SESSION_LOST = "session_lost"
"""The reason code of an agent set offline because its desktop disappeared."""
_ATTEMPTS, _RETRY_S = 5, 1.0  # a store failing a moment still logs the agent out
DEFAULT_GRACE_S = 120.0
"""Seconds an agent without a desktop stays in its state (a reload or a short network
cut must not log anyone out)."""


class SessionGrace:
    """Timers of agents without a desktop. ``present(agent_id)`` tells whether a desktop
    of the agent is open now; ``grace_s`` is in seconds."""

    def __init__(
        self,
        engine: RoutingEngine,
        present: Callable[[str], bool],
        grace_s: float = DEFAULT_GRACE_S,
    ) -> None:
        if not grace_s >= 0:
            raise ValueError(f"grace_s must be zero or more seconds, not {grace_s}")
        self.engine = engine
        self.present = present
        self.grace_s = float(grace_s)
        self._timers: dict[str, asyncio.Task[None]] = {}
        self._stopped = False

    def back(self, agent_id: str) -> None:
        """A desktop of the agent opened: it keeps its state."""
        timer = self._timers.pop(agent_id, None)
        if timer is not None:
            timer.cancel()

    def gone(self, agent_id: str) -> None:
        """The agent's last desktop closed: log it out unless one is back in time."""
        self.back(agent_id)
        if self._stopped:  # sockets closed by the platform's own stop log nobody out
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a synchronous caller): nothing to schedule
            return
        self._timers[agent_id] = loop.create_task(
            self._expire(agent_id), name=f"kefu-session-grace-{agent_id}"
        )

    async def stop(self) -> None:
        """Cancel every timer (the platform stops; nobody is logged out by it)."""
        self._stopped = True
        timers, self._timers = list(self._timers.values()), {}
        for timer in timers:
            timer.cancel()
        for timer in timers:
            with contextlib.suppress(asyncio.CancelledError):
                await timer

    async def _expire(self, agent_id: str) -> None:
        await asyncio.sleep(self.grace_s)
        if self._timers.get(agent_id) is asyncio.current_task():
            del self._timers[agent_id]
        if self.present(agent_id):
            return

        def still_logged_in(engine: RoutingEngine) -> bool:
            agent = engine.router.agents.get(agent_id)
            if agent is None or agent.presence is AgentPresence.OFFLINE:
                return False
            return agent.pending is None or agent.pending[0] is not AgentPresence.OFFLINE

        for attempt in range(1, _ATTEMPTS + 1):
            try:
                if await self.engine.query(still_logged_in, stored=False):
                    await self.engine.execute(c.SetAgentState(agent_id, "offline", SESSION_LOST))
                return
            except ServiceUnavailable as exc:  # the store failed a moment: try again
                if isinstance(exc, NotLeader) or attempt == _ATTEMPTS:
                    error: KefuError = exc
                    break
                await asyncio.sleep(_RETRY_S)
            except KefuError as exc:  # the agent was removed meanwhile, say
                error = exc
                break
        log.warning("could not log out agent %s after its desktop disappeared: %s", agent_id, error)
