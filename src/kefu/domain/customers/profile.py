"""The customer's record beyond identities: custom fields an admin defines, the customer's
products and accounts, and the consent to be contacted on each channel.

**Custom fields.** A :class:`FieldDef` names a field (``[a-z][a-z0-9_]*``), its labels in
English and Chinese, its kind (text, number, date, choice) and the roles that may edit its
value (admins always may). A value is checked against its definition by
:meth:`FieldDef.check` and stored as text: a number in its shortest decimal form, a date as
``YYYY-MM-DD``, a choice as one of its choices. A bad value is :class:`InvalidFieldValue`
naming the field.

**Products.** A :class:`Product` is one card, loan, mortgage, deposit or account of the
customer, known by its number (normalized like an account identifier: NFKC, spaces and
dashes dropped, upper-cased) and shown masked (:func:`mask_number`: the last four only).
Its ``balance`` is in the currency's main unit (yuan), optional.

**Consent.** :class:`Consent` says whether the center may contact the customer by SMS and by
e-mail (surveys keep their own opt-out, :mod:`kefu.domain.cases.surveys`). Both default to
allowed until the customer says otherwise.

Dates are ISO calendar dates (``YYYY-MM-DD``); nothing here reads a clock.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from kefu.domain.errors import ValidationError

__all__ = [
    "CONSENT_CHANNELS",
    "PRODUCT_EVENTS",
    "PRODUCT_KINDS",
    "PRODUCT_STATUSES",
    "ROLES",
    "Consent",
    "FieldDef",
    "FieldKind",
    "InvalidFieldValue",
    "Product",
    "ProductEvent",
    "ProfileDetails",
    "check_date",
    "mask_number",
    "normalize_number",
]

ROLES = ("agent", "supervisor", "admin")
PRODUCT_KINDS = ("card", "loan", "mortgage", "deposit", "account")
PRODUCT_STATUSES = ("active", "blocked", "overdue", "closed", "pending")
PRODUCT_EVENTS = ("payment_failed", "card_blocked", "bill_issued", "payment_received")
"""What can happen to a product that makes a customer get in touch."""
CONSENT_CHANNELS = ("sms", "email")
TEXT_MAX = 500
NOTES_MAX = 4000
_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


class InvalidFieldValue(ValidationError):
    """A custom field's value does not fit its definition (or the field is unknown)."""

    error_id = "invalid_field_value"


class FieldKind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"


def check_date(value: str, what: str) -> str:
    """``value`` as an ISO date ``YYYY-MM-DD`` (:class:`ValidationError` naming ``what``)."""
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise ValidationError(
            f"{what}: {value!r} is not a date (YYYY-MM-DD)",
            text_key="error.not_a_date",
            field=what,
            value=value,
        ) from None


@dataclass(frozen=True, slots=True)
class FieldDef:
    """A custom field of the customer record (see the module doc)."""

    name: str
    label_en: str
    label_zh: str
    kind: FieldKind
    choices: tuple[str, ...] = ()
    editable_by: tuple[str, ...] = ("agent", "supervisor", "admin")

    def __post_init__(self) -> None:
        problem = None
        if not _NAME.fullmatch(self.name):
            problem = "a field name is 1-40 of a-z, 0-9 and _, starting with a letter"
        elif not self.label_en.strip() or not self.label_zh.strip():
            problem = "a field needs an English and a Chinese label"
        elif self.kind is FieldKind.CHOICE and not self.choices:
            problem = "a choice field needs its choices"
        elif self.kind is not FieldKind.CHOICE and self.choices:
            problem = "only a choice field has choices"
        elif any(r not in ROLES for r in self.editable_by):
            problem = f"editable_by names roles among {', '.join(ROLES)}"
        if problem is not None:
            raise ValidationError(
                f"field {self.name!r}: {problem}", text_key="error.field_definition",
                field=self.name, problem=problem,
            )  # fmt: skip

    def may_edit(self, role: str) -> bool:
        return role == "admin" or role in self.editable_by

    def check(self, value: str) -> str:
        """The value as stored, or :class:`InvalidFieldValue` naming the field."""
        text = unicodedata.normalize("NFKC", str(value)).strip()
        ok: str | None = None
        if self.kind is FieldKind.TEXT:
            ok = text if len(text) <= TEXT_MAX else None
        elif self.kind is FieldKind.NUMBER:
            try:
                number = float(text)
            except ValueError:
                number = math.nan
            ok = None if not math.isfinite(number) else format(number, "g")
            if ok is not None and "e" not in ok and number == int(number):
                ok = str(int(number))
        elif self.kind is FieldKind.DATE:
            try:
                ok = date.fromisoformat(text).isoformat()
            except ValueError:
                ok = None
        else:
            ok = text if text in self.choices else None
        if ok is None:
            raise InvalidFieldValue(
                f"field {self.name}: {value!r} is not a valid {self.kind.value}",
                text_key="error.invalid_field_value",
                field=self.name,
                kind=self.kind.value,
            )
        return ok


