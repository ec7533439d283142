"""Saved report definitions: a name and the report's parameters (the query string of the
report page), per user.

Saving and deleting are commands (:class:`SaveReport`, :class:`DeleteReport`) whose
handlers record the change in the ``report_def`` stream of the channel log (one ``seq``
with the rest) and in the audit log. :class:`ReportBook` is a part of the engine's
transaction: loading replays the stream, so a restart lists the same definitions. Times
are seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from kefu.domain.errors import NotFound, ValidationError
from kefu.service.channels.ports import ChannelRecord
from kefu.service.commands import Command
from kefu.service.ports import UnitOfWork
from kefu.service.transaction import Handler, Transaction

__all__ = [
    "REPORT_STREAM",
    "DeleteReport",
    "ReportBook",
    "SaveReport",
    "SavedReport",
    "UnknownReport",
]

REPORT_STREAM = "report_def"
MAX_NAME = 80
MAX_PARAMS = 2000
PARAMETERS = frozenset({"since", "until", "period", "group", "site", "sort", "order", "days"})
"""The report page's parameters a definition may hold."""
Log = Callable[[float, str, str, str, dict[str, Any]], None]


class UnknownReport(NotFound):
    error_id = "unknown_report"


@dataclass(frozen=True, slots=True)
class SaveReport(Command):
    """Save (or replace) the caller's report definition ``name`` with ``params``, the
    report page's query string."""

    name: str
    params: str


@dataclass(frozen=True, slots=True)
class DeleteReport(Command):
    """Delete the caller's report definition ``name``."""

    name: str


@dataclass(frozen=True, slots=True)
class SavedReport:
    """A report definition of ``owner`` (a user id): its ``name``, its ``params`` (a query
    string) and when it was saved (``saved_at``, s)."""

    owner: str
    name: str
    params: str
    saved_at: float


def _name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise ValidationError(
            f"a report's name has 1 to {MAX_NAME} characters",
            text_key="error.report_name",
            max=MAX_NAME,
        )
    return name


def _params(params: str) -> str:
    params = params.strip().lstrip("?")
    if len(params) > MAX_PARAMS:
        raise ValidationError(
            f"a report's parameters have at most {MAX_PARAMS} characters",
            text_key="error.report_params",
        )
    unknown = sorted({k for k, _ in parse_qsl(params, keep_blank_values=True)} - PARAMETERS)
    if unknown:
        raise ValidationError(
            f"a report does not take {', '.join(unknown)}",
            text_key="error.report_params",
            unknown=unknown,
        )
    return params


class ReportBook:
    """Every user's saved report definitions, over the channel log ``log_record``."""

    def __init__(self, log_record: Log) -> None:
        self._log = log_record
        self._saved: dict[tuple[str, str], SavedReport] = {}

    def handlers(self) -> dict[type[Command], Handler]:
        return {SaveReport: self.save, DeleteReport: self.delete}

    # -- handlers ------------------------------------------------------------------------
    async def save(self, tx: Transaction, cmd: SaveReport) -> SavedReport:
        owner = _owner(tx)
        name, params = _name(cmd.name), _params(cmd.params)
        before = self._saved.get((owner, name))
        saved = SavedReport(owner, name, params, tx.now)
        self._log(tx.now, REPORT_STREAM, "saved", owner, {"name": name, "params": params})
        self._saved[(owner, name)] = saved
        tx.audit(
            "report.save",
            "report",
            f"{owner}/{name}",
            None,
            None if before is None else {"params": before.params},
            {"params": params},
        )
        return saved

    async def delete(self, tx: Transaction, cmd: DeleteReport) -> None:
        owner = _owner(tx)
        name = _name(cmd.name)
        before = self._saved.get((owner, name))
        if before is None:
            raise UnknownReport(
                f"no saved report {name!r}", text_key="error.unknown_report", name=name
            )
        self._log(tx.now, REPORT_STREAM, "deleted", owner, {"name": name})
        del self._saved[(owner, name)]
        tx.audit(
            "report.delete", "report", f"{owner}/{name}", None, {"params": before.params}, None
        )

    # -- views ---------------------------------------------------------------------------
    def of(self, owner: str) -> list[SavedReport]:
        """``owner``'s definitions by name."""
        return sorted((s for s in self._saved.values() if s.owner == owner), key=lambda s: s.name)

    # -- the state part ------------------------------------------------------------------
    def fetch(self, uow: UnitOfWork) -> list[ChannelRecord]:
        return [r for r in uow.channels.read() if r.stream == REPORT_STREAM]

    def load(self, records: Iterable[ChannelRecord]) -> None:
        """Rebuild the definitions from their records (in ``seq`` order)."""
        self._saved = {}
        for record in records:
            name = str(record.data["name"])
            key = (record.subject_id, name)
            if record.kind == "saved":
                params = str(record.data["params"])
                self._saved[key] = SavedReport(record.subject_id, name, params, record.at)
            else:
                self._saved.pop(key, None)

    def reconcile(self, router: Any, now: float) -> None:
        del router, now  # definitions need no reconciling with the router

    def take_writes(self) -> list[Callable[[UnitOfWork], None]]:
        return []  # the records go with the channel log's


def _owner(tx: Transaction) -> str:
    actor = tx.actor
    if actor is None:
        raise ValidationError(
            "a report definition belongs to a user", text_key="error.report_owner"
        )
    return actor.user_id
