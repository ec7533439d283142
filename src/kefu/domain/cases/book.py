"""Cases: the process owner's record of one problem, event-sourced like the router.

A :class:`CaseBook` checks each command, turns it into a :mod:`~kefu.domain.cases.events`
event, applies it and appends it to :attr:`CaseBook.log`; :meth:`CaseBook.replay` rebuilds the
same book from that log. A :class:`Case` is an immutable snapshot; :func:`apply_event` is the
one fold that both paths use, so replay cannot drift from live behaviour.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from kefu.domain.cases import events as cev
from kefu.domain.cases.errors import (
    CaseAlreadyExists,
    CaseTypeRetired,
    ResolutionIncomplete,
    UnknownCase,
    UnknownCaseType,
)
from kefu.domain.cases.states import CaseState, check_transition
from kefu.domain.cases.types import CaseType, FieldValue
from kefu.domain.errors import ValidationError

__all__ = ["LINK_KINDS", "OWNER_KINDS", "Case", "CaseBook", "CaseLink", "CaseNote", "apply_event"]

OWNER_KINDS = frozenset({"agent", "team"})
LINK_KINDS = frozenset({"conversation", "contact", "work_item", "case"})
# The values of kefu.domain.cases.sla's SlaClock and EscalationAction (sla imports this
# module, so the names are repeated here rather than imported).
_CLOCKS = frozenset({"first_response", "resolution"})
_ACTIONS = frozenset({"notify", "raise_priority", "reassign"})


@dataclass(frozen=True, slots=True)
class CaseLink:
    kind: str
    target_id: str
    channel: str | None
    at: float


@dataclass(frozen=True, slots=True)
class CaseNote:
    note_id: str
    author: str
    text: str
    internal: bool
    at: float


@dataclass(frozen=True, slots=True)
class Case:
    """One case as of its last event. ``history`` lists ``(instant, state)`` from opening on;
    ``escalations`` the ``(clock, step)`` pairs already taken. Times are seconds."""

    case_id: str
    case_type: str
    customer_id: str | None
    site_id: str
    title: str
    value_tier: int
    priority: int
    fields: Mapping[str, FieldValue]
    state: CaseState
    owner_kind: str | None
    owner_id: str | None
    departments: tuple[str, ...]
    waiting_on: str | None
    links: tuple[CaseLink, ...]
    notes: tuple[CaseNote, ...]
    opened_at: float
    updated_at: float
    first_response_at: float | None
    root_cause: str | None
    resolution: str | None
    history: tuple[tuple[float, CaseState], ...]
    escalations: frozenset[tuple[str, int]]

    @property
    def reopen_count(self) -> int:
        return sum(1 for _at, state in self.history if state is CaseState.REOPENED)


def apply_event(case: Case | None, e: cev.CaseEvent) -> Case:
    """The case after ``e`` (``case`` is ``None`` only for :class:`CaseOpened`)."""
    if isinstance(e, cev.CaseOpened):
        return Case(
            e.case_id, e.case_type, e.customer_id, e.site_id, e.title, e.value_tier, e.priority,
            MappingProxyType(dict(e.fields)), CaseState.NEW, e.owner_kind, e.owner_id, (), None,
            (), (), e.at, e.at, None, None, None, ((e.at, CaseState.NEW),), frozenset(),
        )  # fmt: skip
    if case is None:
        raise UnknownCase(f"unknown case {e.case_id}", case_id=e.case_id)
    case = replace(case, updated_at=e.at)
    if isinstance(e, cev.CaseStateChanged):
        state = CaseState(e.to_state)
        departments = case.departments
        if e.department is not None and e.department not in departments:
            departments = (*departments, e.department)
        return replace(
            case,
            state=state,
            waiting_on=e.department if state is CaseState.WAITING_ON_DEPARTMENT else None,
            departments=departments,
            root_cause=e.root_cause if e.root_cause is not None else case.root_cause,
            resolution=e.resolution if e.resolution is not None else case.resolution,
            history=(*case.history, (e.at, state)),
        )
    if isinstance(e, cev.CaseAssigned):
        return replace(case, owner_kind=e.owner_kind, owner_id=e.owner_id)
    if isinstance(e, cev.CaseDepartmentInvolved):
        if e.department in case.departments:
            return case
        return replace(case, departments=(*case.departments, e.department))
    if isinstance(e, cev.CaseLinked):
        return replace(case, links=(*case.links, CaseLink(e.kind, e.target_id, e.channel, e.at)))
    if isinstance(e, cev.CaseNoteAdded):
        note = CaseNote(e.note_id, e.author, e.text, e.internal, e.at)
        return replace(case, notes=(*case.notes, note))
    if isinstance(e, cev.CaseFieldsChanged):
        return replace(case, fields=MappingProxyType({**case.fields, **e.fields}))
    if isinstance(e, cev.CaseClassified):
        return replace(case, case_type=e.case_type, value_tier=e.value_tier)
    if isinstance(e, cev.CaseResponded):
        if case.first_response_at is not None:
            return case
        return replace(case, first_response_at=e.at)
    if isinstance(e, cev.CasePriorityChanged):
        return replace(case, priority=e.priority)
    if isinstance(e, cev.CaseEscalated):
        return replace(case, escalations=case.escalations | {(e.clock, e.step)})
    raise ValidationError(f"unhandled case event {type(e).__name__}")


class CaseBook:
    """All cases of a center, with the case types they may use (``types`` by ``type_id``)."""

    def __init__(self, types: Iterable[CaseType]) -> None:
        self.types: dict[str, CaseType] = {t.type_id: t for t in types}
        self.cases: dict[str, Case] = {}
        self.log: list[cev.CaseEvent] = []

    @classmethod
    def replay(cls, types: Iterable[CaseType], events: Iterable[cev.CaseEvent]) -> CaseBook:
        """The book that produced ``events`` (no checks: the log is the truth)."""
        book = cls(types)
        for e in events:
            book._apply(e)
        return book

    def case(self, case_id: str) -> Case:
        found = self.cases.get(case_id)
        if found is None:
            raise UnknownCase(f"unknown case {case_id}", case_id=case_id)
        return found

    # -- commands -------------------------------------------------------------------------

    def new_case(
        self,
        case_id: str,
        case_type: str,
        at: float,
        *,
        site_id: str,
        title: str,
        by: str,
        customer_id: str | None = None,
        value_tier: int = 0,
        priority: int = 0,
        fields: Mapping[str, Any] | None = None,
        owner: tuple[str, str] | None = None,
    ) -> Case:
        """A new case in state ``new``; ``owner`` is ``("agent"|"team", id)``."""
        if case_id in self.cases:
            raise CaseAlreadyExists(f"case {case_id} already exists", case_id=case_id)
        kind = self._type(case_type, new=True)
        if not title.strip():
            raise ValidationError("a case needs a title")
        if value_tier < 0:
            raise ValidationError(f"value tier must be >= 0, got {value_tier}")
        checked = kind.validate_fields(fields or {})
        owner_kind, owner_id = self._owner(owner) if owner is not None else (None, None)
        return self._emit(
            cev.CaseOpened(
                at,
                case_id,
                case_type,
                customer_id,
                site_id,
                title.strip(),
                value_tier,
                priority,
                checked,
                owner_kind,
                owner_id,
                by,
            )
        )

    def move(
        self,
        case_id: str,
        to: CaseState,
        at: float,
        *,
        by: str,
        reason: str = "",
        department: str | None = None,
        root_cause: str | None = None,
        resolution: str | None = None,
    ) -> Case:
        """Change state along the transition table. Waiting on a department names it;
        resolving a type that needs it (complaints) needs a root cause and a resolution."""
        case = self._at(case_id, at)
        check_transition(case_id, case.state, to, reason)
        if (to is CaseState.WAITING_ON_DEPARTMENT) != (department is not None):
            raise ValidationError("a department goes with (and only with) waiting on department")
        complete = bool((root_cause or "").strip() and (resolution or "").strip())
        if (
            to is CaseState.RESOLVED
            and self._type(case.case_type).needs_root_cause
            and not complete
        ):
            raise ResolutionIncomplete(
                f"case {case_id} ({case.case_type}) needs a root cause and a resolution",
                case_id=case_id,
            )
        if to is not CaseState.RESOLVED and (root_cause is not None or resolution is not None):
            raise ValidationError("root cause and resolution are given when resolving")
        return self._emit(
            cev.CaseStateChanged(
                at,
                case_id,
                case.state.value,
                to.value,
                reason.strip(),
                by,
                department,
                root_cause.strip() if root_cause else None,
                resolution.strip() if resolution else None,
            )
        )

    def assign(
        self, case_id: str, owner: tuple[str, str], at: float, *, by: str, reason: str = ""
    ) -> Case:
        owner_kind, owner_id = self._owner(owner)
        self._open_case(case_id, at)
        return self._emit(cev.CaseAssigned(at, case_id, owner_kind, owner_id, by, reason))

    def involve(self, case_id: str, department: str, at: float, *, by: str) -> Case:
        if not department.strip():
            raise ValidationError("a department needs an id")
        self._open_case(case_id, at)
        return self._emit(cev.CaseDepartmentInvolved(at, case_id, department, by))

    def link(
        self,
        case_id: str,
        kind: str,
        target_id: str,
        at: float,
        *,
        by: str,
        channel: str | None = None,
    ) -> Case:
        """Link a conversation, contact, work item or other case (each once)."""
        if kind not in LINK_KINDS:
            raise ValidationError(f"unknown link kind {kind!r}", kind=kind)
        case = self._at(case_id, at)
        if any(lk.kind == kind and lk.target_id == target_id for lk in case.links):
            raise ValidationError(f"{kind} {target_id} is already linked to case {case_id}")
        return self._emit(cev.CaseLinked(at, case_id, kind, target_id, channel, by))

    def note(
        self,
        case_id: str,
        note_id: str,
        text: str,
        at: float,
        *,
        author: str,
        internal: bool = True,
    ) -> Case:
        if not text.strip():
            raise ValidationError("a note needs text")
        self._at(case_id, at)
        return self._emit(cev.CaseNoteAdded(at, case_id, note_id, author, text, internal))

    def set_fields(self, case_id: str, values: Mapping[str, Any], at: float, *, by: str) -> Case:
        case = self._open_case(case_id, at)
        checked = self._type(case.case_type).validate_fields(values, partial=True)
        return self._emit(cev.CaseFieldsChanged(at, case_id, checked, by))

    def classify(
        self, case_id: str, case_type: str, value_tier: int, at: float, *, by: str
    ) -> Case:
        """A new type or value tier; the new type's required fields must already be set."""
        case = self._open_case(case_id, at)
        if value_tier < 0:
            raise ValidationError(f"value tier must be >= 0, got {value_tier}")
        self._type(case_type, new=case_type != case.case_type).validate_fields(case.fields)
        return self._emit(cev.CaseClassified(at, case_id, case_type, value_tier, by))

    def respond(self, case_id: str, at: float, *, by: str, channel: str) -> Case:
        """An agent answered the customer on ``channel``."""
        self._open_case(case_id, at)
        return self._emit(cev.CaseResponded(at, case_id, by, channel))

    def set_priority(self, case_id: str, priority: int, at: float, *, by: str, reason: str) -> Case:
        self._open_case(case_id, at)
        return self._emit(cev.CasePriorityChanged(at, case_id, priority, by, reason))

    def escalate(
        self, case_id: str, clock: str, step: int, action: str, at: float, *, to: str | None = None
    ) -> Case:
        """Record an escalation step (see :func:`kefu.domain.cases.sla.evaluate`) and apply its
        effect: ``raise_priority`` adds 1, ``reassign`` gives the case to team ``to``."""
        case = self._open_case(case_id, at)
        if clock not in _CLOCKS or action not in _ACTIONS:
            raise ValidationError(
                f"unknown escalation {clock}/{action}", clock=clock, action=action
            )
        if (clock, step) in case.escalations:
            raise ValidationError(f"escalation {clock}/{step} of case {case_id} was already taken")
        if action == "reassign" and not to:
            raise ValidationError("a reassignment needs a team")
        self._emit(cev.CaseEscalated(at, case_id, clock, step, action, to))
        if action == "raise_priority":
            self._emit(
                cev.CasePriorityChanged(at, case_id, case.priority + 1, "system", f"sla:{clock}")
            )
        elif action == "reassign" and to is not None:
            self._emit(cev.CaseAssigned(at, case_id, "team", to, "system", f"sla:{clock}"))
        return self.case(case_id)

    # -- internals -------------------------------------------------------------------------

    def _type(self, type_id: str, *, new: bool = False) -> CaseType:
        """The type ``type_id``; ``new``: a case is given it now (a retired type refuses)."""
        found = self.types.get(type_id)
        if found is None:
            raise UnknownCaseType(f"unknown case type {type_id}", case_type=type_id)
        if new and found.retired:
            raise CaseTypeRetired(
                f"case type {type_id} is retired",
                text_key="error.case_type_retired",
                case_type=type_id,
            )
        return found

    @staticmethod
    def _owner(owner: tuple[str, str]) -> tuple[str, str]:
        kind, owner_id = owner
        if kind not in OWNER_KINDS or not owner_id:
            raise ValidationError(f"an owner is ('agent' or 'team', id), got {owner!r}")
        return kind, owner_id

    def _at(self, case_id: str, at: float) -> Case:
        case = self.case(case_id)
        if at < case.updated_at:
            raise ValidationError(
                f"case {case_id} changed at {case.updated_at} s; {at} s is earlier",
                case_id=case_id,
            )
        return case

    def _open_case(self, case_id: str, at: float) -> Case:
        """The case, refusing changes to a closed one (only notes and links may follow)."""
        case = self._at(case_id, at)
        if case.state is CaseState.CLOSED:
            raise ValidationError(f"case {case_id} is closed", case_id=case_id)
        return case

    def _emit(self, e: cev.CaseEvent) -> Case:
        self.log.append(e)
        return self._apply(e)

    def _apply(self, e: cev.CaseEvent) -> Case:
        case = apply_event(self.cases.get(e.case_id), e)
        self.cases[e.case_id] = case
        return case
