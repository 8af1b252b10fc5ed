"""Number cells among text (arrow_codec.NUMBER_CELLS_PREFIX): a number cell is the number it
holds in every locale, text follows the chunk's locale, and both are shown as that locale
writes numbers, in row errors and in the invalid rows a person corrects."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pyarrow as pa

from schemas.arrow_codec import ROW_COLUMN, number_cells_column
from schemas.dataset import Dataset
from stream_processors.validation import ValidationResult, validate_batch

AMOUNTS = Dataset.model_validate(
    {"name": "t", "columns": [{"name": "amount", "type": "decimal", "scale": 3}]}
)
# number cells as a sheet shows them (3.01), beside text typed the German way (3,01)
CELLS = ["1234.5", "1.234,50", "3.01", "3,01", "1.234", "1.234"]
NUMBERS = [True, False, True, False, True, False]


def run(
    cells: list[Any], marks: list[bool] | None, locale: str | None, dataset: Dataset = AMOUNTS
) -> ValidationResult:
    kind = pa.string() if isinstance(cells[0], str) else pa.float64()
    arrays = [pa.array(cells, kind), pa.array(range(2, 2 + len(cells)), pa.int64())]
    names = ["amount", ROW_COLUMN]
    if marks is not None:
        arrays.append(pa.array(marks))
        names.append(number_cells_column("amount"))
    return validate_batch(pa.RecordBatch.from_arrays(arrays, names), dataset, locale)


def test_number_cells_are_numbers_and_text_follows_the_locale() -> None:
    result = run(CELLS, NUMBERS, "de-DE")
    assert result.errors == []
    # the number cell 1.234 stays 1.234; the text 1.234 is 1234 as de-DE writes it
    assert result.valid.column("amount").to_pylist() == [
        Decimal(v) for v in ("1234.5", "1234.5", "3.01", "3.01", "1.234", "1234")
    ]


def test_without_marks_every_cell_is_text() -> None:
    # what a chunk from a CSV file holds: 3.01 is then not how de-DE writes numbers
    result = run(CELLS, None, "de-DE")
    assert [(e.row, e.value) for e in result.errors] == [(2, "1234.5"), (4, "3.01")]
    assert "as de-DE writes numbers" in result.errors[0].message


def test_under_a_decimal_point_the_marks_change_nothing() -> None:
    for locale in (None, "en-US", "de-CH"):
        result = run(["1234.5", "3.01"], [True, True], locale)
        assert result.valid.column("amount").to_pylist() == [Decimal("1234.5"), Decimal("3.01")]


def test_a_number_cell_is_shown_as_the_locale_writes_numbers() -> None:
    # more decimals than the scale: one invalid row, shown 1,2345 to a person in Germany,
    # whose correction of the row is read as de-DE again
    result = run(["1.2345", "3,5"], [True, False], "de-DE")
    assert [(e.row, e.value, e.message) for e in result.errors] == [
        (2, "1,2345", "'1,2345' has more than 3 decimal places")
    ]
    assert result.invalid_rows == [(2, {"amount": "1,2345"})]
    french = run(["-0.5"], [True], "fr-FR")
    assert french.valid.column("amount").to_pylist() == [Decimal("-0.5")]


def test_a_typed_number_cell_is_shown_as_the_locale_writes_numbers() -> None:
    result = run([2.5, 1.2345], None, "de-DE")
    assert [(e.value, e.message) for e in result.errors] == [
        ("1,2345", "'1,2345' has more than 3 decimal places")
    ]
    assert result.invalid_rows == [(3, {"amount": "1,2345"})]
    whole = Dataset.model_validate(
        {"name": "t", "columns": [{"name": "amount", "type": "integer"}]}
    )
    assert [e.message for e in run([2.5], None, "de-DE", whole).errors] == [
        "'2,5' is not an integer: expected a whole number"
    ]
    assert [e.message for e in run([2.5], None, None, whole).errors] == [
        "'2.5' is not an integer: expected a whole number"
    ]
