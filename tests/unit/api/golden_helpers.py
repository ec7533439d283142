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
PUBLISHED_MASKS = (
    (r'"(published_at|rederive_by)":[0-9.]+', r'"\1":…'),
    (r'"by":"files","at":[0-9.]+', '"by":"files","at":…'),
    (r'"publications":\[\{"version":1,"at":[0-9.]+', '"publications":[{"version":1,"at":…'),
    (r"<td>files</td><td>[0-9]+</td>", "<td>files</td><td>…</td>"),
    (r'class="rederive">[0-9-]+<', 'class="rederive">…<'),
)
"""What differs per checkout in the IVR flows' answers and page: the shipped flow files are
published at start at their files' modification time (``published_at``, the "files"
changes and the first publication) and the re-derivation date follows from it."""


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
