"""The customer directory's state: its records and how each customer event changes them.

:class:`DirectoryState` is the projection :class:`kefu.domain.customers.CustomerDirectory`
builds its commands and queries on; applying the same events rebuilds the same state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from kefu.domain.customers import events as ce
from kefu.domain.customers.errors import UnknownCustomer
from kefu.domain.customers.identifiers import Identifier, IdentifierKind
from kefu.domain.customers.records import ContactRef, Customer, MergeRecord
from kefu.domain.errors import ValidationError

__all__ = ["DirectoryState"]

_Profile = tuple[str, int, str | None]


@dataclass(slots=True)
class _Rec:
    customer_id: str
    name: str
    created_at: float
    seq: int
    idents: dict[Identifier, bool] = field(default_factory=dict)
    value_tier: int = 0
    segment: str | None = None
    merged_into: str | None = None
    contacts: dict[str, ContactRef] = field(default_factory=dict)

    def profile(self) -> _Profile:
        return (self.name, self.value_tier, self.segment)

    def snapshot(self) -> Customer:
        return Customer(
            self.customer_id,
            self.name,
            tuple(sorted(self.idents)),
            frozenset(i for i, v in self.idents.items() if v),
            self.value_tier,
            self.segment,
            self.created_at,
            self.merged_into,
        )

    def verified_kinds(self) -> set[IdentifierKind]:
        return {i.kind for i, v in self.idents.items() if v}


@dataclass(slots=True)
class _Merge:
    record: MergeRecord
    idents: tuple[Identifier, ...]
    contacts: tuple[str, ...]
    before: _Profile
    after: _Profile


class DirectoryState:
    """Customers, identifier and contact owners, and merges, changed only by :meth:`_apply`."""

    def __init__(self) -> None:
        self._recs: dict[str, _Rec] = {}
        self._owner: dict[Identifier, str] = {}
        self._contact_owner: dict[str, str] = {}
        self._merges: dict[str, _Merge] = {}
        self._active_merge_of: dict[str, str] = {}
        self._absorbed: dict[str, set[str]] = {}

    def _apply(self, event: ce.CustomerEvent) -> None:
        if isinstance(event, ce.CustomerCreated):
            seq = len(self._recs)
            self._recs[event.customer_id] = _Rec(event.customer_id, event.name, event.at, seq)
        elif isinstance(event, ce.IdentifierAdded | ce.IdentifierVerified):
            ident = Identifier(IdentifierKind(event.kind), event.value)
            self._recs[event.customer_id].idents[ident] = (
                isinstance(event, ce.IdentifierVerified) or event.verified
            )
            self._owner[ident] = event.customer_id
        elif isinstance(event, ce.CustomerProfileChanged):
            rec = self._recs[event.customer_id]
            rec.name, rec.value_tier, rec.segment = event.name, event.value_tier, event.segment
        elif isinstance(event, ce.ContactRecorded):
            ref = ContactRef(
                event.contact_id,
                event.channel,
                event.contact_at,
                event.summary,
                event.outcome,
                event.conversation_id,
            )
            self._recs[event.customer_id].contacts[event.contact_id] = ref
            self._contact_owner[event.contact_id] = event.customer_id
        elif isinstance(event, ce.CustomersMerged):
            self._apply_merge(event)
        elif isinstance(event, ce.MergeUndone):
            self._apply_undo(event)
        else:
            raise ValidationError(f"not a customer event: {type(event).__name__}")

    def _move(
        self, source: _Rec, target: _Rec, idents: Iterable[Identifier], contacts: Iterable[str]
    ) -> None:
        for ident in idents:
            target.idents[ident] = source.idents.pop(ident)
            self._owner[ident] = target.customer_id
        for contact_id in contacts:
            target.contacts[contact_id] = source.contacts.pop(contact_id)
            self._contact_owner[contact_id] = target.customer_id

    def _apply_merge(self, event: ce.CustomersMerged) -> None:
        s, m = self._recs[event.survivor_id], self._recs[event.merged_id]
        before = s.profile()
        idents, contacts = tuple(m.idents), tuple(m.contacts)
        self._move(m, s, idents, contacts)
        s.value_tier = max(s.value_tier, m.value_tier)
        s.name = s.name or m.name
        s.segment = s.segment if s.segment is not None else m.segment
        m.merged_into = s.customer_id
        record = MergeRecord(
            event.merge_id,
            s.customer_id,
            m.customer_id,
            event.agent_id,
            event.reason,
            event.forced,
            event.at,
        )
        self._merges[event.merge_id] = _Merge(record, idents, contacts, before, s.profile())
        self._active_merge_of[m.customer_id] = event.merge_id
        self._absorbed.setdefault(s.customer_id, set()).add(m.customer_id)

    def _apply_undo(self, event: ce.MergeUndone) -> None:
        merge = self._merges[event.merge_id]
        s, m = self._recs[merge.record.survivor_id], self._recs[merge.record.merged_id]
        self._move(s, m, merge.idents, merge.contacts)
        if s.profile() == merge.after:
            s.name, s.value_tier, s.segment = merge.before
        m.merged_into = None
        del self._active_merge_of[m.customer_id]
        self._absorbed[s.customer_id].discard(m.customer_id)
        merge.record = replace(
            merge.record, undone_at=event.at, undone_by=event.agent_id, undo_reason=event.reason
        )

    def _rec(self, customer_id: str) -> _Rec:
        rec = self._recs.get(customer_id)
        if rec is None:
            raise UnknownCustomer(f"unknown customer {customer_id!r}", customer_id=customer_id)
        return rec
