"""Normalization of identifiers: the same identifier in any spelling is one identifier."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.domain.customers import (
    Identifier,
    IdentifierKind,
    InvalidIdentifier,
    normalize_identifier,
)

PHONE, EMAIL = IdentifierKind.PHONE, IdentifierKind.EMAIL


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "+86 138-0013-8000",
        "0086 138 0013 8000",
        "8613800138000",
        "(+86) 138.0013.8000",
        "１３８００１３８０００",  # full-width digits, as typed with a Chinese IME
    ],
)
def test_given_spellings_of_one_mobile_when_normalized_then_e164(raw: str) -> None:
    assert Identifier(PHONE, raw).value == "+8613800138000"


def test_given_landline_with_trunk_zero_when_normalized_then_zero_dropped() -> None:
    assert Identifier(PHONE, "010-6552 8888").value == "+861065528888"


def test_given_other_country_code_when_parsed_then_that_code_is_used() -> None:
    assert Identifier.parse(PHONE, "(415) 555-0100", country_code="1").value == "+14155550100"
    assert Identifier.parse(PHONE, "+86 138 0013 8000", country_code="1").value == "+8613800138000"


@pytest.mark.parametrize("raw", ["", "abc", "+0123456789", "12345", "+1234567890123456", "138-x"])
def test_given_bad_phone_when_normalized_then_invalid_identifier(raw: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        Identifier(PHONE, raw)
    assert info.value.error_id == "invalid_identifier"


def test_given_mixed_case_email_when_normalized_then_lower_cased_and_trimmed() -> None:
    assert Identifier(EMAIL, "  Zhang.San@Example.COM ").value == "zhang.san@example.com"
    assert Identifier(EMAIL, "客户@例子.中国").value == "客户@例子.中国"


@pytest.mark.parametrize(
    "raw", ["", "no-at-sign", "@example.com", "a@", "a b@example.com", "<a@b>"]
)
def test_given_bad_email_when_normalized_then_invalid_identifier(raw: str) -> None:
    with pytest.raises(InvalidIdentifier):
        Identifier(EMAIL, raw)


def test_given_social_handles_when_normalized_then_platform_and_handle_canonical() -> None:
    assert Identifier(IdentifierKind.SOCIAL, "Weibo:@张三").value == "weibo:张三"
    assert Identifier(IdentifierKind.SOCIAL, " wechat : KeFu_Fan ").value == "wechat:kefu_fan"
    with pytest.raises(InvalidIdentifier, match="platform:handle"):
        Identifier(IdentifierKind.SOCIAL, "张三")


def test_given_account_and_cookie_when_normalized_then_account_upper_cookie_kept() -> None:
    assert Identifier(IdentifierKind.ACCOUNT, "ab-12 34").value == "AB1234"
    assert Identifier(IdentifierKind.CHAT_COOKIE, " AbC123 ").value == "AbC123"
    with pytest.raises(InvalidIdentifier):
        Identifier(IdentifierKind.CHAT_COOKIE, "two words")


def test_given_unknown_kind_when_normalized_then_clear_error() -> None:
    with pytest.raises(InvalidIdentifier, match="unknown identifier kind 'fax'"):
        normalize_identifier("fax", "123")


national = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
separators = st.lists(st.sampled_from([" ", "-", "."]), min_size=10, max_size=10)


@given(national, separators, st.sampled_from(["", "+86", "0086", "86"]))
def test_property_phone_spellings_normalize_alike_and_idempotently(
    digits: str, seps: list[str], prefix: str
) -> None:
    spelled = prefix + "".join(d + s for d, s in zip(digits, [*seps, ""], strict=True))
    value = Identifier(PHONE, spelled).value
    assert value == "+86" + digits
    assert Identifier(PHONE, value).value == value


@given(st.emails())
def test_property_email_normalization_is_case_blind_and_idempotent(address: str) -> None:
    value = Identifier(EMAIL, address).value
    assert Identifier(EMAIL, address.upper()).value == Identifier(EMAIL, address.lower()).value
    assert Identifier(EMAIL, value).value == value
