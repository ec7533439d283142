"""Read side: JSON-ready views of sites, queues, agents and contacts, with site filters and
pagination. Functions take the engine and run under its lock (:meth:`RoutingEngine.query`).

Site visibility: a site sees its own queues and every shared queue; a contact belongs to
the site of the queue it is in; an agent to its own site. A caller's
:class:`~kefu.service.security.access.Visibility` narrows every list further (its sites;
for an agent, its own record and contacts); a ``site_id`` filter outside it is an unknown
site.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from kefu.domain.errors import UnknownQueue
from kefu.domain.model import ContactState
from kefu.domain.tiers import customer_tier
from kefu.service.engine_state import EngineState
from kefu.service.errors import UnknownSite
from kefu.service.security.access import Visibility

__all__ = [
    "Page",
    "agent_view",
    "contact_view",
    "get_agent",
    "get_contact",
    "get_queue",
    "get_site",
    "list_agents",
    "list_contacts",
    "list_queues",
    "list_sites",
    "queue_site",
    "queue_view",
    "site_view",
    "waiting_contacts",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list: ``items`` from ``offset``; ``total`` matching items in all."""

    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int

    @property
    def next_offset(self) -> int | None:
        following = self.offset + len(self.items)
        return following if following < self.total else None


def _page(items: Iterable[T], view: Callable[[T], dict[str, Any]], limit: int, offset: int) -> Page:
    if limit < 1 or offset < 0:
        raise ValueError("limit must be ≥ 1 and offset ≥ 0")
    matching = list(items)
    return Page([view(x) for x in matching[offset : offset + limit]], len(matching), limit, offset)


ALL = Visibility(None)


def _check_site(engine: EngineState, site_id: str | None, visible: Visibility = ALL) -> None:
    if site_id is not None and (site_id not in engine.sites or not visible.site(site_id)):
        raise UnknownSite(f"unknown site {site_id!r}", site_id=site_id)


# -- sites ------------------------------------------------------------------------------
def site_view(engine: EngineState, site_id: str) -> dict[str, Any]:
    site = engine.sites[site_id]
    return {
        "site_id": site.site_id,
        "name": site.name,
        "timezone": site.timezone,
        "created_at": site.created_at,
    }


def get_site(engine: EngineState, site_id: str) -> dict[str, Any]:
    _check_site(engine, site_id)
    return site_view(engine, site_id)


def list_sites(
    engine: EngineState, limit: int = 50, offset: int = 0, visible: Visibility = ALL
) -> Page:
    ids = (s for s in sorted(engine.sites) if visible.site(s))
    return _page(ids, lambda s: site_view(engine, s), limit, offset)


# -- queues -----------------------------------------------------------------------------
def queue_view(engine: EngineState, queue_id: str) -> dict[str, Any]:
    record = engine.router.queues[queue_id]
    row = engine.queue_rows.get(queue_id)
    out = record.spec.to_dict()
    out["priority"] = record.spec.priority
    out["site_id"] = row.site_id if row else record.spec.site_id
    out["shared"] = row.shared if row else False
    out["status"] = engine.router.queue_status(queue_id)
    return out


def queue_site(engine: EngineState, queue_id: str) -> tuple[str | None, bool]:
    """The queue's owning site and whether it is shared."""
    row = engine.queue_rows.get(queue_id)
    if row is None:
        return engine.router.queues[queue_id].spec.site_id, False
    return row.site_id, row.shared


def _queue_visible(
    engine: EngineState, queue_id: str, site_id: str | None, visible: Visibility = ALL
) -> bool:
    owner, shared = queue_site(engine, queue_id)
    if not visible.queue(owner, shared):
        return False
    return site_id is None or owner == site_id or shared


def get_queue(engine: EngineState, queue_id: str) -> dict[str, Any]:
    if queue_id not in engine.router.queues:
        raise UnknownQueue(f"unknown queue {queue_id!r}", queue_id=queue_id)
    return queue_view(engine, queue_id)


def list_queues(
    engine: EngineState,
    site_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
    visible: Visibility = ALL,
) -> Page:
    _check_site(engine, site_id, visible)
    ids = (q for q in engine.router.queues if _queue_visible(engine, q, site_id, visible))
    return _page(ids, lambda q: queue_view(engine, q), limit, offset)


