"""A sheet column of a number type that mixes number cells with text: the chunk marks which
cells were numbers (arrow_codec.NUMBER_CELLS_PREFIX), in every sheet format, so that a
locale reads only the text its own way. The workbooks are the locale corpus's
de-DE_mixed_amounts files (tests/data/locales/make_locales.py): number cells 1234.5 and 3.01
in rows 2 and 4, text cells 1.234,50 and 3,01 in rows 3 and 5, a number cell 1.234 in row 8."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from producer.readers import open_reader
from schemas.arrow_codec import ROW_COLUMN, is_cell_column, number_cells_column
from schemas.dataset import Dataset, load_dataset_file
from schemas.settings import packaged_datasets_dir
from stream_processors.validation import validate_batch
from tests.conftest import REPO_ROOT

ORDERS = load_dataset_file(packaged_datasets_dir() / "orders.yaml")
MIXED = REPO_ROOT / "tests" / "data" / "locales"
MARKS = number_cells_column("amount")


def read(path: Path, chunk_rows: int, dataset: Dataset = ORDERS) -> list[pa.RecordBatch]:
    reader = open_reader(path, dataset, chunk_rows)
    try:
        return list(reader.batches())
    finally:
        reader.close()


def amounts(batches: list[pa.RecordBatch]) -> dict[int, tuple[str | None, bool | None]]:
    """Row number -> (the amount's text, whether it was a number cell), for text chunks."""
    found = {}
    for batch in batches:
        if not pa.types.is_string(batch.schema.field("amount").type):
            continue
        marks = batch.column(MARKS).to_pylist() if MARKS in batch.schema.names else None
        rows, texts = batch.column(ROW_COLUMN).to_pylist(), batch.column("amount").to_pylist()
        for i, (row, text) in enumerate(zip(rows, texts, strict=True)):
            found[row] = (text, None if marks is None else marks[i])
    return found


@pytest.mark.parametrize("fmt", ["xlsx", "ods", "xls"])
def test_the_number_cells_of_a_text_column_are_marked(fmt: str) -> None:
    batches = read(MIXED / f"de-DE_mixed_amounts.{fmt}", 1000)
    assert len(batches) == 1
    found = amounts(batches)
    assert [found[row] for row in (2, 3, 4, 5, 8)] == [
        ("1234.5", True),
        ("1.234,50", False),
        ("3.01", True),
        ("3,01", False),
        ("1.234", True),
    ]
    # the marks are no cells: the chunk header lists only typed cell columns
    schema = batches[0].schema
    assert [n for n in schema.names if not is_cell_column(n)] == [ROW_COLUMN, MARKS]


@pytest.mark.parametrize("fmt", ["xlsx", "ods", "xls"])
@pytest.mark.parametrize("chunk_rows", [2, 1000])
def test_read_as_de_de_every_amount_is_exact(fmt: str, chunk_rows: int) -> None:
    # the locale chosen (tests/integration/test_locale_corpus.py uploads them to detect it)
    amounts: dict[int, Decimal | None] = {}
    errors = []
    for batch in read(MIXED / f"de-DE_mixed_amounts.{fmt}", chunk_rows):
        result = validate_batch(batch, ORDERS, "de-DE")
        rows = result.valid.column(ROW_COLUMN).to_pylist()
        amounts.update(zip(rows, result.valid.column("amount").to_pylist(), strict=True))
        errors += [(e.row, e.column, e.value, e.message) for e in result.errors]
    assert [amounts[row] for row in (2, 3, 4, 5)] == [
        Decimal("1234.50"),
        Decimal("1234.50"),
        Decimal("3.01"),
        Decimal("3.01"),
    ]
    assert errors == [(8, "amount", "1,234", "'1,234' has more than 2 decimal places")]


def test_the_xlsx_reader_marks_per_chunk() -> None:
    # chunks of two rows: a number and a text cell each, until the rows of whole numbers
    found = amounts(read(MIXED / "de-DE_mixed_amounts.xlsx", 2))
    assert [found[row] for row in (2, 3, 4, 5)] == [
        ("1234.5", True),
        ("1.234,50", False),
        ("3.01", True),
        ("3,01", False),
    ]


def test_whole_numbers_among_text_need_no_marks(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["order_id", "customer_email", "ordered_at", "amount"])
    for i, amount in enumerate([12, "3,01", 7, "n/a"]):
        sheet.append([i + 1, f"a{i}@example.com", "2024-03-01", amount])
    path = tmp_path / "whole.xlsx"
    book.save(path)
    (batch,) = read(path, 100)
    # a whole number reads alike in every locale: the text is all the chunk needs
    assert batch.column("amount").to_pylist() == ["12", "3,01", "7", "n/a"]
    assert MARKS not in batch.schema.names
