"""Products from CSV text (a bank's product feed): one product per row, checked row by row.

The header names the columns: ``customer`` (a customer id, or an identifier ``kind:value``
such as ``phone:13800138000``), ``number``, ``kind`` (card, loan, mortgage, deposit,
account), and optionally ``opened`` (YYYY-MM-DD), ``status`` (active, blocked, overdue,
closed, pending) and ``balance`` (yuan). :func:`parse_products` gives every good product
and, for each bad row, its line number and why; callers store nothing unless no row is bad.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kefu.domain.customers.identifiers import Identifier, IdentifierKind
from kefu.domain.customers.profile import Product
from kefu.domain.errors import KefuError

__all__ = ["COLUMNS", "REQUIRED", "ProductRows", "parse_products"]

REQUIRED = ("customer", "number", "kind")
COLUMNS = (*REQUIRED, "opened", "status", "balance")


@dataclass(frozen=True, slots=True)
class ProductRows:
    """The good ``products`` with their line numbers, and ``problems`` (line, why)."""

    products: tuple[Product, ...]
    lines: tuple[int, ...]
    problems: tuple[tuple[int, str], ...]


def _check_customer(ref: str) -> None:
    kind, sep, value = ref.partition(":")
    if sep and kind in set(IdentifierKind):
        Identifier(IdentifierKind(kind), value)  # InvalidIdentifier
    elif not ref:
        raise ValueError("customer: empty")


def parse_products(
    lines: Iterable[str], progress: Callable[[int], object] | None = None
) -> ProductRows:
    """Read CSV text (a header line, then one product per line); ``progress`` is told
    the line reached every 1000 rows."""
    reader = csv.DictReader(lines)
    header = [h.strip().lower() for h in reader.fieldnames or ()]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        why = (f"missing columns: {', '.join(missing)}; " if missing else "") + (
            f"unknown columns: {', '.join(unknown)}" if unknown else ""
        )
        return ProductRows((), (), ((1, why.strip("; ") + f" (columns: {', '.join(COLUMNS)})"),))
    reader.fieldnames = header
    products: list[Product] = []
    numbers: list[int] = []
    problems: list[tuple[int, str]] = []
    for row in reader:
        line = reader.line_num
        if progress is not None and len(products) % 1000 == 999:
            progress(line)
        cells = {k: (v or "").strip() for k, v in row.items() if k is not None}
        try:
            _check_customer(cells["customer"])
            balance_text = cells.get("balance", "")
            balance = float(balance_text.replace(",", "")) if balance_text else None
            product = Product.checked(
                cells["customer"],
                cells["number"],
                cells["kind"],
                cells.get("opened", ""),
                cells.get("status", "") or "active",
                balance,
            )
        except KefuError as exc:
            problems.append((line, exc.message))
        except ValueError as exc:
            problems.append((line, str(exc) if "customer" in str(exc) else "balance: a number"))
        else:
            products.append(product)
            numbers.append(line)
    return ProductRows(tuple(products), tuple(numbers), tuple(problems))
