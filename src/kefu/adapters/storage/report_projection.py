"""The report projection in SQL: rebuilt from the log, and read by fast reports.

:func:`rebuild` folds the whole event log through
:class:`~kefu.analytics.projection.VisitProjector` into ``contact_visits`` and
``agent_slots`` (in one transaction, replacing what was there) and marks how far it read.
:func:`projected_report` builds a :class:`~kefu.analytics.history.HistoryReport` from those
tables with SQL aggregation (one query for the contacts, one for agent time), without
decoding a single event: the figures are those of the event-decoding path over the events
projected (``as_of`` is the last of them).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Collection, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    delete,
    func,
    insert,
    select,
)

from kefu.adapters.storage.report_reader import definitions
from kefu.adapters.storage.report_repository import (
    MARK,
    MARKS,
    SLOTS,
    VISITS,
    slot_rows,
    visit_rows,
)
from kefu.adapters.storage.report_sql import (
    bound,
    contact_sql,
    merge_tally,
    read_tally,
    slot_sql,
)
from kefu.adapters.storage.report_sums import (
    BINS,
    SUMMED_BY,
    add_sums,
    catch_up,
    clear_sums,
    sums_sql,
)
from kefu.adapters.storage.tables import EventRow
from kefu.analytics.contact_rows import CONTACT_VISIT_FIELDS, ContactCells, contact_cells
from kefu.analytics.history import HistoryBuilder, HistoryReport
from kefu.analytics.projection import SLOT_S, VisitProjector, on_slot_edges
from kefu.analytics.tallies import Tally
from kefu.analytics.visits import Visit
from kefu.domain import events as ev
from kefu.domain.errors import ValidationError
from kefu.service.ports import ReportMark

__all__ = [
    "covers",
    "mark",
    "projected_contact_cells",
    "projected_report",
    "projected_visits",
    "rebuild",
]

CHUNK = 20_000
"""Events decoded, and rows inserted, per round trip."""


def mark(connection: Connection) -> ReportMark | None:
    """How far the report projection has read the log; ``None``: never built."""
    row = connection.execute(
        select(MARKS.c.seq, MARKS.c.at, MARKS.c.complete_until).where(MARKS.c.name == MARK)
    ).first()
    return None if row is None else ReportMark(int(row[0]), float(row[1]), row[2])


def covers(engine: Engine, until: float) -> bool:
    """True when the projection holds every visit that entered a queue before ``until``
    (seconds): it is complete up to there, and the events stored past its mark (the store
    writer moves the mark only with rows, and stores the rows of events a moment after
    them, see :mod:`kefu.service.report_projection`) all came after."""
    with engine.connect() as connection:
        found = mark(connection)
        if found is None:
            return False
        if found.complete_until is None:  # a rebuild: complete as of its last event only
            last = int(connection.scalar(select(func.max(EventRow.seq))) or 0)
            return found.seq >= last
        if until > found.complete_until:
            return False
        later = connection.scalar(select(func.min(EventRow.at)).where(EventRow.seq > found.seq))
        return later is None or float(later) >= until


def rebuild(
    engine: Engine, progress: Callable[[int, int], None] | None = None
) -> tuple[int, int, int]:
    """Rebuild the projection from the whole log; ``progress(read, total)`` is called
    after each batch of events. Returns (events read, visits, agent slots)."""
    projector = VisitProjector()
    visits = slots = read = 0
    decode = ev.event_from_dict
    with engine.connect() as connection:
        first_at = connection.scalar(select(func.min(EventRow.at)))
    # The current definitions first, read before the transaction (its own connection).
    if first_at is not None:
        projector.consume(definitions(engine, float(first_at)))
    with engine.begin() as connection:
        total = int(connection.scalar(select(func.count()).select_from(EventRow)) or 0)
        last_seq = int(connection.scalar(select(func.max(EventRow.seq))) or 0)
        connection.execute(delete(VISITS))
        connection.execute(delete(SLOTS))
        connection.execute(delete(MARKS).where(MARKS.c.name == MARK))
        clear_sums(connection)
        query = select(EventRow.payload).where(EventRow.seq <= last_seq).order_by(EventRow.seq)
        # One connection reads and writes: the rows written are in the reading transaction.
        result = connection.execute(
            query, execution_options={"stream_results": True, "yield_per": CHUNK}
        )
        for part in result.partitions(CHUNK):
            projector.consume([decode(p) for (p,) in part])
            read += len(part)
            done = projector.take_visits()
            if done:
                connection.execute(insert(VISITS), visit_rows(done))
                visits += len(done)
            final = projector.take_slots(projector.last_at)
            if final:
                connection.execute(insert(SLOTS), slot_rows(final))
                slots += len(final)
            if progress is not None:
                progress(read, total)
        # Every visit that queued before the oldest one still open has ended and is
        # stored: the slots before it (and before the last event's) are final, and summed.
        oldest = projector.log.open_since()
        summed = math.floor(min(projector.last_at, math.inf if oldest is None else oldest) / SLOT_S)
        if first_at is not None and read:
            add_sums(connection, math.floor(float(first_at) / SLOT_S), summed)
        rest_visits, rest_slots = projector.finish()
        if rest_visits:
            connection.execute(insert(VISITS), visit_rows(rest_visits))
        if rest_slots:
            connection.execute(insert(SLOTS), slot_rows(rest_slots))
        visits += len(rest_visits)
        slots += len(rest_slots)
        # Visits still open and the last slot are written as they stand: complete as of
        # the last event (a server started on this database replaces them as they end).
        connection.execute(
            insert(MARKS).values(name=MARK, seq=last_seq, at=projector.last_at, complete_until=None)
        )
    return read, visits, slots


def projected_report(
    engine: Engine,
    since: float,
    until: float,
    *,
    period: str = "interval:30",
    timezone: str = "UTC",
    group_by: Sequence[str] = (),
    sites: Collection[str] | None = None,
    sums: bool = True,
) -> HistoryReport:
    """The report over [since, until) seconds from the projection, with SQL aggregation;
    ``sites``: only the visits to queues of these sites and the time of their agents.
    With ``sums`` (and groups among site, queue, channel and value tier) the contact
    figures of the slots already summed come from ``contact_slot_sums`` (caught up first,
    see :mod:`~kefu.adapters.storage.report_sums`), the rest from the visits.

    Refused (:class:`ValidationError`) when the projection was never built, or when a
    bucket edge is not on a 15-minute slot edge (agent time is stored per slot)."""
    builder = HistoryBuilder(
        since, until, period=period, timezone=timezone, group_by=group_by, sites=sites
    )
    edges = builder.buckets.edges
    if not on_slot_edges(edges):
        raise ValidationError(
            "the report projection keeps agent time per 15 minutes: start and end the "
            "range and its periods on a quarter hour (5-minute periods read the events)",
            since=since,
            until=until,
        )
    bins = builder.wait_bins_s
    width = len(builder.group_by)
    limited = sites is not None
    with engine.connect() as connection:
        found = mark(connection)
    if found is None:
        raise ValidationError("the report projection was never built: run `kefu report-rebuild`")
    if found.complete_until is not None and until > found.complete_until:
        raise ValidationError(
            "the report projection holds the contacts that entered a queue before "
            f"{found.complete_until} s only (later ones are still open): end the range "
            "earlier, or read the events",
            complete_until=found.complete_until,
        )
    lo, hi = round(edges[0] / SLOT_S), round(edges[-1] / SLOT_S)
    split = lo
    if sums and set(builder.group_by) <= SUMMED_BY and tuple(bins) == BINS:
        summed = catch_up(engine, found)
        split = lo if summed is None else max(lo, min(hi, summed))
    dialect = engine.dialect.name
    with engine.connect() as connection:
        contacts: list[Any] = []
        if split > lo:
            contacts += connection.execute(
                bound(sums_sql(lo, split, builder.group_by, limited), sites)
            ).all()
        if split < hi:
            start = edges[0] if split == lo else split * SLOT_S
            sql = contact_sql(start, edges[-1], builder.group_by, bins, dialect, limited)
            contacts.extend(connection.execute(bound(sql, sites)).all())
        agents = connection.execute(
            bound(slot_sql(edges, limited, "agent" in builder.group_by), sites)
        ).all()
    tallies: dict[tuple[int, tuple[str, ...]], Tally] = {}
    waiting = 0
    predicted = False
    for row in contacts:
        k = bisect_right(edges, int(row[0]) * SLOT_S) - 1
        key = tuple(str(x) for x in row[1 : 1 + width])
        tally, still, known = read_tally(row[1 + width :], len(bins))
        waiting += still
        predicted = predicted or known
        found_tally = tallies.get((k, key))
        if found_tally is None:
            tallies[(k, key)] = tally
        else:
            merge_tally(found_tally, tally)
    for (k, key), tally in tallies.items():
        builder.add_tally(k, key, tally, waiting=0, predicted=False)
    builder.add_tally_flags(waiting=waiting, predicted=predicted)
    for slot_at, agent_id, site_id, handling, idle, staffed in agents:
        builder.log.add_seconds(
            builder.agent_key(agent_id, site_id),
            bisect_right(edges, float(slot_at)) - 1,
            float(handling),
            float(idle),
            float(staffed),
        )
    return builder.result(found.at)


def _visits_query(
    fields: Sequence[str], since: float, until: float, sites: Collection[str] | None
) -> Select[Any]:
    first = (
        select(VISITS.c.contact_id)
        .where(VISITS.c.leg == 0, VISITS.c.queued_at >= since, VISITS.c.queued_at < until)
        .scalar_subquery()
    )
    query = (
        select(*(VISITS.c[name] for name in fields))
        .where(VISITS.c.contact_id.in_(first))
        .order_by(VISITS.c.contact_id, VISITS.c.leg)
    )
    if sites is not None:
        query = query.where(VISITS.c.site_id.in_(sorted(sites)))
    return query


def projected_visits(
    engine: Engine, since: float, until: float, sites: Collection[str] | None = None
) -> list[Visit]:
    """Every visit of the contacts that first queued in [since, until) seconds, by contact
    and leg (what one-row-per-contact exports read); ``sites``: only visits to queues of
    these sites."""
    query = _visits_query(_VISIT_FIELDS, since, until, sites)
    with engine.connect() as connection:
        return [Visit(*row) for row in connection.execute(query)]


def projected_contact_cells(
    engine: Engine, since: float, until: float, sites: Collection[str] | None = None
) -> list[ContactCells]:
    """The one-row-per-contact table of the contacts that first queued in [since, until)
    seconds, as :func:`~kefu.analytics.contact_rows.contact_cells` tuples: the rows
    :func:`projected_visits` gives through ``ContactRows``, streamed (a server-side cursor
    on PostgreSQL) with only the columns the table needs."""
    query = _visits_query(CONTACT_VISIT_FIELDS, since, until, sites)
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=CHUNK).execute(query)
        rows = (row for part in result.partitions() for row in part)
        return contact_cells(rows, since, until)


_VISIT_FIELDS = tuple(Visit.__dataclass_fields__)
