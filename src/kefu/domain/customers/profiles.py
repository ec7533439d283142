"""The customer record's profile part: custom field definitions, each customer's details
(language, notes, field values, consent) and products, changed only by customer events
(:mod:`kefu.domain.customers.events`), so the directory's log rebuilds them.

Records stay under the customer id they were made for; reads take every id merged into
the live customer (``identities``): its products are all of theirs, a field or the language
missing on the survivor is taken from a merged customer, and a channel is allowed only when
none of them refused it (consent is never widened by a merge). Times are seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from kefu.domain.customers import events as ce
from kefu.domain.customers.errors import ProductTaken
from kefu.domain.customers.profile import (
    CONSENT_CHANNELS,
    NOTES_MAX,
    PRODUCT_EVENTS,
    Consent,
    FieldDef,
    FieldKind,
    InvalidFieldValue,
    Product,
    ProductEvent,
    ProfileDetails,
    normalize_number,
)
from kefu.domain.errors import ValidationError

__all__ = ["LANGUAGES", "ProfileBook"]

LANGUAGES = ("", "zh", "en")
PROFILE_EVENTS = (
    ce.CustomerFieldDefined,
    ce.CustomerDetailsChanged,
    ce.ConsentChanged,
    ce.ProductRecorded,
    ce.ProductEventRecorded,
)


class ProfileBook:
    """Field definitions, details and products; ``emit`` records and applies an event,
    ``resolve`` gives the live id and ``identities`` every id of a live customer."""

    def __init__(
        self,
        emit: Callable[[ce.CustomerEvent], None],
        resolve: Callable[[str], str],
        identities: Callable[[str], Iterable[str]],
    ) -> None:
        self._emit = emit
        self._resolve = resolve
        self._identities = identities
        self.fields: dict[str, FieldDef] = {}
        self._details: dict[str, ProfileDetails] = {}
        self._products: dict[str, dict[str, Product]] = {}
        self._owner: dict[str, str] = {}
        self._events: dict[str, list[ProductEvent]] = {}

    # -- events --------------------------------------------------------------------------
    def apply(self, e: ce.CustomerEvent) -> bool:
        """Apply ``e`` if it is a profile event; False otherwise."""
        if isinstance(e, ce.CustomerFieldDefined):
            self.fields[e.name] = FieldDef(
                e.name, e.label_en, e.label_zh, FieldKind(e.kind), e.choices, e.editable_by
            )
        elif isinstance(e, ce.CustomerDetailsChanged):
            old = self._details.get(e.customer_id, ProfileDetails())
            self._details[e.customer_id] = replace(
                old, language=e.language, notes=e.notes, fields=dict(e.fields)
            )
        elif isinstance(e, ce.ConsentChanged):
            old = self._details.get(e.customer_id, ProfileDetails())
            consent = replace(old.consent, **{e.channel: e.allowed})
            self._details[e.customer_id] = replace(old, consent=consent)
        elif isinstance(e, ce.ProductRecorded):
            product = Product(e.customer_id, e.number, e.kind, e.opened, e.status, e.balance)
            self._products.setdefault(e.customer_id, {})[e.number] = product
            self._owner[e.number] = e.customer_id
        elif isinstance(e, ce.ProductEventRecorded):
            event = ProductEvent(e.customer_id, e.number, e.kind, e.at, e.detail)
            self._events.setdefault(e.customer_id, []).append(event)
        else:
            return False
        return True

    # -- queries -------------------------------------------------------------------------
    def details(self, customer_id: str) -> ProfileDetails:
        """The live customer's details over its merged ids (module doc)."""
        live = self._resolve(customer_id)
        own = self._details.get(live, ProfileDetails())
        others = [self._details[i] for i in self._identities(live) if i in self._details]
        fields: dict[str, str] = {}
        language, sms, email = own.language, True, True
        for d in others:
            for name, value in d.fields.items():
                fields.setdefault(name, value)
            language = language or d.language
            sms, email = sms and d.consent.sms, email and d.consent.email
        fields.update(own.fields)
        return ProfileDetails(language, own.notes, fields, Consent(sms, email))

    def products(self, customer_id: str) -> tuple[Product, ...]:
        """Every product of the live customer, by number."""
        out = [
            p
            for i in self._identities(self._resolve(customer_id))
            for p in self._products.get(i, {}).values()
        ]
        return tuple(sorted(out, key=lambda p: p.number))

    def product_events(self, customer_id: str) -> tuple[ProductEvent, ...]:
        """The live customer's product events, oldest first."""
        ids = self._identities(self._resolve(customer_id))
        return tuple(sorted((e for i in ids for e in self._events.get(i, ())), key=lambda e: e.at))

    def owner_of(self, number: str) -> str | None:
        """The live customer holding the product ``number``, or ``None``."""
        owner = self._owner.get(normalize_number(number))
        return None if owner is None else self._resolve(owner)

    def numbers(self, customer_id: str) -> tuple[str, ...]:
        return tuple(p.number for p in self.products(customer_id))

    # -- commands ------------------------------------------------------------------------
    def define_field(self, definition: FieldDef, *, by: str, at: float) -> bool:
        """Define (or redefine) a field; False when nothing changes."""
        if self.fields.get(definition.name) == definition:
            return False
        d = definition
        self._emit(
            ce.CustomerFieldDefined(
                at, d.name, d.label_en, d.label_zh, d.kind.value, d.choices, d.editable_by, by
            )
        )
        return True

    def check_values(self, values: Mapping[str, str | None]) -> dict[str, str | None]:
        """The values as stored (``None``: clear the field); :class:`InvalidFieldValue`
        naming the first field that is unknown or does not fit."""
        out: dict[str, str | None] = {}
        for name, value in values.items():
            definition = self.fields.get(name)
            if definition is None:
                raise InvalidFieldValue(
                    f"no custom field {name!r}", text_key="error.unknown_field", field=name
                )
            out[name] = None if value is None or value == "" else definition.check(value)
        return out

    def edit(
        self,
        customer_id: str,
        *,
        at: float,
        by: str,
        language: str | None = None,
        notes: str | None = None,
        values: Mapping[str, str | None] | None = None,
    ) -> bool:
        """Change the language, notes or field values given (``None`` value: clear it);
        everything is checked before anything changes. False when nothing changes."""
        live = self._resolve(customer_id)
        checked = self.check_values(values or {})
        if language is not None and language not in LANGUAGES:
            raise ValidationError(
                "language: zh, en or empty", text_key="error.profile_language", language=language
            )
        if notes is not None and len(notes) > NOTES_MAX:
            raise ValidationError(
                f"notes: at most {NOTES_MAX} characters", text_key="error.notes_too_long"
            )
        old = self._details.get(live, ProfileDetails())
        fields = dict(self.details(live).fields)
        for name, value in checked.items():
            if value is None:
                fields.pop(name, None)
            else:
                fields[name] = value
        new_language = old.language if language is None else language
        new_notes = old.notes if notes is None else notes.strip()
        if (new_language, new_notes, fields) == (old.language, old.notes, old.fields):
            return False
        self._emit(ce.CustomerDetailsChanged(at, live, new_language, new_notes, fields, by))
        return True

    def set_consent(
        self, customer_id: str, channel: str, allowed: bool, *, at: float, by: str, reason: str
    ) -> bool:
        """Record the customer's consent on ``channel``; False when it already was so."""
        if channel not in CONSENT_CHANNELS:
            raise ValidationError(
                f"consent channel: one of {', '.join(CONSENT_CHANNELS)}",
                text_key="error.consent_channel",
                channel=channel,
            )
        live = self._resolve(customer_id)
        if self.details(live).consent.allows(channel) == allowed:
            return False
        if not allowed:
            self._emit(ce.ConsentChanged(at, live, channel, False, by, reason[:200]))
        # Allowing again lifts the refusal recorded on every merged id.
        for cid in self._identities(live) if allowed else ():
            if not self._details.get(cid, ProfileDetails()).consent.allows(channel):
                self._emit(ce.ConsentChanged(at, cid, channel, True, by, reason[:200]))
        return True

    def check_product(self, product: Product) -> None:
        """:class:`ProductTaken` when another customer holds the number."""
        owner = self.owner_of(product.number)
        if owner is not None and owner != self._resolve(product.customer_id):
            raise ProductTaken(
                f"product {product.masked} belongs to another customer",
                text_key="error.product_taken",
                number=product.masked,
            )

    def record_product(self, product: Product, *, at: float) -> bool:
        """Record a new or changed product of its (live) customer; False when unchanged."""
        self.check_product(product)
        live = self._resolve(product.customer_id)
        held = self._owner.get(product.number, live)
        if self._products.get(held, {}).get(product.number) == replace(product, customer_id=held):
            return False
        p = product
        self._emit(ce.ProductRecorded(at, held, p.number, p.kind, p.opened, p.status, p.balance))
        return True

    def record_product_event(
        self, customer_id: str, number: str, kind: str, *, at: float, detail: str = ""
    ) -> None:
        """Something happened to a product the customer holds."""
        live = self._resolve(customer_id)
        num = normalize_number(number)
        if self.owner_of(num) != live:
            raise ValidationError(
                "the customer holds no such product", text_key="error.no_such_product"
            )
        if kind not in PRODUCT_EVENTS:
            raise ValidationError(
                f"product event: one of {', '.join(PRODUCT_EVENTS)}",
                text_key="error.product_event_kind",
                kind=kind,
            )
        self._emit(ce.ProductEventRecorded(at, self._owner[num], num, kind, detail[:200]))
