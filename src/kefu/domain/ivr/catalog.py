"""Flow versions: drafts, the published version, rollback.

Every saved flow gets the next version number of its flow id. A draft can be replaced until
it is published; a published version never changes. New contacts start on the published
version; a contact keeps the version it started on (look it up with :meth:`FlowCatalog.get`)
even after a newer one is published or the flow is rolled back to an earlier version.
A published flow falls due for re-derivation (seed 001: its menus re-derived from the
center's own data) :data:`REDERIVATION_DAYS` after it was first published.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kefu.domain.ivr.errors import FlowNotPublished, UnknownFlowVersion
from kefu.domain.ivr.flow import Flow

__all__ = ["REDERIVATION_DAYS", "FlowCatalog", "FlowHistory", "rederivation_overdue_days"]

#: Seed 001: re-derive the menus from the center's own data every 3-4 months.
REDERIVATION_DAYS = 90
_DAY_S = 86_400.0


def rederivation_overdue_days(
    published_at: float, now: float, period_days: int = REDERIVATION_DAYS
) -> int | None:
    """Whole days a flow published at ``published_at`` (s) is past its re-derivation date
    at ``now`` (s): 0 on the day it falls due; ``None`` while it is not due."""
    late = now - (published_at + period_days * _DAY_S)
    return int(late // _DAY_S) if late >= 0 else None


@dataclass(slots=True)
class FlowHistory:
    """The versions of one flow id: ``versions`` by number, the ``draft`` and ``published``
    numbers, and ``publications``: ``(version, at)`` in order (``at`` in seconds)."""

    versions: dict[int, Flow] = field(default_factory=dict)
    draft: int | None = None
    published: int | None = None
    publications: list[tuple[int, float]] = field(default_factory=list)

    @property
    def published_at(self) -> float | None:
        """When the published version was first published (s); ``None``: none is. A
        rollback serves an earlier version again but does not make its menus newer."""
        if self.published is None:
            return None
        return next((at for v, at in self.publications if v == self.published), None)


class FlowCatalog:
    """All flows and their versions."""

    def __init__(self) -> None:
        self._flows: dict[str, FlowHistory] = {}

    def save_draft(self, flow: Flow) -> Flow:
        """Store ``flow`` as the draft of its flow id (replacing an unpublished draft);
        returns it numbered with its version."""
        h = self._flows.setdefault(flow.flow_id, FlowHistory())
        number = h.draft if h.draft is not None else max(h.versions, default=0) + 1
        numbered = flow.with_version(number)
        h.versions[number] = numbered
        h.draft = number
        return numbered

    def publish(self, flow_id: str, at: float, version: int | None = None) -> Flow:
        """Publish the draft (or ``version``, e.g. to roll back) at instant ``at`` (s)."""
        h = self._history(flow_id)
        number = h.draft if version is None else version
        if number is None or number not in h.versions:
            raise UnknownFlowVersion(
                f"flow {flow_id!r} has no version {number if number is not None else 'draft'}",
                flow_id=flow_id,
                version=number,
            )
        if number == h.draft:
            h.draft = None
        h.published = number
        h.publications.append((number, at))
        return h.versions[number]

    def rollback(self, flow_id: str, at: float) -> Flow:
        """Publish again the version published before the current one."""
        h = self._history(flow_id)
        earlier = [v for v, _ in h.publications if v != h.published]
        if not earlier:
            raise UnknownFlowVersion(f"flow {flow_id!r} has no earlier version", flow_id=flow_id)
        return self.publish(flow_id, at, earlier[-1])

    def published(self, flow_id: str) -> Flow:
        """The version new contacts start on."""
        h = self._history(flow_id)
        if h.published is None:
            raise FlowNotPublished(f"flow {flow_id!r} has no published version", flow_id=flow_id)
        return h.versions[h.published]

    def get(self, flow_id: str, version: int) -> Flow:
        """Version ``version`` (the one a contact started on)."""
        flow = self._history(flow_id).versions.get(version)
        if flow is None:
            raise UnknownFlowVersion(
                f"flow {flow_id!r} has no version {version}", flow_id=flow_id, version=version
            )
        return flow

    def history(self, flow_id: str) -> FlowHistory:
        return self._history(flow_id)

    def flow_ids(self) -> list[str]:
        """Every flow id, sorted."""
        return sorted(self._flows)

    def drop(self, flow_id: str) -> None:
        """Forget ``flow_id`` and its versions (before rebuilding them from a log)."""
        self._flows.pop(flow_id, None)

    def all_published(self) -> list[Flow]:
        """The published version of every flow that has one (by flow id)."""
        return [
            h.versions[h.published]
            for _, h in sorted(self._flows.items())
            if h.published is not None
        ]

    def _history(self, flow_id: str) -> FlowHistory:
        h = self._flows.get(flow_id)
        if h is None:
            raise UnknownFlowVersion(f"unknown flow {flow_id!r}", flow_id=flow_id)
        return h
