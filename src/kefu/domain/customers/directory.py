"""Customers: one identity across channels.

A customer holds identifiers of several kinds (phones, e-mails, chat cookies, social handles,
account numbers). An :class:`Identifier` is normalized when built, so "the same identifier" means
equal normalized values:

* e-mail: trimmed and lower-cased (``Zhang.San@Example.COM`` → ``zhang.san@example.com``);
* phone: E.164, ``+`` and digits with the country code. Full-width digits and separators are
  accepted; ``00`` counts as ``+``. A number without ``+``/``00`` is national: one trunk ``0``
  is dropped and the default country code (86) put in front, unless the number already starts
  with that code and has 12 digits or more (gateways send MSISDNs so);
* chat cookie: trimmed, case kept; account number: NFKC, spaces and dashes dropped, upper-cased;
* social: ``platform:handle``, platform lower-cased, handle without a leading ``@``, case-folded.

Linking (:meth:`CustomerDirectory.link`): inbound traffic names one or more identifiers.
None known → a new customer holding them all. Known → the oldest owning customer (the
*primary*). Other owners are merged into the primary automatically unless that would combine
verified identifiers (below); those are reported in ``LinkResult.conflicts`` for an agent to
decide. Identifiers not yet known are added to the primary.

The merge rule: a merge *conflicts* when both customers hold a verified identifier of the same
kind (identifiers are unique, so those are different identifiers of one kind: two verified
phones). A conflicting merge happens only when an agent asks with ``force=True``; otherwise
:class:`IdentifierConflict`. Automatic merges never force.

A merge moves the merged customer's identifiers (verification kept) and timeline to the
survivor; the survivor takes the higher value tier and, when it has none, the other's name
and segment. The merged id stays resolvable to the survivor. Every merge is an audit entry
(who, when, why, forced). Undo puts back exactly what the merge moved; the survivor's profile
returns to its pre-merge values unless it was changed since. Changes made after the merge stay
with the survivor. A merge can be undone only while its survivor is not itself merged away
(undo the later merge first).

Times are seconds; nothing here reads a clock: ``at`` is passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from enum import Enum

from kefu.domain.customers import events as ce
from kefu.domain.customers.errors import (
    IdentifierConflict,
    IdentifierTaken,
    MergeNotUndoable,
    UnknownMerge,
)
from kefu.domain.customers.identifiers import Identifier, IdentifierKind, normalize_identifier
from kefu.domain.customers.names import NameIndex
from kefu.domain.customers.profiles import ProfileBook
from kefu.domain.customers.records import ContactRef, Customer, LinkResult, MergeRecord
from kefu.domain.customers.state import DirectoryState
from kefu.domain.errors import InvalidState, ValidationError

__all__ = [
    "KEEP",
    "ContactRef",
    "Customer",
    "CustomerDirectory",
    "Identifier",
    "IdentifierKind",
    "LinkResult",
    "MergeRecord",
    "normalize_identifier",
]


class _Keep(Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP
"""Pass as ``segment`` to :meth:`CustomerDirectory.set_profile` to leave it unchanged."""


class CustomerDirectory(DirectoryState):
    """Customers, their identifiers, merges and timelines; every change is a
    :mod:`~kefu.domain.customers.events` event in :attr:`events`, and
    :meth:`from_events` rebuilds the same directory."""

    def __init__(self, *, id_prefix: str = "cus-") -> None:
        super().__init__()
        self._prefix = id_prefix
        self.events: list[ce.CustomerEvent] = []
        self.profiles = ProfileBook(self._emit, self.resolve, self.identities)
        """Custom fields, details, consent and products (:mod:`.profiles`)."""
        self._names: NameIndex | None = None
        """Built at the first name search, then kept (see :meth:`named`)."""

    @classmethod
    def from_events(
        cls, events: Iterable[ce.CustomerEvent], *, id_prefix: str = "cus-"
    ) -> CustomerDirectory:
        directory = cls(id_prefix=id_prefix)
        for event in events:
            directory._apply(event)
        return directory

    def _apply(self, event: ce.CustomerEvent) -> None:
        if not self.profiles.apply(event):
            super()._apply(event)
        names = getattr(self, "_names", None)  # a snapshot from before it has none
        if names is not None:
            if isinstance(event, ce.CustomerCreated | ce.CustomerProfileChanged):
                names.add(event.customer_id, self._recs[event.customer_id].name)
            elif isinstance(event, ce.CustomersMerged):  # the survivor may take the name
                names.add(event.survivor_id, self._recs[event.survivor_id].name)

    def apply(self, event: ce.CustomerEvent) -> None:
        """Apply a stored ``event`` (read back from the log; it is not emitted again)."""
        self._apply(event)

    # -- queries -------------------------------------------------------------------------

    def resolve(self, customer_id: str) -> str:
        """The live customer id behind ``customer_id`` (following merges)."""
        rec = self._rec(customer_id)
        while rec.merged_into is not None:
            rec = self._recs[rec.merged_into]
        return rec.customer_id

    def identities(self, customer_id: str) -> tuple[str, ...]:
        """The resolved customer's id and every id merged into it (transitively), sorted:
        the ids its older records (conversations, contacts) may carry."""
        out, todo = [], [self.resolve(customer_id)]
        while todo:
            cid = todo.pop()
            out.append(cid)
            todo.extend(self._absorbed.get(cid, ()))
        return tuple(sorted(out))

    def get(self, customer_id: str) -> Customer:
        """The customer as recorded (a merged one shows ``merged_into``)."""
        return self._rec(customer_id).snapshot()

    def find(self, identifier: Identifier) -> Customer | None:
        """The live customer holding ``identifier``, or ``None``."""
        owner = self._owner.get(identifier)
        return None if owner is None else self._recs[owner].snapshot()

    def named(self, text: str) -> list[str]:
        """The ids of the customers (merged ones too) whose name contains ``text``
        (case-folded, not empty), in no set order. The name index is built at the first
        call (one pass over the customers), then kept with each event."""
        names = getattr(self, "_names", None)
        if names is None:
            names = self._names = NameIndex()
            for rec in self._recs.values():
                names.add(rec.customer_id, rec.name)
        recs = self._recs
        return [c for c in names.candidates(text) if text in recs[c].name.casefold()]

    def name_of(self, customer_id: str) -> str:
        """The name recorded for ``customer_id`` (merged ones keep theirs; empty if
        unknown)."""
        rec = self._recs.get(customer_id)
        return "" if rec is None else rec.name

    def customers(self) -> Iterator[Customer]:
        """Live customers (not merged away), in creation order."""
        for rec in self._recs.values():
            if rec.merged_into is None:
                yield rec.snapshot()

    def timeline(self, customer_id: str, *, limit: int | None = None) -> tuple[ContactRef, ...]:
        """Every contact of the (resolved) customer across channels, newest first; equal
        instants keep the later-recorded contact first."""
        rec = self._recs[self.resolve(customer_id)]
        order = {cid: n for n, cid in enumerate(rec.contacts)}
        refs = sorted(rec.contacts.values(), key=lambda r: (-r.at, -order[r.contact_id]))
        return tuple(refs if limit is None else refs[:limit])

    def audit(self, customer_id: str | None = None) -> tuple[MergeRecord, ...]:
        """Merge entries in order, all or those naming ``customer_id``."""
        return tuple(
            m.record
            for m in self._merges.values()
            if customer_id is None or customer_id in (m.record.survivor_id, m.record.merged_id)
        )

    def merge_conflicts(self, survivor_id: str, merged_id: str) -> tuple[IdentifierKind, ...]:
        """The kinds both customers hold a verified identifier of (a merge needs ``force``)."""
        a, b = self._recs[self.resolve(survivor_id)], self._recs[self.resolve(merged_id)]
        return tuple(sorted(a.verified_kinds() & b.verified_kinds()))

    # -- commands ------------------------------------------------------------------------

    def create(self, *, at: float, name: str = "", customer_id: str | None = None) -> str:
        """A new customer without identifiers; returns its id."""
        if customer_id is None:
            customer_id = self._next_id()
        elif not customer_id.strip() or customer_id in self._recs:
            raise ValidationError(f"customer id {customer_id!r} is empty or taken")
        self._emit(ce.CustomerCreated(at, customer_id, name))
        return customer_id

    def link(
        self,
        identifiers: Iterable[Identifier],
        *,
        at: float,
        name: str = "",
        verified: Iterable[Identifier] = (),
    ) -> LinkResult:
        """Link inbound traffic naming ``identifiers`` to a customer (see the module doc).
        ``verified`` lists those the channel proved (e.g. a logged-in account)."""
        idents = list(dict.fromkeys(identifiers))
        proven = set(verified)
        if not idents:
            raise ValidationError("inbound traffic needs at least one identifier to link")
        owners = list(dict.fromkeys(self._owner[i] for i in idents if i in self._owner))
        if not owners:
            customer_id = self.create(at=at, name=name)
            for ident in idents:
                self._emit(ce.IdentifierAdded(at, customer_id, ident.kind, ident.value, False))
            self._verify_all(customer_id, idents, proven, at)
            return LinkResult(customer_id, True, tuple(idents))
        owners.sort(key=lambda cid: self._recs[cid].seq)
        primary, merges, conflicts = owners[0], [], []
        for other in owners[1:]:
            if self.merge_conflicts(primary, other):
                conflicts.append(other)
            else:
                reason = "automatic: one inbound contact named identifiers of both"
                merges.append(self._merge(primary, other, None, reason, False, at))
        added = tuple(i for i in idents if i not in self._owner)
        for ident in added:
            self._emit(ce.IdentifierAdded(at, primary, ident.kind, ident.value, False))
        self._verify_all(primary, idents, proven, at)
        return LinkResult(primary, False, added, tuple(merges), tuple(conflicts))

    def add_identifier(
        self, customer_id: str, identifier: Identifier, *, at: float, verified: bool = False
    ) -> None:
        """Give the customer ``identifier``; :class:`IdentifierTaken` if another holds it."""
        cid = self.resolve(customer_id)
        owner = self._owner.get(identifier)
        if owner is not None and owner != cid:
            raise IdentifierTaken(
                f"{identifier} already belongs to customer {owner}; merge the customers instead",
                identifier=str(identifier),
                customer_id=owner,
            )
        if owner is None:
            self._emit(ce.IdentifierAdded(at, cid, identifier.kind, identifier.value, verified))
        elif verified:
            self.verify_identifier(cid, identifier, at=at)

    def verify_identifier(self, customer_id: str, identifier: Identifier, *, at: float) -> None:
        """Mark ``identifier`` of the customer verified (no change if it already is)."""
        cid = self.resolve(customer_id)
        if self._owner.get(identifier) != cid:
            raise ValidationError(f"customer {cid} does not hold {identifier}", customer_id=cid)
        if not self._recs[cid].idents[identifier]:
            self._emit(ce.IdentifierVerified(at, cid, identifier.kind, identifier.value))

    def set_profile(
        self,
        customer_id: str,
        *,
        at: float,
        name: str | None = None,
        value_tier: int | None = None,
        segment: str | _Keep | None = KEEP,
    ) -> None:
        """Change the display name, value tier (integer ≥ 0) or segment; omitted ones stay."""
        rec = self._recs[self.resolve(customer_id)]
        tier = rec.value_tier if value_tier is None else value_tier
        if isinstance(tier, bool) or not isinstance(tier, int) or tier < 0:
            raise ValidationError(f"value_tier must be an integer ≥ 0, got {value_tier!r}")
        new_segment = rec.segment if segment is KEEP else segment
        new_name = rec.name if name is None else name
        if (new_name, tier, new_segment) != rec.profile():
            self._emit(ce.CustomerProfileChanged(at, rec.customer_id, new_name, tier, new_segment))

    def record_contact(self, customer_id: str, ref: ContactRef, *, at: float) -> None:
        """Put a contact on the customer's timeline. Recording a known contact id again
        updates its entry where it is (e.g. to set the outcome)."""
        owner = self._contact_owner.get(ref.contact_id) or self.resolve(customer_id)
        self._emit(
            ce.ContactRecorded(
                at,
                owner,
                ref.contact_id,
                ref.channel,
                ref.at,
                ref.summary,
                ref.outcome,
                ref.conversation_id,
            )
        )

    def merge(
        self,
        survivor_id: str,
        merged_id: str,
        *,
        agent_id: str,
        reason: str,
        at: float,
        force: bool = False,
    ) -> str:
        """An agent merges ``merged_id`` into ``survivor_id``; returns the merge id.
        :class:`IdentifierConflict` when both hold verified identifiers of one kind and
        ``force`` is not given."""
        if not agent_id.strip() or not reason.strip():
            raise ValidationError("a merge needs the agent's id and a reason for the audit")
        for cid in (survivor_id, merged_id):
            into = self._rec(cid).merged_into
            if into is not None:
                raise InvalidState(f"customer {cid} was merged into {into} already", into=into)
        if survivor_id == merged_id:
            raise ValidationError(f"cannot merge customer {survivor_id} with itself")
        kinds = self.merge_conflicts(survivor_id, merged_id)
        if kinds and not force:
            raise IdentifierConflict(
                f"both customers hold verified identifiers of kind "
                f"{', '.join(k.value for k in kinds)}; an agent must merge with force",
                kinds=[k.value for k in kinds],
                survivor_id=survivor_id,
                merged_id=merged_id,
            )
        return self._merge(survivor_id, merged_id, agent_id, reason, bool(kinds), at)

    def undo_merge(self, merge_id: str, *, agent_id: str, reason: str, at: float) -> None:
        """Split a merge again (see the module doc for what is restored)."""
        merge = self._merges.get(merge_id)
        if merge is None:
            raise UnknownMerge(f"unknown merge {merge_id!r}", merge_id=merge_id)
        if merge.record.undone_at is not None:
            raise MergeNotUndoable(f"merge {merge_id} was undone already", merge_id=merge_id)
        later = self._active_merge_of.get(merge.record.survivor_id)
        if later is not None:
            raise MergeNotUndoable(
                f"customer {merge.record.survivor_id} was merged again by {later}; undo that first",
                merge_id=merge_id,
                blocking_merge_id=later,
            )
        if not agent_id.strip() or not reason.strip():
            raise ValidationError("undoing a merge needs the agent's id and a reason")
        self._emit(ce.MergeUndone(at, merge_id, agent_id, reason))

    # -- events --------------------------------------------------------------------------

    def _merge(
        self, survivor: str, merged: str, agent: str | None, reason: str, forced: bool, at: float
    ) -> str:
        merge_id = f"mrg-{len(self._merges) + 1:06d}"
        self._emit(ce.CustomersMerged(at, merge_id, survivor, merged, agent, reason, forced))
        return merge_id

    def _verify_all(
        self, customer_id: str, idents: list[Identifier], proven: set[Identifier], at: float
    ) -> None:
        for ident in idents:
            if ident in proven and self._owner.get(ident) == customer_id:
                self.verify_identifier(customer_id, ident, at=at)

    def _emit(self, event: ce.CustomerEvent) -> None:
        self._apply(event)
        self.events.append(event)

    # -- helpers -------------------------------------------------------------------------

    def _next_id(self) -> str:
        n = len(self._recs) + 1
        while f"{self._prefix}{n:06d}" in self._recs:
            n += 1
        return f"{self._prefix}{n:06d}"
