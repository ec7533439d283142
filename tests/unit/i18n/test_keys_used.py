"""Every catalog key a page names literally exists in the English catalog (and so, by the
catalog tests, in every language): a typo or a text added to a script but not to the
catalogs fails here rather than showing a bare key in the browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

import kefu
import kefu.web
from kefu.i18n import SOURCE_LANGUAGE, Catalogs

WEB = Path(kefu.web.__file__).resolve().parent
ENGLISH = Catalogs().get(SOURCE_LANGUAGE).messages
SCRIPTS = {
    "auth.js": "auth",
    "branch.js": "branch",
    "customers.js": "customers",
    "desktop-merge.js": "merge",
    "desktop-consult.js": "desktop",
    "desktop-record.js": "desktop",
    "desktop-schedule.js": "wfm",
    "desktop.js": "desktop",
    "kefu-chat.js": "chat",
    "wallboard.js": "wallboard",
}
TEMPLATES = {
    "login.html": "auth",
    "account.html": "auth",
    "branch.html": "branch",
    "customers.html": "customers",
    "desktop.html": "desktop",
    "wallboard.html": "wallboard",
}
# t("key") or tn("key", n): a key built by concatenation ("idle_" + code) is not checked.
CALL = re.compile(r"\btn?\(\"([\w.]+)\"(?!\s*\+)")
ATTRIBUTE = re.compile(r"data-(i18n|i18n-ph|merge)=\"([\w.]+)\"")


def test_given_the_scripts_then_the_pattern_finds_their_calls() -> None:
    found = {s: CALL.findall((WEB / "static" / s).read_text(encoding="utf-8")) for s in SCRIPTS}
    assert sum(len(keys) for keys in found.values()) > 50
    assert "accept" in found["desktop.js"] and "queued" in found["kefu-chat.js"]


def _unknown(scope: str, keys: set[str]) -> list[str]:
    return sorted(k for k in keys if f"{scope}.{k}" not in ENGLISH and k not in ENGLISH)


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_given_a_page_script_then_every_literal_key_it_asks_is_in_the_catalog(
    script: str,
) -> None:
    keys = set(CALL.findall((WEB / "static" / script).read_text(encoding="utf-8")))
    assert _unknown(SCRIPTS[script], keys) == []


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_given_a_page_template_then_every_key_it_marks_is_in_the_catalog(template: str) -> None:
    found = ATTRIBUTE.findall((WEB / "templates" / template).read_text(encoding="utf-8"))
    assert found, template
    keys = {key for kind, key in found if kind != "merge"}
    merge = {key for kind, key in found if kind == "merge"}
    assert _unknown(TEMPLATES[template], keys) == []
    assert _unknown("merge", merge) == []


def test_given_babel_extraction_with_babel_cfg_then_every_server_side_key_is_in_the_catalog() -> (
    None
):
    with (Path(__file__).resolve().parents[3] / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config, "babel.cfg")
    root = Path(kefu.__file__).resolve().parent
    keys = {str(found[2]) for found in extract_from_dir(root, method_map, options_map, keywords={})}
    assert {"auth.sign_in", "wallboard.waiting", "page.agents_only"} <= keys
    assert sorted(k for k in keys if k not in ENGLISH) == []


# text_key="error.…" at a raise: the message in the reader's language at the API's edge.
TEXT_KEY = re.compile(r"text_key=\"([\w.]+)\"")


def test_given_the_errors_the_code_raises_then_every_text_key_is_in_the_catalog() -> None:
    root = Path(kefu.__file__).resolve().parent
    keys = {k for path in root.rglob("*.py") for k in TEXT_KEY.findall(path.read_text("utf-8"))}
    assert {"error.unknown_customer", "error.bad_login", "error.login_backoff"} <= keys
    assert sorted(k for k in keys if k not in ENGLISH) == []
