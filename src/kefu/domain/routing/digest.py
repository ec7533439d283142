"""A comparable picture of a router's state: what routing decides from, in plain data.

Two routers with equal digests decide alike: the same queues with the same waiting
contacts in the same order, agents with the same presence and load, the same timers due
at the same instants. Used to check that a router restored from a snapshot plus the tail
of the log equals the one replayed from the whole log.
"""

from __future__ import annotations

from typing import Any

from kefu.domain.model import ContactState
from kefu.domain.routing.records import C_CONTACT, C_VERSION, Bucket
from kefu.domain.routing.router import Router

__all__ = ["state_digest"]


def state_digest(router: Router) -> dict[str, Any]:
    """Queues (status, handle-time estimate, waiting order per step), agents, contacts,
    pending timers (due instant, kind, contact) and the router's time, as plain data."""
    queues: dict[str, Any] = {}
    for queue_id, queue in router.queues.items():
        queues[queue_id] = {
            "spec": queue.spec,
            "aht": queue.aht_estimate,
            "handled": queue.handled,
            "classes": {k: v for k, v in queue.class_counts.items() if v},
            "waiting": [_waiting(bucket) for bucket in queue.buckets],
        }
    agents = {
        agent_id: {
            **agent.snapshot(),
            "spec": agent.spec,
            "load": {c.value: n for c, n in agent.load.items() if n},
            "last_routed_at": agent.last_routed_at,
        }
        for agent_id, agent in router.agents.items()
    }
    contacts = {
        contact_id: {
            **contact.snapshot(),
            "ended_at": contact.ended_at,
            "entered_at": contact.entered_at,
            "declined": sorted(contact.declined or ()),
            "key": contact.key,
        }
        for contact_id, contact in router.contacts.items()
    }
    valid = router._timer_valid
    timers = sorted(
        (due, kind, contact.contact_id)
        for due, _, kind, contact, token in router.pending_timers()
        if valid(kind, contact, token)
    )
    return {
        "time": router.time,
        "queues": queues,
        "agents": agents,
        "contacts": contacts,
        "timers": timers,
        "next_due": router.next_due(),
    }


def _waiting(bucket: Bucket) -> list[str]:
    entries = sorted(
        e
        for e in bucket.contacts
        if e[C_VERSION] == e[C_CONTACT].version and e[C_CONTACT].state is ContactState.QUEUED
    )
    return [e[C_CONTACT].contact_id for e in entries]
