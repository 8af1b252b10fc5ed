"""The office corpus as data: orders, the sheets that hold them, and what each file must give.

Pure: nothing here writes a file. A case is built row by row, so the spreadsheet row number of
every data row (and so of every invalid one) is known from the building, never read back.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ops.devservers.sample_data import ORDERS_COLUMNS
from tests.support.office_checksums import checksums

COLUMNS = ORDERS_COLUMNS
PLAIN_HEADER: list[tuple[str | None, str | None]] = [(c, c) for c in COLUMNS]
COUNTRIES = ("DE", "FR", "US", "GB", "NL", "PL", None)
NOTES = (
    None,
    "leave at the door",
    "Größe M, bitte schnell",
    "gift wrap; no invoice",
    "call before delivery",
    "",
    "fragile — glass",
)


@dataclass(frozen=True)
class Order:
    """One data row as the person who made the sheet meant it."""

    order_id: int
    customer_email: str
    country: str | None
    ordered_at: datetime  # naive: bulkflow reads it as UTC
    amount: Decimal | None
    quantity: int | None
    express: bool | None
    notes: str | None


@dataclass(frozen=True)
class Odd:
    """The one odd cell that turns its row into an invalid row; ``keyword`` is a word the
    row error's message must contain (case-insensitive)."""

    column: str
    cell: Any
    keyword: str


@dataclass
class Sheet:
    name: str
    rows: list[list[Any]] = field(default_factory=list)
    merges: list[str] = field(default_factory=list)

    @property
    def next_row(self) -> int:
        return len(self.rows) + 1

    def add(self, *cells: Any) -> int:
        """Append a row; returns its spreadsheet row number."""
        self.rows.append(list(cells))
        return len(self.rows)

    def blank(self, count: int = 1) -> None:
        self.rows.extend([] for _ in range(count))


# cells of one order, keyed by dataset column: (order, its index, its sheet row) -> cells
CellsFn = Callable[[Order, int, int], dict[str, Any]]


def typed_cells(order: Order, _index: int, _row: int) -> dict[str, Any]:
    """Each value in the cell type a spreadsheet user would use for it."""
    values = asdict(order)
    values["amount"] = None if order.amount is None else float(order.amount)
    return values


@dataclass
class Case:
    file: str
    covers: list[str]
    sheets: list[Sheet] = field(default_factory=list)
    sheet: str | None = None  # the `sheet` form field to send; None: bulkflow finds it
    epoch1904: bool = False
    recalc: bool = False  # has formulas: their cached values come from LibreOffice
    damage: str | None = None  # truncate | cut_sheet_xml | encrypt: made from the intact book
    delimiter: str = ","  # a .csv case's field separator
    outcome: str = "completed"
    reason_keywords: list[str] = field(default_factory=list)
    valid: list[Order] = field(default_factory=list)
    invalid: list[dict[str, Any]] = field(default_factory=list)

    @property
    def fmt(self) -> str:
        return self.file.rsplit(".", 1)[1]

    def new_sheet(self, name: str) -> Sheet:
        sheet = Sheet(name)
        self.sheets.append(sheet)
        return sheet

    def table(
        self,
        sheet: Sheet,
        orders: Sequence[Order],
        header: Sequence[tuple[str | None, str | None]] = PLAIN_HEADER,
        *,
        cells: CellsFn = typed_cells,
        odd: dict[int, Odd] | None = None,
        blank_after: Sequence[int] = (),
        first_column: int = 1,
    ) -> int:
        """Write a header and one row per order; returns the header's row number.

        A header entry maps its text to a dataset column (None: a column bulkflow ignores)."""
        pad = [None] * (first_column - 1)
        header_row = sheet.add(*pad, *(text for text, _ in header))
        for index, order in enumerate(orders):
            values = cells(order, index, sheet.next_row)
            bad = (odd or {}).get(index)
            if bad is not None:
                values[bad.column] = bad.cell
            # a column bulkflow ignores gets filler; one without a header text stays empty
            row_cells = [
                values.get(col) if col else (f"R-{order.order_id}" if text else None)
                for text, col in header
            ]
            row = sheet.add(*pad, *row_cells)
            if bad is None:
                self.valid.append(order)
            else:
                self.invalid.append({"row": row, "column": bad.column, "keyword": bad.keyword})
            if index in blank_after:
                sheet.blank()
        return header_row

    def expectation(self) -> dict[str, Any]:
        """This case's entry in expected.json."""
        if self.outcome in ("failed", "needs_mapping"):
            return {
                "dataset": "orders",
                "sheet": self.sheet,
                "format": self.fmt,
                "covers": self.covers,
                "outcome": self.outcome,
                "reason_keywords": self.reason_keywords,
            }
        invalid = sorted(self.invalid, key=lambda e: e["row"])
        outcome = "completed_with_errors" if invalid else "completed"
        assert self.outcome in ("completed", outcome), (self.file, self.outcome, outcome)
        return {
            "dataset": "orders",
            "sheet": self.sheet,
            "format": self.fmt,
            "covers": self.covers,
            "outcome": outcome,
            "total_rows": len(self.valid) + len(invalid),
            "valid_rows": len(self.valid),
            "invalid_rows": invalid,
            "checksums": checksums(asdict(o) for o in self.valid),
        }


def make_orders(first_id: int, count: int, seed: int, *, whole_days: bool = False) -> list[Order]:
    """Deterministic orders with ids first_id, first_id + 1, ... (whole minutes, or midnight)."""
    rng = random.Random(seed)
    start = datetime(2024, 3, 1, 8, 0)
    orders = []
    for i in range(count):
        moment = start + timedelta(days=i // 3, hours=(7 * i) % 11, minutes=(13 * i) % 60)
        if whole_days:
            moment = moment.replace(hour=0, minute=0)
        oid = first_id + i
        orders.append(
            Order(
                order_id=oid,
                customer_email=f"buyer{oid}@example.com",
                country=rng.choice(COUNTRIES),
                ordered_at=moment,
                amount=None if rng.random() < 0.1 else Decimal(rng.randint(0, 250_000)) / 100,
                quantity=None if rng.random() < 0.1 else rng.randint(1, 20),
                express=rng.choice((True, False, None)),
                notes=rng.choice(NOTES) or None,
            )
        )
    return orders
