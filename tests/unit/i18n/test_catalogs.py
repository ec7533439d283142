"""The message catalogs: every key in every language, the same placeholders, valid plural
forms, and a language added by adding its directory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from hypothesis import given
from hypothesis import strategies as st

from kefu.i18n import LOCALE_DIR, SOURCE_LANGUAGE, Catalogs, UnknownLanguage, placeholders
from kefu.service.desktop import vocabulary

SHIPPED = Catalogs()


def _forms(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


def test_given_the_shipped_catalogs_then_english_and_simplified_chinese_are_there() -> None:
    assert {"en", "zh_Hans"} <= set(SHIPPED.languages)


@pytest.mark.parametrize("language", SHIPPED.languages)
def test_given_a_catalog_when_compared_with_english_then_no_key_is_missing_or_empty(
    language: str,
) -> None:
    assert SHIPPED.missing().get(language, []) == []
    stale = set(SHIPPED.get(language).messages) - set(SHIPPED.get(SOURCE_LANGUAGE).messages)
    assert stale == set()


@pytest.mark.parametrize("language", SHIPPED.languages)
def test_given_a_catalog_then_every_text_has_the_placeholders_of_the_english_one(
    language: str,
) -> None:
    source = SHIPPED.get(SOURCE_LANGUAGE).messages
    differ = {
        key: form
        for key, value in SHIPPED.get(language).messages.items()
        for form in _forms(value)
        if placeholders(form) != placeholders(_forms(source[key])[-1])
    }
    assert differ == {}


@pytest.mark.parametrize("language", SHIPPED.languages)
def test_given_a_catalog_then_plural_texts_have_one_form_per_plural_form_of_the_language(
    language: str,
) -> None:
    catalog = SHIPPED.get(language)
    source = SHIPPED.get(SOURCE_LANGUAGE).messages
    for key, value in catalog.messages.items():
        assert isinstance(value, tuple) == isinstance(source[key], tuple), key
        if isinstance(value, tuple):
            assert len(value) == catalog.num_plurals, key
    # Every CLDR category of the language maps to an existing gettext form.
    assert set(catalog.categories().values()) <= set(range(catalog.num_plurals))
    assert "other" in catalog.categories()


@given(st.integers(min_value=0, max_value=10**9))
def test_given_any_count_then_its_plural_form_exists_in_every_language(n: int) -> None:
    for language in SHIPPED.languages:
        catalog = SHIPPED.get(language)
        assert 0 <= catalog.plural_index(n) < catalog.num_plurals


def test_given_plural_texts_when_filled_then_english_agrees_and_chinese_has_one_form() -> None:
    en, zh = SHIPPED.get("en"), SHIPPED.get("zh")
    values = {"position": 3, "ahead": 2}
    assert en.plural("chat.queued", 1, minutes=1, **values).endswith("about 1 minute.")
    assert en.plural("chat.queued", 4, minutes=4, **values).endswith("about 4 minutes.")
    assert zh.plural("chat.queued", 4, minutes=4, **values) == (
        "您排在第 3 位，前面还有 2 位，预计等待约 4 分钟。"
    )
    assert zh.text("vocab.tier.2") == "金卡" and en.text("vocab.tier.2") == "Gold"


def test_given_language_codes_then_they_resolve_to_catalogs_or_are_refused() -> None:
    assert SHIPPED.resolve("zh") == "zh_Hans"
    assert SHIPPED.resolve("zh-CN") == "zh_Hans"
    assert SHIPPED.resolve("EN-gb") == "en"
    assert SHIPPED.resolve("fr") is None
    assert SHIPPED.negotiate(None, "fr-FR, zh-CN;q=0.8, en;q=0.5").language == "zh_Hans"
    assert SHIPPED.negotiate("en", "zh-CN").language == "en"
    assert SHIPPED.negotiate(None, None).language == "en"
    with pytest.raises(UnknownLanguage):
        SHIPPED.get("../etc")


def test_given_a_new_language_directory_then_it_is_served_without_code_changes(
    tmp_path: Path,
) -> None:
    shutil.copytree(LOCALE_DIR, tmp_path, dirs_exist_ok=True)
    with (LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "kefu.po").open("rb") as source:
        po = read_po(source, locale="zh_Hant", domain="kefu")
    po.locale = "zh_Hant"  # type: ignore[assignment]
    po["chat.open"].string = "線上客服"
    target = tmp_path / "zh_Hant" / "LC_MESSAGES" / "kefu.po"
    target.parent.mkdir(parents=True)
    with target.open("wb") as out:
        write_po(out, po)
    catalogs = Catalogs(tmp_path)
    assert "zh_Hant" in catalogs.languages
    assert catalogs.resolve("zh-TW") == "zh_Hant" and catalogs.resolve("zh") == "zh_Hans"
    assert catalogs.get("zh_Hant").text("chat.open") == "線上客服"
    assert catalogs.get("zh_Hant").export()["bcp47"] == "zh-Hant"
    assert catalogs.version != SHIPPED.version


def test_given_a_language_directory_missing_a_key_then_the_key_check_finds_it(
    tmp_path: Path,
) -> None:
    shutil.copytree(LOCALE_DIR, tmp_path, dirs_exist_ok=True)
    path = tmp_path / "zh_Hans" / "LC_MESSAGES" / "kefu.po"
    with path.open("rb") as source:
        po = read_po(source, locale="zh_Hans", domain="kefu")
    po.delete("chat.open")
    po["chat.send"].string = ""
    with path.open("wb") as out:
        write_po(out, po)
    assert Catalogs(tmp_path).missing() == {"zh_Hans": ["chat.open", "chat.send"]}


def test_given_the_chinese_catalog_then_a_case_has_one_name_everywhere() -> None:
    """The desktop's case list and its case panel, the case types and the customer's
    notices all call a case 工单; no text uses another word for it."""
    messages = SHIPPED.get("zh").messages
    assert messages["cases.mine_title"] == "我的工单" and messages["cases.title"] == "工单"
    assert messages["cases.kind.case"] == "工单" and "工单" in messages["cases.open"]
    other = {k for k, v in messages.items() for form in _forms(v) if "案件" in form}
    assert other == set()


def test_given_the_desktop_vocabulary_then_every_label_is_in_every_catalog() -> None:
    keys = {p["key"] for kind in vocabulary().to_json().values() for p in kind}
    assert len(keys) == 20
    for language in SHIPPED.languages:
        messages = SHIPPED.get(language).messages
        assert sorted(k for k in keys if not messages.get(k)) == [], language


@given(st.text(max_size=80), st.text(max_size=200))
def test_given_any_language_choice_and_header_then_negotiation_picks_a_shipped_catalog(
    asked: str, header: str
) -> None:
    assert SHIPPED.negotiate(asked, header).language in SHIPPED.languages
    name = SHIPPED.resolve(asked)
    assert name is None or name in SHIPPED.languages
