"""Flows as data an admin changes: drafts, publication and rollback, kept in the log.

Every change is a command (:class:`SaveIvrDraft`, :class:`PublishIvrFlow`,
:class:`RollbackIvrFlow`) whose handler records it in the ``ivr_flow`` stream of the
channel log (rows of the database, one ``seq`` with the rest) and in the audit log (who,
when). :class:`IvrFlowDesk` is a part of the engine's transaction: loading replays the
stream into the :class:`~kefu.domain.ivr.FlowCatalog`, so a restart serves the same
versions. The flow files read at start are the initial version of a flow the log does not
know yet; its first change records that version first, so the log alone rebuilds the flow.
Publishing refuses a flow with lint errors (the checks of ``kefu ivr lint``). Times are
seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kefu.domain.ivr import FlowCatalog, InvalidFlow, UnknownFlowVersion, flow_to_dict, parse_flow
from kefu.domain.ivr.catalog import REDERIVATION_DAYS, rederivation_overdue_days
from kefu.domain.ivr.flow import Flow
from kefu.domain.ivr.flow_io import MAX_FLOW_TEXT
from kefu.domain.ivr.lint import lint
from kefu.service.channels.ports import ChannelRecord
from kefu.service.ivr.flow_views import (
    DraftSaved,
    FlowChange,
    FlowDetail,
    FlowPublished,
    FlowSummary,
    FlowVersion,
    issue_json,
)
from kefu.service.ports import UnitOfWork
from kefu.service.routing import commands as c
from kefu.service.transaction import Handler, Transaction

__all__ = [
    "FLOW_STREAM",
    "IvrFlowDesk",
    "PublishIvrFlow",
    "RollbackIvrFlow",
    "SaveIvrDraft",
    "flow_detail",
    "flow_list",
]

FLOW_STREAM = "ivr_flow"
Log = Callable[[float, str, str, str, dict[str, Any]], None]
_MAX_FLOW_ID = 64


@dataclass(frozen=True, slots=True)
class SaveIvrDraft(c.Command):
    """Save ``data`` (a flow's dict form; ``source`` the text it was read from, shown in
    the editor) as the draft of ``flow_id``."""

    flow_id: str
    data: Mapping[str, Any]
    source: str = ""


@dataclass(frozen=True, slots=True)
class PublishIvrFlow(c.Command):
    """Publish the draft of ``flow_id`` (or its ``version``) for new contacts."""

    flow_id: str
    version: int | None = None


@dataclass(frozen=True, slots=True)
class RollbackIvrFlow(c.Command):
    """Publish again the version of ``flow_id`` published before the current one."""

    flow_id: str


@dataclass(slots=True)
class _Known:
    sources: dict[int, str] = field(default_factory=dict)
    changes: list[FlowChange] = field(default_factory=list)


class IvrFlowDesk:
    """The flow versions an admin changes, over ``catalog`` (which holds the files' flows
    at construction) and the channel log ``log_record``."""

    def __init__(self, catalog: FlowCatalog, log_record: Log) -> None:
        self.catalog = catalog
        self._log = log_record
        self._seeds: dict[str, tuple[Flow, float]] = {}
        for flow_id in catalog.flow_ids():
            h = catalog.history(flow_id)
            if h.published is not None and h.publications:
                self._seeds[flow_id] = (h.versions[h.published], h.publications[-1][1])
        self._known: dict[str, _Known] = {}

    def handlers(self) -> dict[type[c.Command], Handler]:
        return {
            SaveIvrDraft: self.save,
            PublishIvrFlow: self.publish,
            RollbackIvrFlow: self.rollback,
        }

    # -- handlers ------------------------------------------------------------------------
    async def save(self, tx: Transaction, cmd: SaveIvrDraft) -> DraftSaved:
        flow_id = _flow_id(cmd.flow_id)
        data = dict(cmd.data)
        named = data.setdefault("flow", flow_id)
        if named != flow_id:
            raise InvalidFlow(
                f"the flow is named {str(named)[:64]!r}, not {flow_id!r}",
                text_key="error.flow_misnamed",
                field="flow",
                named=str(named)[:64],
                flow_id=flow_id,
            )
        data.setdefault("version", 1)
        flow = parse_flow(data)  # refuses a malformed flow before anything changes
        self._seed(flow_id)
        saved = self.catalog.save_draft(flow)
        source = cmd.source[:MAX_FLOW_TEXT]
        self._record(tx, flow_id, "saved", saved.version, flow=flow_to_dict(saved), source=source)
        self._known[flow_id].sources[saved.version] = source
        tx.audit("ivr_flow.save", "ivr_flow", flow_id, None, None, {"version": saved.version})
        return DraftSaved(saved.version, tuple(lint(saved)))

    async def publish(self, tx: Transaction, cmd: PublishIvrFlow) -> FlowPublished:
        flow_id = _flow_id(cmd.flow_id)
        h = self.catalog.history(flow_id)  # unknown flow: 404
        number = h.draft if cmd.version is None else cmd.version
        if number is None:
            raise UnknownFlowVersion(
                f"flow {flow_id!r} has no draft", text_key="error.flow_no_draft", flow_id=flow_id
            )
        flow = self.catalog.get(flow_id, number)
        errors = [i for i in lint(flow) if i.severity == "error"]
        if errors:
            raise InvalidFlow(
                f"version {number} of {flow_id!r} has lint errors: "
                + "; ".join(i.message for i in errors[:5]),
                text_key="error.flow_lint",
                field="flow",
                version=number,
                flow_id=flow_id,
                issues=[issue_json(i) for i in errors],
            )
        before = h.published
        self._seed(flow_id)
        self.catalog.publish(flow_id, tx.now, number)
        self._record(tx, flow_id, "published", number)
        tx.audit(
            "ivr_flow.publish",
            "ivr_flow",
            flow_id,
            None,
            {"version": before},
            {"version": number},
        )
        return FlowPublished(number)

    async def rollback(self, tx: Transaction, cmd: RollbackIvrFlow) -> FlowPublished:
        flow_id = _flow_id(cmd.flow_id)
        h = self.catalog.history(flow_id)
        before = h.published
        earlier = [v for v, _ in h.publications if v != before]
        if not earlier:
            raise UnknownFlowVersion(
                f"flow {flow_id!r} has no earlier version",
                text_key="error.flow_no_earlier",
                flow_id=flow_id,
            )
        self._seed(flow_id)
        flow = self.catalog.rollback(flow_id, tx.now)
        self._record(tx, flow_id, "rolled_back", flow.version)
        tx.audit(
            "ivr_flow.rollback",
            "ivr_flow",
            flow_id,
            None,
            {"version": before},
            {"version": flow.version},
        )
        return FlowPublished(flow.version)

    # -- what is recorded ----------------------------------------------------------------
    def _seed(self, flow_id: str) -> None:
        """Record the file's version of ``flow_id`` before its first change in the log."""
        if flow_id in self._known:
            return
        self._known[flow_id] = _Known()
        if flow_id not in self._seeds:
            return
        seed, at = self._seeds[flow_id]
        # Recorded with the instant the file was published at start (``tx.now`` orders
        # nothing here: the records' seq does).
        self._write(at, flow_id, "saved", seed.version, "files", flow=flow_to_dict(seed))
        self._write(at, flow_id, "published", seed.version, "files")

    def _record(self, tx: Transaction, flow_id: str, kind: str, version: int, **extra: Any) -> None:
        actor = tx.actor
        by = "system" if actor is None else actor.username
        self._write(tx.now, flow_id, kind, version, by, **extra)

    def _write(
        self, at: float, flow_id: str, kind: str, version: int, by: str, **extra: Any
    ) -> None:
        data: dict[str, Any] = {"version": version, "by": by, **extra}
        if "source" not in data and kind == "saved":
            data["source"] = ""
        self._log(at, FLOW_STREAM, kind, flow_id, data)
        self._known.setdefault(flow_id, _Known()).changes.append(FlowChange(kind, version, by, at))

    # -- views ---------------------------------------------------------------------------
    def source(self, flow_id: str, version: int) -> str:
        """The text version ``version`` was saved from ("" for a file's or an API's dict)."""
        known = self._known.get(flow_id)
        return "" if known is None else known.sources.get(version, "")

    def changes(self, flow_id: str) -> list[FlowChange]:
        """The recorded changes of ``flow_id``, oldest first."""
        known = self._known.get(flow_id)
        return [] if known is None else list(known.changes)

    # -- the state part ------------------------------------------------------------------
    def fetch(self, uow: UnitOfWork) -> list[ChannelRecord]:
        return [r for r in uow.channels.read() if r.stream == FLOW_STREAM]

    def load(self, records: Iterable[ChannelRecord]) -> None:
        """Rebuild the flows the log knows from their records (in ``seq`` order)."""
        by_flow: dict[str, list[ChannelRecord]] = {}
        for record in records:
            by_flow.setdefault(record.subject_id, []).append(record)
        self._known = {}
        for flow_id, rows in by_flow.items():
            self.catalog.drop(flow_id)
            known = self._known[flow_id] = _Known()
            for row in rows:
                data = dict(row.data)
                version, by = int(data["version"]), str(data.get("by", ""))
                if row.kind == "saved":
                    saved = self.catalog.save_draft(parse_flow(data["flow"]))
                    known.sources[saved.version] = str(data.get("source", ""))
                else:
                    self.catalog.publish(flow_id, row.at, version)
                known.changes.append(FlowChange(row.kind, version, by, row.at))

    def reconcile(self, router: Any, now: float) -> None:
        del router, now  # flows need no reconciling with the router
        return None

    def take_writes(self) -> list[Callable[[UnitOfWork], None]]:
        return []  # the records go with the channel log's

    def next_due(self) -> float | None:
        return None

    def due(self, now: float) -> list[Any]:
        del now
        return []


