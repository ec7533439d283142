"""Saved report definitions: a name and the report's parameters (the query string of the
report page), per user, optionally mailed daily or weekly.

Saving and deleting are commands (:class:`SaveReport`, :class:`DeleteReport`) whose
handlers record the change in the ``report_def`` stream of the channel log (one ``seq``
with the rest) and in the audit log. :class:`ReportBook` is a timed part of the engine's
transaction: loading replays the stream, so a restart lists the same definitions and
keeps their mailing times. A mailed definition falls due one period after it was saved,
then every period: the engine runs :class:`MailSavedReport`, whose handler records the
next time and, once that is stored, hands the definition to the :class:`ReportMailer`
(which builds the report and sends it through the relay). Times are seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Protocol
from urllib.parse import parse_qsl

from kefu.domain.errors import NotFound, ValidationError
from kefu.service.channels.ports import ChannelRecord
from kefu.service.commands import Command
from kefu.service.ports import UnitOfWork
from kefu.service.transaction import Handler, Transaction

__all__ = [
    "EVERY",
    "REPORT_STREAM",
    "DeleteReport",
    "MailSavedReport",
    "ReportBook",
    "ReportMailer",
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
EVERY = {"daily": 86_400.0, "weekly": 7 * 86_400.0}
"""How often a definition may be mailed, and the period in seconds."""
MAX_ADDRESS = 254


class UnknownReport(NotFound):
    error_id = "unknown_report"


@dataclass(frozen=True, slots=True)
class SaveReport(Command):
    """Save (or replace) the caller's report definition ``name`` with ``params``, the
    report page's query string; ``every`` (``daily``, ``weekly``) mails it to ``to``."""

    name: str
    params: str
    every: str | None = None
    to: str | None = None


@dataclass(frozen=True, slots=True)
class MailSavedReport(Command):
    """Mail ``owner``'s definition ``name``, due at ``due_at`` (s) (run by the timer)."""

    owner: str
    name: str
    due_at: float


@dataclass(frozen=True, slots=True)
class DeleteReport(Command):
    """Delete the caller's report definition ``name``."""

    name: str


@dataclass(frozen=True, slots=True)
class SavedReport:
    """A report definition of ``owner`` (a user id, ``username`` when saved): its
    ``name``, its ``params`` (a query string) and when it was saved (``saved_at``, s);
    mailed ``every`` day or week to ``to``, next at ``next_at`` (s)."""

    owner: str
    name: str
    params: str
    saved_at: float
    username: str = ""
    every: str | None = None
    to: str | None = None
    next_at: float | None = None


class ReportMailer(Protocol):
    """Builds a saved report and mails it (in the background, after the command)."""

    def mail(self, report: SavedReport, due_at: float) -> None:
        """Start sending ``report`` as due at ``due_at`` (s); failures are the mailer's."""
        ...


def _schedule(every: str | None, to: str | None) -> tuple[str | None, str | None]:
    if every is None or every == "":
        return None, None
    if every not in EVERY:
        raise ValidationError(
            f"a report is mailed {' or '.join(EVERY)}, not {every!r}",
            text_key="error.report_every",
            every=every,
        )
    address = (to or "").strip()
    local, _, domain = address.partition("@")
    if not local or "." not in domain or len(address) > MAX_ADDRESS or " " in address:
        raise ValidationError(
            "a mailed report needs an e-mail address", text_key="error.report_address"
        )
    return every, address


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

    def __init__(self, log_record: Log, mailer: ReportMailer | None = None) -> None:
        self._log = log_record
        self.mailer = mailer
        self._saved: dict[tuple[str, str], SavedReport] = {}
        self._handed: set[tuple[str, str, float]] = set()
        """Timers returned by :meth:`due` whose command has not run yet."""

    def handlers(self) -> dict[type[Command], Handler]:
        return {SaveReport: self.save, DeleteReport: self.delete, MailSavedReport: self.send}

    # -- handlers ------------------------------------------------------------------------
    async def save(self, tx: Transaction, cmd: SaveReport) -> SavedReport:
        owner = _owner(tx)
        name, params = _name(cmd.name), _params(cmd.params)
        every, to = _schedule(cmd.every, cmd.to)
        before = self._saved.get((owner, name))
        username = tx.actor.username if tx.actor is not None else ""
        next_at = None if every is None else tx.now + EVERY[every]
        saved = SavedReport(owner, name, params, tx.now, username, every, to, next_at)
        data = {"name": name, "params": params, "username": username, "every": every, "to": to}
        self._log(tx.now, REPORT_STREAM, "saved", owner, data)
        self._saved[(owner, name)] = saved
        tx.audit(
            "report.save",
            "report",
            f"{owner}/{name}",
            None,
            None if before is None else {"params": before.params, "every": before.every},
            {"params": params, "every": every},
        )
        return saved

    async def send(self, tx: Transaction, cmd: MailSavedReport) -> None:
        self._handed.discard((cmd.owner, cmd.name, cmd.due_at))
        saved = self._saved.get((cmd.owner, cmd.name))
        if saved is None or saved.every is None or saved.next_at != cmd.due_at:
            return  # deleted or changed since the timer was handed out
        period = EVERY[saved.every]
        next_at = cmd.due_at + period
        while next_at <= tx.now:  # down for more than a period: one mail, not a backlog
            next_at += period
        self._log(
            tx.now, REPORT_STREAM, "mailed", cmd.owner, {"name": cmd.name, "next_at": next_at}
        )
        self._saved[(cmd.owner, cmd.name)] = replace(saved, next_at=next_at)
        mailer = self.mailer
        if mailer is not None:
            tx.then(lambda: mailer.mail(saved, cmd.due_at))

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
        self._handed = set()
        for record in records:
            data = record.data
            name = str(data["name"])
            key = (record.subject_id, name)
            if record.kind == "saved":
                every = data.get("every")
                self._saved[key] = SavedReport(
                    record.subject_id,
                    name,
                    str(data["params"]),
                    record.at,
                    str(data.get("username", "")),
                    every,
                    data.get("to"),
                    None if every is None else record.at + EVERY[every],
                )
            elif record.kind == "mailed" and key in self._saved:
                self._saved[key] = replace(self._saved[key], next_at=float(data["next_at"]))
            else:
                self._saved.pop(key, None)

    def reconcile(self, router: Any, now: float) -> None:
        del router, now  # definitions need no reconciling with the router

    def take_writes(self) -> list[Callable[[UnitOfWork], None]]:
        return []  # the records go with the channel log's

    # -- the timers ----------------------------------------------------------------------
    def next_due(self) -> float | None:
        return min(
            (
                s.next_at
                for s in self._saved.values()
                if s.next_at is not None and (s.owner, s.name, s.next_at) not in self._handed
            ),
            default=None,
        )

    def due(self, now: float) -> list[MailSavedReport]:
        out = []
        for s in sorted(self._saved.values(), key=lambda s: (s.next_at or 0.0, s.owner, s.name)):
            if s.next_at is None or s.next_at > now:
                continue
            key = (s.owner, s.name, s.next_at)
            if key not in self._handed:
                self._handed.add(key)
                out.append(MailSavedReport(s.owner, s.name, s.next_at))
        return out


def _owner(tx: Transaction) -> str:
    actor = tx.actor
    if actor is None:
        raise ValidationError(
            "a report definition belongs to a user", text_key="error.report_owner"
        )
    return actor.user_id
