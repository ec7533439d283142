"""The customer record's profile part: field values checked against their definition,
edits all or nothing, consent never widened by a merge, products masked, unique and
rebuilt from the directory's events; the CSV import names each bad row's line."""

from __future__ import annotations

import pytest

from kefu.domain.customers import (
    CustomerDirectory,
    FieldDef,
    FieldKind,
    Identifier,
    IdentifierKind,
    InvalidFieldValue,
    Product,
    ProductTaken,
)
from kefu.domain.customers import events as ce
from kefu.domain.customers.product_import import parse_products
from kefu.domain.errors import ValidationError

PHONE_A = Identifier(IdentifierKind.PHONE, "13800138000")
PHONE_B = Identifier(IdentifierKind.PHONE, "13900139000")


def _directory() -> tuple[CustomerDirectory, str, str]:
    d = CustomerDirectory()
    a = d.link([PHONE_A], at=1.0).customer_id
    b = d.link([PHONE_B], at=2.0).customer_id
    p = d.profiles
    p.define_field(FieldDef("income", "Income", "收入", FieldKind.NUMBER), by="root", at=3.0)
    p.define_field(FieldDef("birthday", "Birthday", "生日", FieldKind.DATE), by="root", at=3.0)
    risk = FieldDef("risk", "Risk", "风险", FieldKind.CHOICE, ("low", "high"), ("supervisor",))
    p.define_field(risk, by="root", at=3.0)
    return d, a, b


@pytest.mark.parametrize(
    ("kind", "choices", "raw", "stored"),
    [
        (FieldKind.NUMBER, (), "１２０００.50", "12000.5"),
        (FieldKind.NUMBER, (), " 7 ", "7"),
        (FieldKind.DATE, (), "1990-05-01", "1990-05-01"),
        (FieldKind.CHOICE, ("low", "high"), "high", "high"),
        (FieldKind.TEXT, (), "  上海 ", "上海"),
    ],
)
def test_given_a_field_when_a_good_value_is_checked_then_it_is_stored_normalized(
    kind: FieldKind, choices: tuple[str, ...], raw: str, stored: str
) -> None:
    assert FieldDef("f", "F", "字段", kind, choices).check(raw) == stored


@pytest.mark.parametrize(
    ("kind", "choices", "raw"),
    [
        (FieldKind.NUMBER, (), "lots"),
        (FieldKind.NUMBER, (), "nan"),
        (FieldKind.DATE, (), "1990-13-01"),
        (FieldKind.CHOICE, ("low", "high"), "medium"),
        (FieldKind.TEXT, (), "x" * 501),
    ],
)
def test_given_a_field_when_a_bad_value_is_checked_then_the_error_names_the_field(
    kind: FieldKind, choices: tuple[str, ...], raw: str
) -> None:
    with pytest.raises(InvalidFieldValue) as bad:
        FieldDef("f", "F", "字段", kind, choices).check(raw)
    assert bad.value.details["field"] == "f"


def test_given_bad_definitions_then_they_are_refused() -> None:
    for args in (
        ("Bad", "B", "坏", FieldKind.TEXT),
        ("ok", "", "好", FieldKind.TEXT),
        ("c", "C", "选", FieldKind.CHOICE),
        ("t", "T", "文", FieldKind.TEXT, ("a",)),
        ("r", "R", "角", FieldKind.TEXT, (), ("boss",)),
    ):
        with pytest.raises(ValidationError):
            FieldDef(*args)  # type: ignore[arg-type]


def test_given_an_edit_with_one_bad_value_then_nothing_changes() -> None:
    d, a, _ = _directory()
    before = len(d.events)
    with pytest.raises(InvalidFieldValue) as bad:
        d.profiles.edit(
            a, at=4.0, by="lead", notes="新备注", values={"income": "1", "birthday": "x"}
        )
    assert bad.value.details["field"] == "birthday"
    assert len(d.events) == before and d.profiles.details(a).notes == ""
    with pytest.raises(InvalidFieldValue):
        d.profiles.edit(a, at=4.0, by="lead", values={"nickname": "老张"})
    assert d.profiles.edit(a, at=5.0, by="lead", values={"income": "100"}) is True
    assert d.profiles.edit(a, at=6.0, by="lead", values={"income": "100.0"}) is False
    assert d.profiles.edit(a, at=7.0, by="lead", values={"income": None}) is True
    assert d.profiles.details(a).fields == {}


