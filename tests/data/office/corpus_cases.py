"""The cases of the office corpus, one builder each: real-world layouts of the orders dataset.

Every case gets its own block of order ids (case number x 1,000), so all files can go into
one database without one upload's upsert taking over another's rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from tests.data.office.corpus_model import (
    COLUMNS,
    Case,
    Odd,
    Order,
    Sheet,
    make_orders,
    typed_cells,
)

IMPOSSIBLE = Odd("ordered_at", "2024-02-31 25:61:00", "date")
NOT_A_NUMBER = Odd("amount", "twelve", "number")
MAYBE = Odd("express", "maybe", "boolean")
HALF_ITEM = Odd("quantity", 2.5, "integer")
BAD_COUNTRY = Odd("country", "usa", "match")
BAD_EMAIL = Odd("customer_email", "not-an-email", "email")
NEGATIVE = Odd("amount", -5, "at least")


def _instructions(case: Case) -> None:
    """A first sheet of prose, as templates have: it even lists the column names, one a row."""
    sheet = case.new_sheet("Instructions")
    sheet.add("How to fill in the order template")
    sheet.blank()
    sheet.add("Enter one order per row on the next sheet. Do not rename the columns.")
    sheet.add("Column", "Meaning")
    for name in COLUMNS:
        sheet.add(name, f"the {name.replace('_', ' ')} of the order")
    sheet.add("Questions? Write to orders@example.com")


def _mixed_cells(order: Order, index: int, row: int) -> dict[str, Any]:
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


def _formula_cells(order: Order, index: int, row: int) -> dict[str, Any]:
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


def _formula_orders(orders: list[Order]) -> list[Order]:
    """What the formulas compute: a unit price in cents times the quantity; express for > 10."""
    done = []
    for order in orders:
        amount = order.amount
        if amount is not None and order.quantity is not None:
            amount = (amount / 20).quantize(CENT) * order.quantity
        express = None if order.quantity is None else order.quantity > 10
        done.append(replace(order, amount=amount, express=express))
    return done


def _formulas_table(case: Case, sheet: Sheet, orders: list[Order]) -> None:
    """Formula columns (cached values via LibreOffice), a #DIV/0! cell and a Total row."""
    orders = _formula_orders(orders)
    first = sheet.next_row + 1
    case.table(
        sheet,
        orders,
        FORMULA_HEADER,
        cells=_formula_cells,
        odd={len(orders) // 2: Odd("amount", "=1/0", "#DIV/0!")},
    )
    last = sheet.next_row - 1
    total = sheet.add(
        "Total", None, None, None, f"=SUM(E{first}:E{last})", f"=SUM(F{first}:F{last})"
    )
    case.invalid.append({"row": total, "column": "order_id", "keyword": "integer"})


def build_cases() -> list[Case]:
    builders: list[Callable[[int], Case]] = [
        _clean,
        _title_rows,
        _blank_leading_rows,
        _merged_title,
        _merged_header,
        _instructions_first,
        _instructions_named,
        _summary_first,
        _aliases,
        _mixed_types,
        _impossible_dates,
        _date1904,
        _formulas,
        _xlsm,
        _xlsb,
        _xlsb_second_sheet_title,
        _xls,
        _xls_title_1904,
        _ods_email_alias,
        _ods_instructions_formulas,
        _header_too_deep,
        _fail_no_sheet_maps,
        _fail_missing_required,
        _fail_truncated,
        _fail_cut_sheet_xml,
        _fail_encrypted,
    ]
    return [build((number + 1) * 1000) for number, build in enumerate(builders)]


def _clean(base: int) -> Case:
    case = Case("xlsx_clean.xlsx", ["xlsx", "typed_cells"])
    case.table(case.new_sheet("Orders"), make_orders(base, 30, base))
    return case


def _title_rows(base: int) -> Case:
    case = Case("xlsx_title_rows.xlsx", ["xlsx", "title_rows", "blank_rows"])
    sheet = case.new_sheet("Orders")
    sheet.add("ACME GmbH — orders March 2024")
    sheet.add("Exported 2024-04-01 by j.doe")
    sheet.blank()
    case.table(
        sheet, make_orders(base, 25, base), odd={4: NOT_A_NUMBER, 17: MAYBE}, blank_after=(9,)
    )
    return case


def _blank_leading_rows(base: int) -> Case:
    case = Case("xlsx_blank_leading_rows.xlsx", ["xlsx", "blank_leading_rows"])
    sheet = case.new_sheet("Orders")
    sheet.blank(4)
    case.table(sheet, make_orders(base, 20, base), first_column=2)
    return case


def _merged_title(base: int) -> Case:
    case = Case("xlsx_merged_title.xlsx", ["xlsx", "merged_title"])
    sheet = case.new_sheet("Orders")
    sheet.add("Quarterly order export")
    sheet.merges.append("A1:H1")
    sheet.add("Amounts in EUR, times in UTC")
    sheet.merges.append("A2:D2")
    case.table(sheet, make_orders(base, 20, base), odd={7: MAYBE})
    return case


def _merged_header(base: int) -> Case:
    case = Case("xlsx_merged_header.xlsx", ["xlsx", "merged_header", "title_rows"])
    sheet = case.new_sheet("Orders")
    sheet.add("Order", None, "Buyer", None, "Money", None, "Delivery", None)
    sheet.merges.extend(["A1:B1", "C1:D1", "E1:F1", "G1:I1"])
    header = [(c, c) for c in COLUMNS] + [(None, None)]  # notes' header spans H2:I2
    case.table(sheet, make_orders(base, 20, base), header, odd={3: HALF_ITEM})
    sheet.merges.append("H2:I2")
    return case


def _instructions_first(base: int) -> Case:
    case = Case("xlsx_instructions_first.xlsx", ["xlsx", "second_sheet"])
    _instructions(case)
    case.table(case.new_sheet("Orders"), make_orders(base, 20, base), odd={11: BAD_EMAIL})
    return case


def _instructions_named(base: int) -> Case:
    case = Case(
        "xlsx_instructions_named.xlsx", ["xlsx", "second_sheet", "sheet_field"], sheet="Orders"
    )
    _instructions(case)
    case.table(case.new_sheet("Orders"), make_orders(base, 20, base))
    return case


def _summary_first(base: int) -> Case:
    case = Case("xlsx_summary_first.xlsx", ["xlsx", "second_sheet"])
    orders = make_orders(base, 24, base)
    summary = case.new_sheet("Summary")
    summary.add("country", "amount", "quantity")  # maps columns, but no required one
    for country in ("DE", "FR", "US"):
        summary.add(country, 100.5, 3)
    case.table(case.new_sheet("Data"), orders, odd={0: BAD_COUNTRY})
    return case


def _aliases(base: int) -> Case:
    case = Case("xlsx_aliases.xlsx", ["xlsx", "aliases"])
    header = [
        ("Order ID", "order_id"),
        ("Customer E-mail", "customer_email"),
        ("COUNTRY", "country"),
        ("Ordered At", "ordered_at"),
        (" Amount ", "amount"),
        ("Quantity", "quantity"),
        ("Sales rep", None),
        ("EXPRESS", "express"),
        ("Notes", "notes"),
    ]
    case.table(case.new_sheet("Orders"), make_orders(base, 20, base), header)
    return case


def _mixed_types(base: int) -> Case:
    case = Case("xlsx_mixed_types.xlsx", ["xlsx", "mixed_types"])
    odd = {5: HALF_ITEM, 9: BAD_COUNTRY, 14: BAD_EMAIL, 20: NEGATIVE, 26: MAYBE}
    case.table(case.new_sheet("Orders"), make_orders(base, 30, base), cells=_mixed_cells, odd=odd)
    return case


def _impossible_dates(base: int) -> Case:
    case = Case("xlsx_impossible_dates.xlsx", ["xlsx", "impossible_dates"])
    odd = {
        2: IMPOSSIBLE,
        6: Odd("ordered_at", "2023-02-29", "date"),
        11: Odd("ordered_at", "2024-13-01 10:00", "date"),
        15: Odd("ordered_at", "yesterday", "date"),
        19: IMPOSSIBLE,
    }
    orders = make_orders(base, 24, base)
    # a date-only cell (midnight) among date-time cells
    orders[3] = replace(orders[3], ordered_at=orders[3].ordered_at.replace(hour=0, minute=0))
    case.table(case.new_sheet("Orders"), orders, odd=odd)
    return case


def _date1904(base: int) -> Case:
    case = Case("xlsx_date1904.xlsx", ["xlsx", "date1904"], epoch1904=True)
    case.table(case.new_sheet("Orders"), make_orders(base, 20, base), odd={8: NOT_A_NUMBER})
    return case


def _formulas(base: int) -> Case:
    case = Case("xlsx_formulas.xlsx", ["xlsx", "formulas"], recalc=True)
    _formulas_table(case, case.new_sheet("Orders"), make_orders(base, 20, base))
    return case


def _xlsm(base: int) -> Case:
    case = Case("xlsm_orders.xlsm", ["xlsm", "formulas"], recalc=True)
    _formulas_table(case, case.new_sheet("Orders"), make_orders(base, 16, base))
    return case


def _xlsb(base: int) -> Case:
    case = Case("xlsb_orders.xlsb", ["xlsb", "typed_cells"])
    case.table(case.new_sheet("Orders"), make_orders(base, 20, base), odd={6: NOT_A_NUMBER})
    return case


def _xlsb_second_sheet_title(base: int) -> Case:
    case = Case("xlsb_second_sheet_title.xlsb", ["xlsb", "second_sheet", "title_rows"])
    _instructions(case)
    sheet = case.new_sheet("Orders")
    sheet.add("Orders — week 12")
    sheet.blank()
    case.table(sheet, make_orders(base, 20, base), odd={10: IMPOSSIBLE})
    return case


def _xls(base: int) -> Case:
    case = Case("xls_orders.xls", ["xls", "typed_cells"])
    case.table(
        case.new_sheet("Orders"), make_orders(base, 20, base), odd={2: MAYBE, 12: IMPOSSIBLE}
    )
    return case


def _xls_title_1904(base: int) -> Case:
    case = Case("xls_title_merged_1904.xls", ["xls", "merged_title", "date1904"], epoch1904=True)
    sheet = case.new_sheet("Orders")
    sheet.add("Orders exported from a Mac")
    sheet.merges.append("A1:F1")
    sheet.blank()
    case.table(sheet, make_orders(base, 20, base, whole_days=True))
    return case


def _ods_email_alias(base: int) -> Case:
    case = Case("ods_orders.ods", ["ods", "aliases", "mixed_types"])
    header = [("email", "customer_email") if c == "customer_email" else (c, c) for c in COLUMNS]
    case.table(
        case.new_sheet("Orders"),
        make_orders(base, 24, base),
        header,
        cells=_mixed_cells,
        odd={13: NEGATIVE},
    )
    return case


def _ods_instructions_formulas(base: int) -> Case:
    case = Case("ods_instructions_formulas.ods", ["ods", "second_sheet", "formulas"], recalc=True)
    _instructions(case)
    _formulas_table(case, case.new_sheet("Orders"), make_orders(base, 16, base))
    return case


def _header_too_deep(base: int) -> Case:
    case = Case(
        "fail_header_too_deep.xlsx",
        ["xlsx", "failure", "title_rows"],
        outcome="failed",
        reason_keywords=["Orders", "50"],
    )
    sheet = case.new_sheet("Orders")
    for line in range(1, 56):
        sheet.add(f"Note {line}: read the delivery terms before ordering.")
    case.table(sheet, make_orders(base, 5, base))
    return case


def _fail_no_sheet_maps(base: int) -> Case:
    case = Case(
        "fail_no_sheet_maps.xlsx",
        ["xlsx", "failure", "second_sheet"],
        outcome="failed",
        reason_keywords=["Instructions", "Summary", "Notes", "sheet"],
    )
    _instructions(case)
    summary = case.new_sheet("Summary")
    summary.add("country", "amount")
    summary.add("DE", 10.5)
    notes = case.new_sheet("Notes")
    notes.add("Orders go in a new file each month.")
    return case


def _fail_missing_required(base: int) -> Case:
    case = Case(
        "fail_missing_required.xlsx",
        ["xlsx", "failure", "title_rows"],
        outcome="failed",
        reason_keywords=["customer_email", "row 3"],
    )
    sheet = case.new_sheet("Orders")
    sheet.add("Orders without buyers")
    sheet.blank()
    header = [("Client", None) if c == "customer_email" else (c, c) for c in COLUMNS]
    case.table(sheet, make_orders(base, 10, base), header)
    return case


def _damaged(file: str, damage: str, keywords: list[str], base: int) -> Case:
    case = Case(
        file,
        ["xlsx", "failure", "corrupt"],
        damage=damage,
        outcome="failed",
        reason_keywords=keywords,
    )
    case.table(case.new_sheet("Orders"), make_orders(base, 30, base))
    return case


def _fail_truncated(base: int) -> Case:
    return _damaged("fail_truncated.xlsx", "truncate", ["damaged|corrupt|truncated"], base)


def _fail_cut_sheet_xml(base: int) -> Case:
    keywords = ["damaged|corrupt|truncated|cannot be read|could not be read"]
    return _damaged("fail_cut_sheet_xml.xlsx", "cut_sheet_xml", keywords, base)


def _fail_encrypted(base: int) -> Case:
    return _damaged("fail_encrypted.xlsx", "encrypt", ["password|encrypted"], base)
