"""The office corpus cases whose upload must fail, each with the words its reason must hold."""

from __future__ import annotations

from tests.data.office.corpus_layouts import instructions_sheet
from tests.data.office.corpus_model import COLUMNS, Case, make_orders


def header_too_deep(base: int) -> Case:
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


def no_sheet_maps(base: int) -> Case:
    case = Case(
        "fail_no_sheet_maps.xlsx",
        ["xlsx", "failure", "second_sheet"],
        outcome="failed",
        reason_keywords=["Instructions", "Summary", "Notes", "sheet"],
    )
    instructions_sheet(case)
    summary = case.new_sheet("Summary")
    summary.add("country", "amount")
    summary.add("DE", 10.5)
    notes = case.new_sheet("Notes")
    notes.add("Orders go in a new file each month.")
    return case


def missing_required(base: int) -> Case:
    # a header that could hold the missing column ("Client") pauses for a person to map it
    case = Case(
        "fail_missing_required.xlsx",
        ["xlsx", "failure", "title_rows"],
        outcome="needs_mapping",
        reason_keywords=["customer_email", "row 3"],
    )
    sheet = case.new_sheet("Orders")
    sheet.add("Orders without buyers")
    sheet.blank()
    header = [("Client", None) if c == "customer_email" else (c, c) for c in COLUMNS]
    case.table(sheet, make_orders(base, 10, base), header)
    return case


def damaged(file: str, damage: str, keywords: list[str], base: int) -> Case:
    case = Case(
        file,
        ["xlsx", "failure", "corrupt"],
        damage=damage,
        outcome="failed",
        reason_keywords=keywords,
    )
    case.table(case.new_sheet("Orders"), make_orders(base, 30, base))
    return case


def truncated(base: int) -> Case:
    return damaged("fail_truncated.xlsx", "truncate", ["damaged|corrupt|truncated"], base)


def cut_sheet_xml(base: int) -> Case:
    keywords = ["damaged|corrupt|truncated|cannot be read|could not be read"]
    return damaged("fail_cut_sheet_xml.xlsx", "cut_sheet_xml", keywords, base)


def encrypted(base: int) -> Case:
    return damaged("fail_encrypted.xlsx", "encrypt", ["password|encrypted"], base)
