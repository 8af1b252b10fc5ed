"""The cases of the office corpus, one builder each: real-world layouts of the orders dataset.

Every case gets its own block of order ids (case number x 1,000), so all files can go into
one database without one upload's upsert taking over another's rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from tests.data.office import corpus_failures as failing
from tests.data.office.corpus_layouts import (
    BAD_COUNTRY,
    BAD_EMAIL,
    HALF_ITEM,
    IMPOSSIBLE,
    MAYBE,
    NEGATIVE,
    NOT_A_NUMBER,
    formulas_table,
    instructions_sheet,
    mixed_cells,
)
from tests.data.office.corpus_model import COLUMNS, Case, Odd, make_orders


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
        failing.header_too_deep,
        failing.no_sheet_maps,
        failing.missing_required,
        failing.truncated,
        failing.cut_sheet_xml,
        failing.encrypted,
        _csv_title_rows,
        _csv_blank_lines,
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
    instructions_sheet(case)
    case.table(case.new_sheet("Orders"), make_orders(base, 20, base), odd={11: BAD_EMAIL})
    return case


def _instructions_named(base: int) -> Case:
    case = Case(
        "xlsx_instructions_named.xlsx", ["xlsx", "second_sheet", "sheet_field"], sheet="Orders"
    )
    instructions_sheet(case)
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
    case.table(case.new_sheet("Orders"), make_orders(base, 30, base), cells=mixed_cells, odd=odd)
    return case


def _impossible_dates(base: int) -> Case:
    case = Case("xlsx_impossible_dates.xlsx", ["xlsx", "impossible_dates"])
    odd = {
        2: IMPOSSIBLE,
        6: Odd("ordered_at", "2023-02-29", "date"),
        11: Odd("ordered_at", "2024-13-01 10:00", "date"),
        15: Odd("ordered_at", "TBD", "date"),
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
    formulas_table(case, case.new_sheet("Orders"), make_orders(base, 20, base))
    return case


def _xlsm(base: int) -> Case:
    case = Case("xlsm_orders.xlsm", ["xlsm", "formulas"], recalc=True)
    formulas_table(case, case.new_sheet("Orders"), make_orders(base, 16, base))
    return case


def _xlsb(base: int) -> Case:
    case = Case("xlsb_orders.xlsb", ["xlsb", "typed_cells"])
    case.table(case.new_sheet("Orders"), make_orders(base, 20, base), odd={6: NOT_A_NUMBER})
    return case


def _xlsb_second_sheet_title(base: int) -> Case:
    case = Case("xlsb_second_sheet_title.xlsb", ["xlsb", "second_sheet", "title_rows"])
    instructions_sheet(case)
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
        cells=mixed_cells,
        odd={13: NEGATIVE},
    )
    return case


def _ods_instructions_formulas(base: int) -> Case:
    case = Case("ods_instructions_formulas.ods", ["ods", "second_sheet", "formulas"], recalc=True)
    instructions_sheet(case)
    formulas_table(case, case.new_sheet("Orders"), make_orders(base, 16, base))
    return case


def _csv_title_rows(base: int) -> Case:
    case = Case("csv_title_rows.csv", ["csv", "title_rows", "blank_rows"])
    sheet = case.new_sheet("orders")
    sheet.add("ACME GmbH — orders March 2024")
    sheet.add("Exported 2024-04-01, by j.doe")  # a comma, but no header
    sheet.blank()
    case.table(
        sheet, make_orders(base, 20, base), odd={3: NOT_A_NUMBER, 12: MAYBE}, blank_after=(7,)
    )
    return case


def _csv_blank_lines(base: int) -> Case:
    case = Case("csv_blank_lines.csv", ["csv", "blank_leading_rows", "aliases"], delimiter=";")
    sheet = case.new_sheet("orders")
    sheet.blank(2)
    sheet.add("Questions? Write to orders@example.com")
    sheet.blank()
    header = [
        ("Customer E-Mail", "customer_email") if c == "customer_email" else (c, c) for c in COLUMNS
    ]
    case.table(sheet, make_orders(base, 15, base), header, odd={6: BAD_EMAIL}, blank_after=(2, 10))
    return case
