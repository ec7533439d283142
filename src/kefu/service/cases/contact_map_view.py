"""What the supervisors' contact map page shows: the contact map and FCR
(:mod:`kefu.analytics.contactmap`, :mod:`kefu.analytics.fcr`, the figures of ``kefu
contactmap``) of the contacts of the caller's sites that arrived in a period, with AHT next to
FCR in every group (seed 000: judging agents by calls per hour alone lowers FCR).

The stored routing log is read (the store's contact-path rows, no events built) and analysed
in a worker thread (the engine's lock is held only to list the queues the caller sees). A
contact belongs to the caller's sites when a queue it visited is owned by one of them
(admins: every site; ``site_id`` narrows to one);
repeats are looked for among those contacts. The map also shows the case waits on
departments of cases of those sites, each case's deadline being the ``sla_due`` of its latest
work item, and, to admins looking at every site, the IVR sessions that ended in the IVR (an
IVR session is not tied to a site) (:mod:`kefu.analytics.contactmap_more`). AHT here is the
mean time from answer to completion of the completed contacts of a group (wrap-up is not in
the contact path events). Times are seconds.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from kefu.analytics.contactmap import (
    ContactMap,
    contact_map_from_journeys,
    write_contact_map_csv,
)
from kefu.analytics.contactmap_more import MapExtras
from kefu.analytics.fcr import NO_TOPIC, FcrCount, FcrReport, fcr_from_journeys
from kefu.analytics.journeys import COMPLETED, ContactJourney, find_repeats, journeys_from_rows
from kefu.domain.errors import ValidationError
from kefu.service.engine import RoutingEngine
from kefu.service.routing import views
from kefu.service.security import Principal, Role, check_site, require_role, sees_site

__all__ = [
    "GROUPS",
    "ContactMapReport",
    "GroupRow",
    "contact_map_report",
    "report_csv",
]

GROUPS = ("queue", "agent", "channel", "topic")


@dataclass(frozen=True, slots=True)
class GroupRow:
    """One group's FCR (``None`` with nothing decided yet) and AHT (s, ``None`` with no
    completed contact), with the counts behind them."""

    key: str
    fcr: float | None
    resolved_first: int
    repeated: int
    pending: int
    handled: int
    aht_s: float | None


@dataclass(frozen=True, slots=True)
class ContactMapReport:
    """The map and FCR of the contacts that arrived in ``[since, until)``; ``rows`` maps
    each of :data:`GROUPS` to its rows, busiest first."""

    since: float
    until: float
    window_s: float
    max_transfers: int
    site_id: str | None
    cmap: ContactMap
    fcr: FcrReport
    rows: Mapping[str, tuple[GroupRow, ...]]


async def contact_map_report(
    engine: RoutingEngine,
    user: Principal,
    *,
    since: float,
    until: float,
    window_s: float = 7 * 86_400.0,
    max_transfers: int = 3,
    site_id: str | None = None,
) -> ContactMapReport:
    """The report for supervisors and admins (Forbidden otherwise; an unknown or foreign
    ``site_id`` is UnknownSite)."""
    require_role(user, Role.SUPERVISOR, Role.ADMIN)
    if until <= since:
        raise ValidationError("the period ends before it starts", text_key="error.period_order")

    def queues(e: RoutingEngine) -> frozenset[str]:
        if site_id is not None:
            check_site(e, user, site_id)
        found = set()
        for queue_id in e.router.queues:
            owner, _shared = views.queue_site(e, queue_id)
            if sees_site(user, owner) and (site_id is None or owner == site_id):
                found.add(queue_id)
        return frozenset(found)

    visible = await engine.query(queues)

    def analyse() -> ContactMapReport:
        # Rows, not events: the store hands over the few columns the journeys need.
        with engine.uow_factory() as uow:
            every, end = journeys_from_rows(uow.events.contact_rows(until), until)
            extras = uow.channels.map_extras(until)
        mine = [j for j in every if _visits(j, visible)]
        repeats = find_repeats(mine, window_s)
        extras = MapExtras(
            extras.ivr if user.role is Role.ADMIN and site_id is None else (),
            tuple(
                w
                for w in extras.departments
                if sees_site(user, w.site_id) and site_id in (None, w.site_id)
            ),
        )
        cmap = contact_map_from_journeys(
            mine, end, since=since, window_s=window_s, max_transfers=max_transfers,
            repeats=repeats, extras=extras,
        )  # fmt: skip
        fcr = fcr_from_journeys(mine, end, since=since, window_s=window_s, repeats=repeats)
        return ContactMapReport(
            since, until, window_s, max_transfers, site_id, cmap, fcr, _rows(mine, since, fcr)
        )

    # Off the event loop: the pages and sockets go on while a long log is read and folded.
    return await asyncio.to_thread(analyse)


def _visits(j: ContactJourney, visible: frozenset[str]) -> bool:
    return j.queue_id in visible or any(
        node[6:] in visible for node in j.path if node.startswith("queue:")
    )


def _rows(
    mine: list[ContactJourney], since: float, fcr: FcrReport
) -> Mapping[str, tuple[GroupRow, ...]]:
    handle: tuple[dict[str, list[float]], ...] = ({}, {}, {}, {})
    for j in mine:
        if j.arrived_at < since or j.outcome != COMPLETED:
            continue
        if j.answered_at is None or j.ended_at is None:
            continue
        keys = (j.queue_id, j.agent_id or "", j.channel, j.topic or NO_TOPIC)
        for group, key in zip(handle, keys, strict=True):
            group.setdefault(key, []).append(j.ended_at - j.answered_at)
    counts: tuple[Mapping[str, FcrCount], ...] = (
        fcr.by_queue, fcr.by_agent, fcr.by_channel, fcr.by_topic,
    )  # fmt: skip
    out: dict[str, tuple[GroupRow, ...]] = {}
    for name, count, times in zip(GROUPS, counts, handle, strict=True):
        rows = []
        for key in set(count) | set(times):
            c = count.get(key, FcrCount())
            spent = times.get(key, [])
            aht = round(sum(spent) / len(spent), 1) if spent else None
            rows.append(
                GroupRow(key, c.fcr, c.resolved_first, c.repeated, c.pending, len(spent), aht)
            )
        rows.sort(key=lambda r: (-r.handled, r.key))
        out[name] = tuple(rows)
    return MappingProxyType(out)


def report_csv(report: ContactMapReport) -> str:
    """The map as CSV (:func:`~kefu.analytics.contactmap.write_contact_map_csv`: edges,
    blind spots, loops, broken hand-offs, repeat reasons), then one ``fcr_<group>`` row per
    group: ``source`` the key, ``volume`` the completed contacts, ``detail`` FCR and AHT."""
    out = io.StringIO()
    write_contact_map_csv(report.cmap, out)
    w = csv.writer(out, lineterminator="\n")
    for group, rows in report.rows.items():
        for r in rows:
            fcr = "" if r.fcr is None else f"{r.fcr:.4f}"
            aht = "" if r.aht_s is None else f"{r.aht_s:.1f}"
            detail = f"fcr={fcr}; aht_s={aht}; repeated={r.repeated}; pending={r.pending}"
            w.writerow((f"fcr_{group}", r.key, "", r.handled, "", "", detail))
    return out.getvalue()
