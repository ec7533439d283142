"""The translators' template ``locale/kefu.pot``: every key of the English catalog with an
empty text and the English one as a comment. A new language starts from it with Babel::

    pybabel init -i src/kefu/i18n/locale/kefu.pot -d src/kefu/i18n/locale -D kefu -l zh_Hant

and every catalog takes new keys with ``pybabel update`` (same ``-i``, ``-d``, ``-D``).
Rewrite the template after changing the English catalog: ``python -m kefu.i18n.template``.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.pofile import write_po

from kefu.i18n.catalog import DOMAIN, LOCALE_DIR, SOURCE_LANGUAGE, Catalogs

__all__ = ["TEMPLATE", "template"]

TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
# A fixed date keeps the file unchanged when the keys are.
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def template(catalogs: Catalogs) -> bytes:
    """The ``.pot`` text for the English catalog of ``catalogs``."""
    pot = PoCatalog(
        domain=DOMAIN,
        project="kefu",
        version="0.1",
        copyright_holder="kefu contributors",
        creation_date=_EPOCH,
        fuzzy=False,
    )
    for key, text in catalogs.get(SOURCE_LANGUAGE).messages.items():
        if isinstance(text, tuple):
            pot.add((key, key), ("", ""), auto_comments=[f"English: {' | '.join(text)}"])
        else:
            pot.add(key, "", auto_comments=[f"English: {text}"])
    out = io.BytesIO()
    write_po(out, pot, width=100, sort_output=True, omit_header=False)
    return out.getvalue()


if __name__ == "__main__":
    TEMPLATE.write_bytes(template(Catalogs()))
