"""No module of the service or the adapters writes Chinese text of its own: what a customer
or an agent reads comes from the catalogs, in one language. The check reads the source's
string literals (docstrings and comments aside); the few modules holding Chinese *data* (the
spoken number grammar, reply prefixes to recognize, demo names) are listed with the reason."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import kefu

ROOT = Path(kefu.__file__).resolve().parent
SCANNED = ("service", "adapters")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
ALLOWED = {
    "adapters/channels/email_send.py": "reply prefixes recognized in subjects (回复:, 答复:)",
    "adapters/channels/server.py": "the brand name of outgoing mail (kefu 客服)",
    "service/channels/views.py": "the brand name shown as kefu's own messages' author",
    "adapters/demo/ivr_chats.py": "what the demo's simulated customers type",
    "adapters/demo/seed.py": "the demo's names of people, queues and sites",
    "adapters/demo/traffic.py": "the demo's generated customer names and topics",
    "adapters/storage/migrate.py": "an operator's message printed by the bilingual CLI",
    "adapters/voice/prompts.py": "the spoken prompts' fragments and number grammar per language",
    "service/cases/catalog.py": "the shipped case types' names in each language (data)",
}


def _literals(source: str) -> list[tuple[int, str]]:
    """The string literals of ``source`` holding CJK text, but docstrings and other bare
    string statements (line, text)."""
    tree = ast.parse(source)
    bare = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in bare
        and CJK.search(node.value)
    ]


def _found() -> dict[str, list[tuple[int, str]]]:
    found: dict[str, list[tuple[int, str]]] = {}
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            hits = _literals(path.read_text(encoding="utf-8"))
            if hits:
                found[path.relative_to(ROOT).as_posix()] = hits
    return found


def test_given_a_source_then_literals_count_and_docstrings_and_comments_do_not() -> None:
    source = '"""模块说明"""\nx = 1  # 注释\ndef f():\n    """说明"""\n    return f"您好 {x}"\n'
    assert _literals(source) == [(5, "您好 ")]


def test_given_the_service_and_adapters_then_no_module_sends_a_chinese_literal() -> None:
    stray = {path: hits for path, hits in _found().items() if path not in ALLOWED}
    assert stray == {}, "user-facing text belongs in the catalogs (kefu.i18n)"


def test_given_the_allow_list_then_each_listed_module_still_holds_chinese_data() -> None:
    found = _found()
    assert sorted(path for path in ALLOWED if path not in found) == []
