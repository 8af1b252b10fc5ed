"""Merged cells: the warning names the ranges that leave a data row's dataset cell empty,
and the reader gives it once the sheet is read (a real workbook, merged by openpyxl)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from producer.readers.base import ReaderLimits
from producer.readers.merged_cells import merged_cells_warning
from producer.readers.xlsx import open_xlsx_reader
from schemas.dataset import DatasetRegistry
from schemas.settings import packaged_datasets_dir

# sheet columns A..D: order_id, customer_email, country, (unmapped) D
COLUMNS = {0: "order_id", 1: "customer_email", 2: "country"}


def test_a_value_merged_down_a_column_names_the_rows_left_empty() -> None:
    # C2:C5, header on row 1: C3..C5 read empty
    assert merged_cells_warning([((1, 2), (4, 2))], 0, COLUMNS, header_row=1) == (
        "cells C2:C5 (country) are merged and hold their value in C2 only, so rows 3–5 read "
        "no country: unmerge the cells, put the value in each of them, and upload the file again"
    )
    assert "so row 3 read no country" in str(
        merged_cells_warning([((1, 2), (2, 2))], 0, COLUMNS, header_row=1)
    )


def test_ranges_that_leave_no_data_cell_empty_are_no_warning() -> None:
    harmless = [
        ((0, 0), (0, 7)),  # a title over the header row... on the header row itself
        ((0, 3), (5, 3)),  # column D is not the dataset's
        ((3, 0), (3, 0)),  # one cell
        ((3, 2), (3, 3)),  # C4:D4: the value is in C4, D is not the dataset's
    ]
    assert merged_cells_warning(harmless, 0, COLUMNS, header_row=1) is None
    # above a header on row 3, a merge down rows 1-2 covers no data row
    assert merged_cells_warning([((0, 2), (1, 2))], 0, COLUMNS, header_row=3) is None


def test_several_ranges_are_named_up_to_three_and_counted() -> None:
    ranges = [((1, 2), (3, 2)), ((4, 0), (4, 1)), ((6, 1), (7, 2)), ((9, 2), (10, 2))]
    got = merged_cells_warning(ranges, 2, COLUMNS, header_row=1)
    assert got == (
        "merged cells C2:C4 (country), A5:B5 (customer_email), B7:C8 (customer_email, "
        "country) and 3 more hold their value in their first cell only, so their other cells "
        "read as empty: unmerge the cells, put the value in each of them, and upload the file "
        "again"
    )


def test_a_range_that_starts_in_the_header_names_its_data_rows() -> None:
    # C1:C3 with the header on row 1: the header cell holds the value, rows 2-3 are empty
    got = merged_cells_warning([((0, 2), (2, 2))], 0, COLUMNS, header_row=1)
    assert got is not None and "so rows 2–3 read no country" in got


def _merged_book(path: Path, rows: int, merges: list[str]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["order_id", "customer_email", "country", "ordered_at"])
    for i in range(rows):
        sheet.append(
            [i + 1, f"u{i}@example.com", "DE" if i == 0 else None, dt.datetime(2026, 1, 1)]
        )
    for merge in merges:
        sheet.merge_cells(merge)
    book.save(path)
    return path


def test_the_reader_warns_once_its_sheet_is_read(tmp_path: Path) -> None:
    dataset = DatasetRegistry(packaged_datasets_dir()).get("orders")
    # country (column C) merged down rows 2-5: what the sheet shows on four orders is on one
    path = _merged_book(tmp_path / "merged.xlsx", 40, ["C2:C5", "E2:F3"])
    reader = open_xlsx_reader(path, dataset, 10, limits=ReaderLimits())
    try:
        assert reader.warnings() == []
        batches = list(reader.batches())
        assert sum(b.num_rows for b in batches) == 40
        assert batches[0].column("country").to_pylist()[:4] == ["DE", None, None, None]
        assert reader.warnings() == [
            "cells C2:C5 (country) are merged and hold their value in C2 only, so rows 3–5 "
            "read no country: unmerge the cells, put the value in each of them, and upload "
            "the file again"
        ]
    finally:
        reader.close()
    plain = open_xlsx_reader(_merged_book(tmp_path / "plain.xlsx", 4, []), dataset, 10)
    try:
        list(plain.batches())
        assert plain.warnings() == []
    finally:
        plain.close()
