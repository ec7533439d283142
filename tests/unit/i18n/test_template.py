"""The translators' template stays in step with the English catalog, and Babel's own
``pybabel init`` makes a new language from it that kefu serves as is."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from kefu.i18n import LOCALE_DIR, Catalogs
from kefu.i18n.template import TEMPLATE, template


def _entries(raw: bytes) -> dict[str, bool]:
    return {
        str(m.id[0] if isinstance(m.id, tuple) else m.id): isinstance(m.id, tuple)
        for m in read_po(io.BytesIO(raw))
        if m.id
    }


def test_given_the_english_catalog_then_the_committed_template_has_its_keys() -> None:
    assert _entries(TEMPLATE.read_bytes()) == _entries(template(Catalogs()))


def test_given_pybabel_init_for_a_new_language_then_it_is_served_and_its_gaps_are_listed(
    tmp_path: Path,
) -> None:
    shutil.copytree(LOCALE_DIR, tmp_path, dirs_exist_ok=True)
    pot, target = str(tmp_path / "kefu.pot"), str(tmp_path)
    CommandLineInterface().run(
        ["pybabel", "-q", "init", "-i", pot, "-d", target, "-D", "kefu", "-l", "zh_Hant"]
    )
    catalogs = Catalogs(tmp_path)
    assert "zh_Hant" in catalogs.languages and catalogs.resolve("zh-TW") == "zh_Hant"
    untranslated = catalogs.missing()
    assert set(untranslated) == {"zh_Hant"}
    assert len(untranslated["zh_Hant"]) == len(catalogs.get("en").messages)
