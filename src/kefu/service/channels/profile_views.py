"""The customer record's read models beyond identities: the profile (language, notes,
custom fields, consent) and the products, as frozen dataclasses; their ``to_json`` is what
the API and the desktop send. Balances are in yuan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kefu.domain.customers import FieldDef, Product, ProfileDetails

__all__ = ["FieldValue", "ProductView", "ProfileView"]


@dataclass(frozen=True, slots=True)
class FieldValue:
    """A defined custom field (its name, English and Chinese labels and kind) and the
    customer's value of it, ``None`` when unset."""

    name: str
    label_en: str
    label_zh: str
    kind: str
    value: str | None

    @classmethod
    def of(cls, definition: FieldDef, value: str | None) -> FieldValue:
        d = definition
        return cls(d.name, d.label_en, d.label_zh, d.kind.value, value)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label_en": self.label_en,
            "label_zh": self.label_zh,
            "kind": self.kind,
            "value": self.value,
        }


@dataclass(frozen=True, slots=True)
class ProductView:
    """A product as agents see it: the number masked; ``balance`` in yuan or ``None``."""

    kind: str
    masked: str
    opened: str
    status: str
    balance: float | None

    @classmethod
    def of(cls, product: Product) -> ProductView:
        return cls(product.kind, product.masked, product.opened, product.status, product.balance)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "number": self.masked,
            "opened": self.opened,
            "status": self.status,
            "balance": self.balance,
        }


@dataclass(frozen=True, slots=True)
class ProfileView:
    """The record beyond identities: language, notes, the custom fields (every defined
    one, in name order, with its labels and value or ``None``), products and consent."""

    language: str
    notes: str
    fields: tuple[FieldValue, ...]
    products: tuple[ProductView, ...]
    sms: bool
    email: bool

    @classmethod
    def of(
        cls,
        details: ProfileDetails,
        definitions: dict[str, FieldDef],
        products: tuple[Product, ...],
    ) -> ProfileView:
        return cls(
            details.language,
            details.notes,
            tuple(FieldValue.of(d, details.fields.get(n)) for n, d in sorted(definitions.items())),
            tuple(ProductView.of(p) for p in products),
            details.consent.sms,
            details.consent.email,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "notes": self.notes,
            "fields": [f.to_json() for f in self.fields],
            "products": [p.to_json() for p in self.products],
            "consent": {"sms": self.sms, "email": self.email},
        }
