"""Layouts the office corpus cases share: odd cells, a prose sheet, mixed-type and formula
columns."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from tests.data.office.corpus_model import COLUMNS, Case, Odd, Order, Sheet, typed_cells

IMPOSSIBLE = Odd("ordered_at", "2024-02-31 25:61:00", "date")
NOT_A_NUMBER = Odd("amount", "twelve", "number")
MAYBE = Odd("express", "maybe", "boolean")
HALF_ITEM = Odd("quantity", 2.5, "integer")
BAD_COUNTRY = Odd("country", "usa", "capitals")
BAD_EMAIL = Odd("customer_email", "not-an-email", "email")
NEGATIVE = Odd("amount", -5, "at least")


def instructions_sheet(case: Case) -> None:
    """A first sheet of prose, as templates have: it even lists the column names, one a row."""
    sheet = case.new_sheet("Instructions")
    sheet.add("How to fill in the order template")
    sheet.blank()
    sheet.add("Enter one order per row on the next sheet. Do not rename the columns.")
    sheet.add("Column", "Meaning")
    for name in COLUMNS:
        sheet.add(name, f"the {name.replace('_', ' ')} of the order")
    sheet.add("Questions? Write to orders@example.com")


def mixed_cells(order: Order, index: int, row: int) -> dict[str, Any]:
    """One column, several cell types: numbers as text, grouped thousands, yes/no, 1/0..."""
    cells = typed_cells(order, index, row)
    if index % 4 == 1:
        cells["order_id"] = str(order.order_id)
    if order.amount is not None and index % 3 == 1:
        cells["amount"] = f"{order.amount:,.2f}"
    if order.quantity is not None and index % 3 == 2:
        cells["quantity"] = str(order.quantity)
    if order.express is not None:
        flag = order.express
        cells["express"] = (flag, "yes" if flag else "no", int(flag), "Y" if flag else "N")[
            index % 4
        ]
    if index % 5 == 3:
        cells["ordered_at"] = order.ordered_at.strftime("%Y-%m-%d %H:%M:%S")
    elif index % 5 == 4:
        cells["ordered_at"] = order.ordered_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return cells


def formula_cells(order: Order, index: int, row: int) -> dict[str, Any]:
    """order_id follows the row above, amount is unit price x quantity, express a comparison."""
    cells = typed_cells(order, index, row)
    if index:
        cells["order_id"] = f"=A{row - 1}+1"
    if order.amount is not None and order.quantity is not None:
        cells["unit_price"] = float(order.amount / order.quantity)
        cells["amount"] = f"=ROUND(I{row}*F{row},2)"
    cells["express"] = None if order.quantity is None else f"=F{row}>10"
    return cells


FORMULA_HEADER = [(c, c) for c in COLUMNS] + [("unit price", "unit_price")]
CENT = Decimal("0.01")


def formula_orders(orders: list[Order]) -> list[Order]:
    """What the formulas compute: a unit price in cents times the quantity; express for > 10."""
    done = []
    for order in orders:
        amount = order.amount
        if amount is not None and order.quantity is not None:
            amount = (amount / 20).quantize(CENT) * order.quantity
        express = None if order.quantity is None else order.quantity > 10
        done.append(replace(order, amount=amount, express=express))
    return done


def formulas_table(case: Case, sheet: Sheet, orders: list[Order]) -> None:
    """Formula columns (cached values via LibreOffice), a #DIV/0! cell and a Total row."""
    orders = formula_orders(orders)
    first = sheet.next_row + 1
    case.table(
        sheet,
        orders,
        FORMULA_HEADER,
        cells=formula_cells,
        odd={len(orders) // 2: Odd("amount", "=1/0", "#DIV/0!")},
    )
    last = sheet.next_row - 1
    total = sheet.add(
        "Total", None, None, None, f"=SUM(E{first}:E{last})", f"=SUM(F{first}:F{last})"
    )
    case.invalid.append({"row": total, "column": "order_id", "keyword": "totals row"})
