"""Golden files: the exact JSON (or HTML) text a route, a page or a socket sends, recorded
in ``golden/`` and compared byte for byte, so read models may change but what clients
receive may not. ``KEFU_RECORD_GOLDEN=1`` rewrites the files from what the code sends now."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).parent / "golden"
RECORD = os.environ.get("KEFU_RECORD_GOLDEN") == "1"
PAGE_MASKS = (
    (r'name="csrf_token" value="[0-9a-f]+"', 'name="csrf_token" value="…"'),
    (r'data-version="[^"]*"', 'data-version="…"'),
)
"""What differs per login or per catalog build in a page: its CSRF token, the catalogs'
version."""


def check_golden(name: str, text: str, *masks: tuple[str, str]) -> None:
    """``text`` (with each ``(pattern, replacement)`` of ``masks`` applied, for what is
    random per run: tokens, reply ids) is the content of ``golden/<name>``."""
    for pattern, replacement in masks:
        text = re.sub(pattern, replacement, text)
    path = GOLDEN / name
    if RECORD:
        path.write_text(text + "\n", encoding="utf-8")
    assert text + "\n" == path.read_text(encoding="utf-8")


def compact(data: Any) -> str:
    """``data`` as the server writes JSON (Starlette's ``JSONResponse`` and
    ``send_json``: no spaces, non-ASCII kept)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
