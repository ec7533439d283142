"""What the contact map shows beside the routing log: IVR sessions that ended in the IVR,
and case work waiting on back-office departments.

- **IVR sessions** (:func:`ivr_stays`, from the IVR's events): a session the IVR handed off
  is already a contact of the routing log, its IVR route carried by the hand-off attributes
  (:func:`kefu.analytics.journeys.ivr_route`); the others never reach a queue, so they are
  read here. Their nodes are named as the hand-off's (``ivr:<flow>``,
  ``ivr:<flow>/<menu>:<digit>``, ``ivr:<flow>/service:<action>=<outcome>``) and they end in
  ``outcome:ivr_contained`` (the flow ended the contact, or the customer left after a
  self-service that worked, as :mod:`kefu.analytics.ivr` counts containment),
  ``outcome:ivr_abandoned`` or ``outcome:ivr_open`` (still in the IVR when the log ends).
- **Department waits** (:func:`department_waits`, from the case events): each time a case
  waits on a department, from the state change that starts it to the next one. The wait comes
  from ``agent:<who moved the case>`` (``agent:system`` for an automatic move) or from the
  department it waited on just before, and goes to the next department or to
  ``outcome:case_<state>`` (``outcome:case_waiting`` while it still waits). ``due_at`` is the
  case's resolution deadline in business time, when known, so a wait still going on past it
  is a blind spot (waiting on a department never pauses the clock).

Times are seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kefu.domain.cases import events as cev
from kefu.domain.ivr import events as iev

__all__ = [
    "DepartmentWait",
    "IvrStay",
    "MapExtras",
    "Record",
    "case_deadlines",
    "department_waits",
    "extras_from_records",
    "ivr_stays",
]

# Self-service outcomes that did not serve the customer (as :mod:`kefu.analytics.ivr`).
_FAILED = frozenset({"error", "timeout", "unknown_action"})
_WAITING = "waiting_on_department"


@dataclass(frozen=True, slots=True)
class IvrStay:
    """An IVR session that did not reach a queue; ``contact_id`` is its conversation."""

    contact_id: str
    customer_id: str | None
    channel: str
    started_at: float
    ended_at: float | None
    nodes: tuple[str, ...]
    outcome: str


@dataclass(frozen=True, slots=True)
class DepartmentWait:
    """Case ``case_id`` (of site ``site_id``) waiting on ``department`` from ``since`` to
    ``until`` (``None``: still waiting); ``source`` and ``target`` are the map nodes before
    and after it."""

    case_id: str
    customer_id: str | None
    department: str
    since: float
    until: float | None
    source: str
    target: str
    due_at: float | None
    site_id: str | None = None


@dataclass(frozen=True, slots=True)
class MapExtras:
    """Everything the contact map takes beside the journeys."""

    ivr: tuple[IvrStay, ...] = ()
    departments: tuple[DepartmentWait, ...] = ()


class _Session:
    __slots__ = ("customer", "ended", "flow", "handed", "nodes", "outcome", "served", "started")

    def __init__(self, at: float) -> None:
        self.started = at
        self.flow = ""
        self.nodes: list[str] = []
        self.customer: str | None = None
        self.served = self.handed = False
        self.outcome = "ivr_open"
        self.ended: float | None = None


def ivr_stays(events: Iterable[iev.IvrEvent], channels: Mapping[str, str]) -> list[IvrStay]:
    """The IVR sessions of ``events`` (in log order) that the IVR did not hand off, in the
    order they started; ``channels`` gives each conversation's channel (``voice`` when
    unknown)."""
    sessions: dict[str, _Session] = {}
    for e in events:
        s = sessions.get(e.contact_id)
        if s is None:
            s = sessions[e.contact_id] = _Session(e.at)
        if isinstance(e, iev.FlowStarted):
            s.flow = "ivr:" + e.flow_id
            s.nodes.append(s.flow)
            s.customer = s.customer or e.verified_customer_id
        elif isinstance(e, iev.OptionMatched):
            s.nodes.append(f"{s.flow}/{e.node_id}:{e.digit}")
        elif isinstance(e, iev.SelfServiceCompleted):
            s.nodes.append(f"{s.flow}/service:{e.action}={e.outcome}")
            s.served = s.served or e.outcome not in _FAILED
        elif isinstance(e, iev.IdentityVerified) and e.ok:
            s.customer = e.customer_id or s.customer
        elif isinstance(e, iev.HandedOff):
            s.handed = True
        elif isinstance(e, iev.Ended):
            s.outcome, s.ended = "ivr_contained", e.at
        elif isinstance(e, iev.Abandoned):
            s.outcome = "ivr_contained" if s.served else "ivr_abandoned"
            s.ended = e.at
    return [
        IvrStay(
            contact_id,
            s.customer,
            channels.get(contact_id, "voice"),
            s.started,
            s.ended,
            tuple(s.nodes),
            s.outcome,
        )
        for contact_id, s in sessions.items()
        if not s.handed and s.nodes
    ]


def department_waits(
    events: Iterable[cev.CaseEvent], due: Mapping[str, float] | None = None
) -> list[DepartmentWait]:
    """The department waits of the cases of ``events`` (in log order), in the order they
    started; ``due`` maps a case to its resolution deadline (see the module docstring)."""
    customers: dict[str, str | None] = {}
    sites: dict[str, str] = {}
    current: dict[str, tuple[str, float, str]] = {}  # case → (department, since, source)
    done: list[tuple[float, int, DepartmentWait]] = []
    deadlines = due or {}

    def close(case_id: str, until: float | None, target: str) -> None:
        department, since, source = current.pop(case_id)
        wait = DepartmentWait(
            case_id, customers.get(case_id), department, since, until, source, target,
            deadlines.get(case_id), sites.get(case_id),
        )  # fmt: skip
        done.append((since, len(done), wait))

    for e in events:
        if isinstance(e, cev.CaseOpened):
            customers[e.case_id] = e.customer_id
            sites[e.case_id] = e.site_id
        elif isinstance(e, cev.CaseStateChanged):
            source = "agent:" + e.by
            if e.case_id in current:
                source = "department:" + current[e.case_id][0]
                waits_again = e.to_state == _WAITING and e.department is not None
                target = ("department:" + str(e.department)) if waits_again else ""
                close(e.case_id, e.at, target or "outcome:case_" + e.to_state)
            if e.to_state == _WAITING and e.department is not None:
                current[e.case_id] = (e.department, e.at, source)
    for case_id in list(current):
        close(case_id, None, "outcome:case_waiting")
    return [wait for _since, _n, wait in sorted(done, key=lambda row: (row[0], row[1]))]


Record = tuple[float, str, str, str, Mapping[str, Any]]
"""``(at, stream, kind, subject_id, data)`` of a channel-log entry: ``stream`` ``ivr``
(``data`` an IVR event in its JSON form, or the driver's ``opened`` record with the channel;
``subject_id`` the conversation) or ``case`` (a case event); other streams are skipped."""

_DRIVER_KINDS = frozenset({"opened", "asked"})
_CASE_KINDS = frozenset({"CaseOpened", "CaseStateChanged"})


def extras_from_records(
    records: Iterable[Record], *, until: float | None = None, due: Mapping[str, float] | None = None
) -> MapExtras:
    """The IVR stays and department waits of the channel log's ``records`` (in log order)
    before ``until`` (s); ``due`` as in :func:`department_waits`."""
    limit = float("inf") if until is None else until
    channels: dict[str, str] = {}
    ivr: list[iev.IvrEvent] = []
    cases: list[cev.CaseEvent] = []
    for at, stream, kind, subject_id, data in records:
        if at >= limit:
            continue
        if stream == "ivr":
            if kind == "opened":
                channels[subject_id] = str(data.get("channel") or "voice")
            elif kind not in _DRIVER_KINDS:
                ivr.append(iev.ivr_event_from_dict(dict(data)))
        elif stream == "case" and kind in _CASE_KINDS:
            cases.append(cev.case_event_from_dict(dict(data)))
    return MapExtras(tuple(ivr_stays(ivr, channels)), tuple(department_waits(cases, due)))


def case_deadlines(queued: Iterable[tuple[float, Mapping[str, str]]]) -> dict[str, float]:
    """Each case's resolution deadline (s) as its latest work item carried it: the
    ``sla_due`` attribute of the ``(at, attributes)`` of queued contacts naming a
    ``case_id`` (the business-time deadline when the task was routed)."""
    found: dict[str, tuple[float, float]] = {}
    for at, attributes in queued:
        case_id, due = attributes.get("case_id"), attributes.get("sla_due")
        if not case_id or not due:
            continue
        try:
            value = float(due)
        except ValueError:
            continue
        if case_id not in found or found[case_id][0] <= at:
            found[case_id] = (at, value)
    return {case_id: value for case_id, (_at, value) in found.items()}
