"""What the routing engine rebuilds itself from on start and after a failed write: the
sites, queues, open state intervals and state parts' records read in one transaction, and
the router, restored from the newest usable snapshot plus the log's tail, or replayed
from the whole log (:mod:`kefu.service.snapshots`). A part the snapshot holds
(:class:`~kefu.service.engine_state.SnapshotPart`) reads only its records after it; the
others, or one whose snapshot cannot be used, read their whole log. The report
projection's state in the snapshot (:data:`~kefu.service.snapshots.REPORTS`) may cover a
position of its own: the tail read starts at the earlier of the two."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kefu.domain.routing import Router, RouterConfig
from kefu.service.engine_state import SnapshotPart, StatePart
from kefu.service.ports import (
    QueueRow,
    ReportMark,
    Site,
    StateInterval,
    StoredEvent,
    UnitOfWork,
    UnitOfWorkFactory,
)
from kefu.service.report_projection import ReportProjection
from kefu.service.snapshots import REPORTS, Snapshotter

__all__ = ["Fetched", "Loaded", "load"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Fetched:
    """What a part read: ``data`` for :meth:`StatePart.load`, or, with ``since`` true,
    for :meth:`SnapshotPart.restore` (its snapshot and the records after it)."""

    data: Any
    since: bool = False


def _fetch(uow: UnitOfWork, part: StatePart, dumped: dict[str, bytes]) -> Fetched:
    if isinstance(part, SnapshotPart) and part.snapshot_key in dumped:
        try:
            return Fetched(part.fetch_since(uow, dumped[part.snapshot_key]), since=True)
        except Exception:
            log.exception("the snapshot of %s cannot be used; reading its log", part.snapshot_key)
    return Fetched(part.fetch(uow))


@dataclass(frozen=True, slots=True)
class Loaded:
    """The store's state: ``router`` rebuilt, ``last_seq`` the log's last position, and
    what each part's ``fetch`` read (in the order of the parts)."""

    sites: list[Site]
    queues: list[QueueRow]
    router: Router
    last_seq: int
    open_intervals: list[StateInterval]
    fetched: list[Fetched]
    whole_log: list[StoredEvent] | None = None
    """Every stored event when the router was rebuilt from the whole log; None when it
    started from a snapshot (a reader needing the whole log reads it itself)."""
    reports: bytes | None = None
    """The report projection's state in the snapshot started from (``None``: none)."""
    tail: list[StoredEvent] | None = None
    """With ``reports``: the events after the earlier of the router's snapshot and the
    report projection's position."""
    report_mark: ReportMark | None = None
    """The report projection's stored mark, read with the log."""


async def load(
    uow_factory: UnitOfWorkFactory,
    config: RouterConfig,
    parts: Sequence[StatePart],
    snapshots: Snapshotter | None,
) -> Loaded:
    """Read the store (in a worker thread) and rebuild the router from it."""

    def read() -> tuple[Loaded, Any, Any, list[StoredEvent]]:
        with uow_factory() as uow:
            snapshot = None if snapshots is None else snapshots.latest(uow)
            opened = None
            if snapshot is not None and snapshots is not None:
                opened = snapshots.open(snapshot)
                if opened is None:
                    snapshot = None
            dumped = {} if opened is None else opened[1]
            after = 0 if snapshot is None else snapshot.seq
            reports = dumped.get(REPORTS)
            if reports is not None:
                try:
                    after = min(after, ReportProjection.dumped_seq(reports))
                except ValueError:
                    reports = None
            stored = list(uow.events.read(after))
            found = Loaded(
                uow.sites.list(),
                uow.queues.list(),
                Router(config),
                0,
                uow.intervals.open_intervals(),
                [_fetch(uow, part, dumped) for part in parts],
                reports=reports,
                report_mark=uow.reports.mark(),
            )
            return found, snapshot, opened, stored

    def read_all() -> list[StoredEvent]:
        with uow_factory() as uow:
            return list(uow.events.read())

    found, snapshot, opened, stored = await asyncio.to_thread(read)
    router = None
    tail = stored
    if snapshot is not None and snapshots is not None and opened is not None:
        events = [s.event for s in stored if s.seq > snapshot.seq]
        router = snapshots.restore(snapshot, opened[0], events, config)
        if router is None:  # unusable: the whole log then
            stored = await asyncio.to_thread(read_all)
            snapshot = None
    if router is None:
        router = Router.replay((s.event for s in stored), config)
        router.drain()  # replay logs what it applies; those events are stored already
        if snapshots is not None:
            snapshots.replayed(len(stored))
    last_seq = stored[-1].seq if stored else (snapshot.seq if snapshot is not None else 0)
    return Loaded(
        found.sites,
        found.queues,
        router,
        last_seq,
        found.open_intervals,
        found.fetched,
        whole_log=stored if snapshot is None else None,
        reports=None if snapshot is None else found.reports,
        tail=None if snapshot is None else tail,
        report_mark=found.report_mark,
    )
