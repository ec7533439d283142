"""The customer record's commands and their handlers: custom field definitions (admins),
the profile an agent or supervisor edits (name, language, notes, custom fields), the
consent to SMS and e-mail, products (one or many, all or nothing) and product events.

Each handler checks everything before it changes anything, records customer events in the
directory (stored with the command, replayed at start) and writes an audit entry. Who may
call is the caller's check (:mod:`kefu.service.channels.customer_access`); which fields a
role may edit is checked here (:class:`~kefu.service.errors.Forbidden` naming the field).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from kefu.domain.customers import FieldDef, Identifier, IdentifierKind, Product, ProductTaken
from kefu.domain.errors import ValidationError
from kefu.service.channels.state import ChannelState
from kefu.service.commands import Command
from kefu.service.errors import Forbidden
from kefu.service.transaction import Handler, Transaction

__all__ = [
    "DefineCustomerField",
    "ProfileHandlers",
    "RecordProductEvent",
    "RecordProducts",
    "SetContactConsent",
    "UpdateCustomer",
]


@dataclass(frozen=True, slots=True)
class DefineCustomerField(Command):
    """An admin defines (or redefines) a custom field of the customer record."""

    definition: FieldDef
    by: str


@dataclass(frozen=True, slots=True)
class UpdateCustomer(Command):
    """Edit the customer's profile: each of ``name``, ``language``, ``notes`` when not
    ``None``; ``fields`` as (name, value) pairs, an empty value clearing the field.
    ``role`` is the editor's (a field's ``editable_by``)."""

    customer_id: str
    by: str
    role: str
    name: str | None = None
    language: str | None = None
    notes: str | None = None
    fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SetContactConsent(Command):
    """May the center contact the customer on ``channel`` (``sms``, ``email``)."""

    customer_id: str
    channel: str
    allowed: bool
    by: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RecordProducts(Command):
    """Products of customers, new or changed: every one is stored or none."""

    products: tuple[Product, ...]
    by: str


@dataclass(frozen=True, slots=True)
class RecordProductEvent(Command):
    """Something happened to a product (``kind``: a failed payment, a blocked card ...)."""

    customer_id: str
    number: str
    kind: str
    by: str
    detail: str = ""


class ProfileHandlers:
    """The handlers over one channel state."""

    def __init__(self, state: ChannelState) -> None:
        self.state = state

    def table(self) -> dict[type[Command], Handler]:
        return {
            DefineCustomerField: self.define_field,
            UpdateCustomer: self.update,
            SetContactConsent: self.consent,
            RecordProducts: self.products,
            RecordProductEvent: self.product_event,
        }

    async def define_field(self, tx: Transaction, cmd: DefineCustomerField) -> bool:
        profiles = self.state.directory.profiles
        before = profiles.fields.get(cmd.definition.name)
        changed = profiles.define_field(cmd.definition, by=cmd.by, at=tx.now)
        if changed:
            d = cmd.definition
            after = {
                "kind": d.kind.value,
                "label_en": d.label_en,
                "label_zh": d.label_zh,
                "choices": list(d.choices),
                "editable_by": list(d.editable_by),
            }
            old = None if before is None else {"kind": before.kind.value}
            tx.audit("customer_field.define", "customer_field", d.name, None, old, after)
        return changed

    async def update(self, tx: Transaction, cmd: UpdateCustomer) -> bool:
        directory = self.state.directory
        profiles = directory.profiles
        live = directory.resolve(cmd.customer_id)
        values = dict(cmd.fields)
        profiles.check_values(values)  # 422 naming the field, before the role check
        for name in values:
            if not profiles.fields[name].may_edit(cmd.role):
                raise Forbidden(
                    f"a {cmd.role} may not edit the field {name}",
                    text_key="error.field_not_editable",
                    field=name,
                )
        if cmd.name is not None and (not cmd.name.strip() or len(cmd.name) > 200):
            raise ValidationError("name: 1-200 characters", text_key="error.customer_name")
        before = self._shown(live)
        changed = profiles.edit(
            live,
            at=tx.now,
            by=cmd.by,
            language=cmd.language,
            notes=cmd.notes,
            values={k: v or None for k, v in values.items()},
        )
        if cmd.name is not None and cmd.name.strip() != directory.get(live).name:
            directory.set_profile(live, at=tx.now, name=cmd.name.strip())
            changed = True
        if changed:
            tx.audit("customer.update", "customer", live, None, before, self._shown(live))
        return changed

    def _shown(self, live: str) -> dict[str, Any]:
        details = self.state.directory.profiles.details(live)
        return {
            "name": self.state.directory.get(live).name,
            "language": details.language,
            "notes": details.notes,
            "fields": dict(details.fields),
        }

    async def consent(self, tx: Transaction, cmd: SetContactConsent) -> bool:
        directory = self.state.directory
        live = directory.resolve(cmd.customer_id)
        changed = directory.profiles.set_consent(
            live, cmd.channel, cmd.allowed, at=tx.now, by=cmd.by, reason=cmd.reason
        )
        if changed:
            tx.audit(
                "customer.consent",
                "customer",
                live,
                None,
                {cmd.channel: not cmd.allowed},
                {cmd.channel: cmd.allowed, "reason": cmd.reason[:200]},
            )
        return changed

    async def products(self, tx: Transaction, cmd: RecordProducts) -> int:
        """Returns how many products were new or changed. A product's ``customer_id`` is a
        customer id or an identifier ``kind:value``; an identifier nobody holds yet makes
        a new customer holding it."""
        directory = self.state.directory
        profiles = directory.profiles
        owners: dict[str, str | Identifier] = {}
        for product in cmd.products:  # every check before the first change
            who = self._customer_of(product.customer_id)
            holder = profiles.owner_of(product.number)
            if holder is not None and holder != who:
                raise ProductTaken(
                    f"product {product.masked} belongs to another customer",
                    text_key="error.product_taken",
                    number=product.masked,
                )
            if owners.setdefault(product.number, who) != who:
                raise ValidationError(
                    f"product {product.masked} is given for two customers",
                    text_key="error.product_twice",
                    number=product.masked,
                )
        made: dict[Identifier, str] = {}
        changed = 0
        for product in cmd.products:
            who = owners[product.number]
            if isinstance(who, Identifier):
                if who not in made:
                    made[who] = directory.link([who], at=tx.now).customer_id
                who = made[who]
            changed += profiles.record_product(replace(product, customer_id=who), at=tx.now)
        if changed:
            tx.audit(
                "customer.products",
                "customer",
                "*",
                None,
                None,
                {"products": changed, "new_customers": len(made)},
            )
        return changed

    def _customer_of(self, ref: str) -> str | Identifier:
        """The live customer named by ``ref``, or the identifier of one to create."""
        directory = self.state.directory
        kind, sep, value = ref.partition(":")
        if sep and kind in set(IdentifierKind):
            ident = Identifier(IdentifierKind(kind), value)  # InvalidIdentifier: 422
            found = directory.find(ident)
            return ident if found is None else found.customer_id
        return directory.resolve(ref)  # UnknownCustomer: 404

    async def product_event(self, tx: Transaction, cmd: RecordProductEvent) -> None:
        directory = self.state.directory
        live = directory.resolve(cmd.customer_id)
        directory.profiles.record_product_event(
            live, cmd.number, cmd.kind, at=tx.now, detail=cmd.detail
        )