def test_given_a_merge_then_products_join_fields_fill_in_and_a_refusal_stays() -> None:
    d, a, b = _directory()
    p = d.profiles
    p.edit(a, at=4.0, by="x", values={"income": "100"})
    p.edit(b, at=4.0, by="x", language="en", values={"income": "999", "risk": "low"})
    p.set_consent(b, "sms", False, at=5.0, by="x", reason="asked")
    p.record_product(Product.checked(a, "6222-0000-1111-2222", "card"), at=6.0)
    p.record_product(Product.checked(b, "LN 0001", "loan", "2020-01-02", "overdue"), at=6.0)
    d.merge(a, b, agent_id="lead", reason="同一人", at=7.0)
    details = p.details(a)
    assert details.fields == {"income": "100", "risk": "low"}
    assert details.language == "en"
    assert (details.consent.sms, details.consent.email) == (False, True)
    assert [x.number for x in p.products(a)] == ["6222000011112222", "LN0001"]
    assert [x.masked for x in p.products(a)] == ["•••• 2222", "•••• 0001"]
    assert p.set_consent(a, "sms", True, at=8.0, by="x", reason="agreed") is True
    assert p.details(a).consent.sms is True


def test_given_a_product_of_one_customer_then_another_cannot_take_it() -> None:
    d, a, b = _directory()
    d.profiles.record_product(Product.checked(a, "6222000011112222", "card"), at=4.0)
    with pytest.raises(ProductTaken):
        d.profiles.record_product(Product.checked(b, "6222 0000 1111 2222", "card"), at=5.0)
    assert d.profiles.owner_of("6222-0000-1111-2222") == a
    changed = Product.checked(a, "6222000011112222", "card", status="blocked")
    assert d.profiles.record_product(changed, at=6.0) is True
    assert d.profiles.record_product(changed, at=7.0) is False


def test_given_the_events_when_replayed_then_the_profile_part_is_the_same() -> None:
    d, a, b = _directory()
    d.profiles.edit(a, at=4.0, by="x", notes="VIP", values={"birthday": "1990-05-01"})
    d.profiles.set_consent(a, "email", False, at=5.0, by="x", reason="")
    d.profiles.record_product(Product.checked(b, "6222000011112222", "card", balance=1.5), at=6.0)
    d.profiles.record_product_event(b, "6222000011112222", "bill_issued", at=7.0)
    logged = [ce.customer_event_from_dict(ce.customer_event_to_dict(e)) for e in d.events]
    again = CustomerDirectory.from_events(logged)
    for cid in (a, b):
        assert again.profiles.details(cid) == d.profiles.details(cid)
        assert again.profiles.products(cid) == d.profiles.products(cid)
        assert again.profiles.product_events(cid) == d.profiles.product_events(cid)
    assert again.profiles.fields == d.profiles.fields


def test_given_a_product_csv_then_good_rows_are_read_and_bad_ones_named_by_line() -> None:
    text = (
        "customer,number,kind,opened,status,balance\n"
        'phone:13800138000,6222 0212 3456 7890,card,2021-03-04,active,"1,200.50"\n'
        "cus-000001,LN-1,loan,,overdue,\n"
        "phone:139,X1234,card,,,\n"
        "cus-000001,MG-0001,boat,,,\n"
        "cus-000001,MG-0002,mortgage,2020-02-30,,\n"
        "cus-000001,MG-0003,mortgage,,,lots\n"
    )
    rows = parse_products(text.splitlines(keepends=True))
    assert [p.number for p in rows.products] == ["6222021234567890"]
    assert rows.products[0].balance == 1200.5
    assert [line for line, _ in rows.problems] == [3, 4, 5, 6, 7]
    assert "number" in rows.problems[0][1] and "kind" in rows.problems[2][1]
    header = parse_products(["name,number\n", "x,y\n"])
    assert header.problems and header.problems[0][0] == 1 and not header.products