def _flow_id(flow_id: str) -> str:
    if not flow_id or len(flow_id) > _MAX_FLOW_ID:
        raise InvalidFlow(
            "a flow id has 1 to 64 characters", text_key="error.flow_id_length", field="flow"
        )
    return flow_id


def flow_list(
    desk: IvrFlowDesk, now: float, period_days: int = REDERIVATION_DAYS
) -> list[FlowSummary]:
    """Every flow: its id, published and draft version numbers, its versions, and the
    re-derivation reminder at ``now`` (s), ``period_days`` after the published version was
    first published (see :class:`FlowSummary`)."""
    out = []
    for flow_id in desk.catalog.flow_ids():
        h = desk.catalog.history(flow_id)
        since = h.published_at
        out.append(
            FlowSummary(
                flow_id,
                h.published,
                h.draft,
                tuple(sorted(h.versions)),
                published_at=since,
                rederive_by=None if since is None else since + period_days * 86_400.0,
                rederivation_overdue_days=(
                    None if since is None else rederivation_overdue_days(since, now, period_days)
                ),
            )
        )
    return out


def flow_detail(desk: IvrFlowDesk, flow_id: str) -> FlowDetail:
    """One flow for its admin page: each version (its text, whether published or the
    draft, its lint findings), the publications and the recorded changes (who, when)."""
    h = desk.catalog.history(flow_id[:_MAX_FLOW_ID])  # unknown: 404
    versions = tuple(
        FlowVersion(
            version=number,
            published=number == h.published,
            draft=number == h.draft,
            source=desk.source(flow_id, number),
            flow=flow_to_dict(flow),
            issues=tuple(lint(flow)),
        )
        for number, flow in sorted(h.versions.items(), reverse=True)
    )
    return FlowDetail(
        flow_id=flow_id,
        published=h.published,
        draft=h.draft,
        versions=versions,
        publications=tuple(h.publications),
        changes=tuple(desk.changes(flow_id)),
    )
