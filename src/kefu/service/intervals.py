"""Agent state intervals derived from router events, for activity, adherence and occupancy.

After each batch of events the tracker compares every agent the batch touched with its open
interval; a changed (presence, activity, reason) closes that interval at the agent's last
event and opens the next. States that start and end within one batch last zero seconds and
are not recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kefu.domain import events as ev
from kefu.domain.routing import Router
from kefu.service.ports import StateInterval

__all__ = ["IntervalChange", "IntervalTracker"]


@dataclass(frozen=True, slots=True)
class IntervalChange:
    """Close ``agent_id``'s open interval at ``opened.start_at`` and open ``opened``
    (stored with ``IntervalRepository.switch``)."""

    agent_id: str
    opened: StateInterval


class IntervalTracker:
    """Keeps each agent's open interval in memory, mirroring the stored ones."""

    def __init__(self, open_intervals: Iterable[StateInterval] = ()) -> None:
        self.open: dict[str, StateInterval] = {i.agent_id: i for i in open_intervals}

    def changes(self, router: Router, events: Sequence[ev.Event]) -> list[IntervalChange]:
        last_at: dict[str, float] = {}
        for event in events:
            if isinstance(event, ev.AgentDefined):
                last_at[event.spec.agent_id] = event.at
                continue
            for name in ("agent_id", "from_agent_id"):
                agent_id = getattr(event, name, None)
                if agent_id:
                    last_at[agent_id] = event.at
        return self._compare(router, last_at)

    def reconcile(self, router: Router) -> list[IntervalChange]:
        """Changes that bring every agent's open interval in line with the router."""
        return self._compare(router, dict.fromkeys(router.agents, router.time))

    def _compare(self, router: Router, last_at: dict[str, float]) -> list[IntervalChange]:
        out = []
        for agent_id, at in last_at.items():
            record = router.agents.get(agent_id)
            if record is None:
                continue
            presence, activity, reason = record.presence.value, record.activity, record.reason
            current = self.open.get(agent_id)
            if current is not None and (current.presence, current.activity, current.reason) == (
                presence,
                activity,
                reason,
            ):
                continue
            opened = StateInterval(
                agent_id, record.spec.site_id, presence, activity, reason, at, None
            )
            out.append(IntervalChange(agent_id, opened))
        return out

    def applied(self, changes: Iterable[IntervalChange]) -> None:
        """Record that ``changes`` were committed."""
        for change in changes:
            self.open[change.agent_id] = change.opened