def normalize_number(number: str) -> str:
    """A product number as stored: NFKC, spaces and dashes dropped, upper-cased."""
    text = unicodedata.normalize("NFKC", number)
    return re.sub(r"[\s\-]", "", text).upper()


def mask_number(number: str) -> str:
    """The number as shown: its last four characters after dots (``•••• 1234``)."""
    tail = number[-4:]
    return f"•••• {tail}" if len(number) > 4 else "••••"


@dataclass(frozen=True, slots=True)
class Product:
    """One product of a customer; ``opened`` an ISO date or empty; ``balance`` in yuan."""

    customer_id: str
    number: str
    kind: str
    opened: str = ""
    status: str = "active"
    balance: float | None = None

    @property
    def masked(self) -> str:
        return mask_number(self.number)

    @staticmethod
    def checked(
        customer_id: str,
        number: str,
        kind: str,
        opened: str = "",
        status: str = "active",
        balance: float | None = None,
    ) -> Product:
        """A product whose every field is checked (:class:`ValidationError` naming it)."""
        num = normalize_number(number)
        if not 4 <= len(num) <= 34 or not num.isalnum():
            raise ValidationError(
                "number: 4-34 letters or digits", text_key="error.product_field", field="number"
            )
        kind, status = kind.strip().lower(), status.strip().lower() or "active"
        if kind not in PRODUCT_KINDS:
            raise ValidationError(
                f"kind: one of {', '.join(PRODUCT_KINDS)}",
                text_key="error.product_field",
                field="kind",
            )
        if status not in PRODUCT_STATUSES:
            raise ValidationError(
                f"status: one of {', '.join(PRODUCT_STATUSES)}",
                text_key="error.product_field",
                field="status",
            )
        day = check_date(opened, "opened") if opened.strip() else ""
        if balance is not None and not math.isfinite(balance):
            raise ValidationError(
                "balance: a finite number", text_key="error.product_field", field="balance"
            )
        return Product(customer_id, num, kind, day, status, balance)


@dataclass(frozen=True, slots=True)
class ProductEvent:
    """Something that happened to a product (``kind`` one of :data:`PRODUCT_EVENTS`) at
    ``at`` seconds."""

    customer_id: str
    number: str
    kind: str
    at: float
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Consent:
    """May the center contact the customer by SMS, by e-mail."""

    sms: bool = True
    email: bool = True

    def allows(self, channel: str) -> bool:
        """True for channels without a consent flag."""
        if channel == "sms":
            return self.sms
        if channel == "email":
            return self.email
        return True


@dataclass(frozen=True, slots=True)
class ProfileDetails:
    """What agents edit beyond the name: the preferred ``language`` (``zh``/``en`` or
    empty), ``notes``, the custom ``fields`` (name → stored value) and the consent."""

    language: str = ""
    notes: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    consent: Consent = field(default_factory=Consent)