# -- agents -----------------------------------------------------------------------------
def agent_view(engine: EngineState, agent_id: str) -> dict[str, Any]:
    out = engine.router.agent(agent_id)
    spec = engine.router.agents[agent_id].spec.to_dict()
    for key in ("name", "site_id", "skills", "capacity", "exclusive"):
        out[key] = spec[key]
    # The activity (busy, wrap-up ...) changes without a presence change: time in state
    # counts from the start of the agent's open state interval.
    interval = engine.intervals.open.get(agent_id)
    since = out["state_since"] if interval is None else interval.start_at
    out["activity_since"] = since
    out["time_in_state_s"] = max(0.0, engine.now() - since)
    return out


def get_agent(engine: EngineState, agent_id: str) -> dict[str, Any]:
    engine.router.agent(agent_id)  # raises UnknownAgent
    return agent_view(engine, agent_id)


def list_agents(
    engine: EngineState,
    site_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
    visible: Visibility = ALL,
) -> Page:
    _check_site(engine, site_id, visible)
    ids = (
        a
        for a, record in engine.router.agents.items()
        if (site_id is None or record.spec.site_id == site_id)
        and visible.site(record.spec.site_id)
        and (visible.agent_id is None or a == visible.agent_id)
    )
    return _page(ids, lambda a: agent_view(engine, a), limit, offset)


# -- contacts ---------------------------------------------------------------------------
def contact_view(engine: EngineState, contact_id: str) -> dict[str, Any]:
    out = engine.router.contact(contact_id)
    # The router's value_tier is the rank the tier's effect gave (kefu.domain.tiers); the
    # view shows the customer's tier, and the rank apart.
    rank = out["rank"] = out["value_tier"]
    out["value_tier"] = customer_tier(rank, out["attributes"])
    row = engine.queue_rows.get(out["queue_id"])
    out["site_id"] = row.site_id if row else engine.router.queues[out["queue_id"]].spec.site_id
    return out


def get_contact(engine: EngineState, contact_id: str) -> dict[str, Any]:
    engine.router.contact(contact_id)  # raises UnknownContact
    return contact_view(engine, contact_id)


def list_contacts(
    engine: EngineState,
    site_id: str | None = None,
    queue_id: str | None = None,
    state: ContactState | None = None,
    limit: int = 50,
    offset: int = 0,
    visible: Visibility = ALL,
) -> Page:
    """Contacts in creation order, filtered by site, current queue and state."""
    _check_site(engine, site_id, visible)
    if queue_id is not None and (
        queue_id not in engine.router.queues or not visible.queue(*queue_site(engine, queue_id))
    ):
        raise UnknownQueue(f"unknown queue {queue_id!r}", queue_id=queue_id)
    ids = (
        c.contact_id
        for c in engine.router.contacts.values()
        if (queue_id is None or c.queue_id == queue_id)
        and (state is None or c.state is state)
        and (visible.agent_id is None or c.agent_id == visible.agent_id)
        and (
            _queue_visible(engine, c.queue_id, site_id, visible)
            or (site_id is None and _held_in(engine, c.agent_id, visible))
        )
    )
    return _page(ids, lambda c: contact_view(engine, c), limit, offset)


def _held_in(engine: EngineState, agent_id: str | None, visible: Visibility) -> bool:
    """Held by an agent of a visible site (a contact sent to another site's agent)."""
    if agent_id is None or visible.sites is None:
        return False
    record = engine.router.agents.get(agent_id)
    return record is not None and visible.site(record.spec.site_id)


def waiting_contacts(
    engine: EngineState,
    queue_id: str,
    limit: int = 50,
    offset: int = 0,
    visible: Visibility = ALL,
) -> Page:
    """The contacts waiting in ``queue_id`` in the order the router will serve them
    (none for an agent: waiting contacts are nobody's yet)."""
    if queue_id not in engine.router.queues or not visible.queue(*queue_site(engine, queue_id)):
        raise UnknownQueue(f"unknown queue {queue_id!r}", queue_id=queue_id)
    if visible.agent_id is not None:
        return _page((), lambda c: contact_view(engine, c), limit, offset)
    waiting = sorted(
        (
            c
            for c in engine.router.contacts.values()
            if c.queue_id == queue_id and c.state is ContactState.QUEUED
        ),
        key=lambda c: c.key,
    )
    return _page((c.contact_id for c in waiting), lambda c: contact_view(engine, c), limit, offset)
