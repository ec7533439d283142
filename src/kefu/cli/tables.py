"""Rich tables that stay readable in an 80-column terminal.

Rich shrinks columns to fit the console and cuts what no longer fits with "…". Chinese
words have no spaces to wrap at, so a bilingual header such as "服务水平" was cut to "服务水…"
at 80 columns. `fit_words` gives each column at least the width of the longest word of
its header and cells: values wrap at their spaces instead, and no header is cut.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.table import Table

__all__ = ["compact_table", "fit_words"]


def fit_words(table: Table) -> Table:
    """Set each column's ``min_width`` to the widest word (terminal cells) of its header
    and of its text cells: call it once the rows are added."""
    from rich.cells import cell_len

    for column in table.columns:
        texts = [str(column.header), *(c for c in column.cells if isinstance(c, str))]
        widest = max((cell_len(w) for t in texts for w in t.split()), default=0)
        column.min_width = max(column.min_width or 0, widest)
    return table


def compact_table(**options: object) -> Table:
    """A table without outer edge and with one space between columns (for wide data)."""
    from rich import box
    from rich.table import Table

    settings: dict[str, object] = {
        "box": box.SIMPLE_HEAD,
        "show_edge": False,
        "padding": (0, 1),
        "pad_edge": False,
        "collapse_padding": True,
        "title_justify": "left",
    }
    settings.update(options)
    return Table(**settings)  # type: ignore[arg-type]
