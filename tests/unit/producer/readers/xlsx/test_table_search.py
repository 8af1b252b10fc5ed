"""The XLSX header search: the extension's first batch, read once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from producer.readers.base import ReaderLimits
from producer.readers.xlsx import open_xlsx_reader
from producer.readers.xlsx.guard import inspect_xlsx
from producer.readers.xlsx.reader import XlsxReader
from producer.readers.xlsx.sheet import XlsxSheet
from producer.readers.xlsx.struct_cells import column_text
from producer.readers.xlsx.table_search import head_rows, open_table
from schemas.arrow_codec import ROW_COLUMN
from schemas.dataset import Dataset, DatasetRegistry
from schemas.errors import ParseError, ParseErrorKind
from schemas.settings import packaged_datasets_dir


@pytest.fixture()
def dataset() -> Dataset:
    return DatasetRegistry(packaged_datasets_dir()).get("orders")


def write_book(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


ORDERS = [
    ["ACME orders, March"],
    [2024],  # a number in a title row
    [],
    ["order_id", "Customer E-mail", "ordered_at"],
    [1, "a@example.com", dt.datetime(2024, 3, 1, 9, 30)],
    [2, "b@example.com", dt.datetime(2024, 3, 2)],
]


def test_the_first_sheet_with_a_header_is_read_from_the_row_below_it(
    tmp_path: Path, dataset: Dataset
) -> None:
    path = write_book(
        tmp_path / "x.xlsx", {"Read me": [["Fill in the Orders sheet"]], "Orders": ORDERS}
    )
    reader = open_xlsx_reader(path, dataset, 10, limits=ReaderLimits())
    try:
        assert isinstance(reader, XlsxReader)
        assert reader.header == ["order_id", "Customer E-mail", "ordered_at"]
        batches = list(reader.batches())
    finally:
        reader.close()
    assert [b.num_rows for b in batches] == [2]
    assert batches[0].column(ROW_COLUMN).to_pylist() == [5, 6]  # the sheet's own rows
    assert batches[0].column("customer_email").to_pylist() == ["a@example.com", "b@example.com"]


def test_the_head_is_cell_text_as_shown(tmp_path: Path) -> None:
    path = write_book(tmp_path / "x.xlsx", {"Orders": ORDERS})
    sheets = inspect_xlsx(path, ReaderLimits())
    with XlsxSheet(path, "Orders", 100, ReaderLimits(), guarded=sheets[0]) as sheet:
        rows = list(head_rows(next(sheet.batches())))
    assert rows[:4] == [
        (1, ["ACME orders, March"]),
        (2, ["2024"]),  # as Excel shows it, not "2024.0"
        (3, []),
        (4, ["order_id", "Customer E-mail", "ordered_at"]),
    ]


# a cell of every kind the extension reads, and text that reads like a date or a bool
EVERY_KIND: list[list[Any]] = [
    ["text", "  ", "true", "2024-03-01 13:45:00", "2024-02-31 25:61:00", "#DIV/0!", None, "x"],
    [42, 3.01, -0.000001, 1e20, 2**53 + 2.0, 1 / 3, True, False],
    [dt.datetime(2024, 3, 1, 9, 30, 15, 250000), dt.datetime(2024, 3, 2), dt.date(2024, 3, 3)],
    [dt.time(6, 0), dt.time(23, 59, 59, 999000), dt.timedelta(hours=30, seconds=1)],
    [dt.timedelta(days=-2, milliseconds=5), dt.datetime(1899, 12, 31, 12), "=1/0"],
]


@pytest.mark.parametrize("iso_dates", [False, True], ids=["serial", "iso"])
def test_the_head_renders_each_cell_as_the_reader_renders_its_column(
    tmp_path: Path, iso_dates: bool
) -> None:
    path = tmp_path / "x.xlsx"
    book = openpyxl.Workbook(iso_dates=iso_dates)
    for row in ORDERS + EVERY_KIND:
        book.active.append(row)
    book.save(path)
    sheets = inspect_xlsx(path, ReaderLimits())
    with XlsxSheet(path, None, 100, ReaderLimits(), guarded=sheets[0]) as sheet:
        batch = next(sheet.batches())
    columns = [column_text(c).to_pylist() for c in batch.rows.columns]
    whole = [[column[at] for column in columns] for at in range(batch.rows.num_rows)]
    for cells in whole:
        while cells and cells[-1] is None:
            cells.pop()
    rows = list(head_rows(batch))
    assert rows == list(enumerate(whole, start=1))
    assert rows[6][1][:6] == [
        "text",
        None,
        "TRUE",
        "2024-03-01T13:45:00",
        "2024-02-31 25:61:00",
        "#DIV/0!",
    ]


def test_no_sheet_with_a_header_names_every_sheet(tmp_path: Path, dataset: Dataset) -> None:
    path = write_book(
        tmp_path / "x.xlsx", {"Read me": [["Nothing here"]], "Notes": [["Order number", "note"]]}
    )
    with pytest.raises(ParseError) as refused:
        open_xlsx_reader(path, dataset, 10, limits=ReaderLimits())
    assert refused.value.kind is ParseErrorKind.MISSING_COLUMNS
    assert str(refused.value).startswith(
        "no sheet has a header row (in its first 50 rows) that maps the required columns "
        "order_id, customer_email, ordered_at; the workbook's sheets are: 'Read me', 'Notes'. "
        "Name the sheet to read with"
    )


def test_a_named_sheet_without_a_header_says_why(tmp_path: Path, dataset: Dataset) -> None:
    path = write_book(tmp_path / "x.xlsx", {"Orders": ORDERS, "Empty": []})
    sheets = inspect_xlsx(path, ReaderLimits())
    with pytest.raises(ParseError, match="the sheet 'Empty' is empty: it has no header row"):
        open_table(path, sheets, dataset, "Empty", 100, ReaderLimits())


def test_the_first_batch_must_hold_the_whole_head(tmp_path: Path, dataset: Dataset) -> None:
    path = write_book(tmp_path / "x.xlsx", {"Orders": ORDERS})
    sheets = inspect_xlsx(path, ReaderLimits())
    with pytest.raises(ValueError, match="read_rows must be at least 50"):
        open_table(path, sheets, dataset, None, 10, ReaderLimits())
