"""A cell showing a spreadsheet's formula error is a row error naming it, in every column."""

from __future__ import annotations

import pyarrow as pa

from stream_processors.sheet_errors import error_cells, error_message, is_error
from stream_processors.validation import validate_batch
from tests.unit.stream_processors.test_validation import ORDERS, orders


def test_each_error_cell_is_one_error_naming_it_whatever_the_column_type() -> None:
    result = validate_batch(
        orders(
            {"notes": "#DIV/0!"},  # a text column would have stored it as a note
            {"amount": " #N/A "},  # a number column called it "not a decimal number"
            {"customer_email": "#REF!"},  # required: not also "required value is missing"
            {"ordered_at": "#VALUE!", "country": "Err:502"},  # LibreOffice's form too
            {"notes": "order #12, see Err: 5"},  # a '#' in real text is no error
        ),
        ORDERS,
    )
    assert [(e.row, e.column, e.value, e.message) for e in result.errors] == [
        (2, "notes", "#DIV/0!", error_message("#DIV/0!")),
        (3, "amount", " #N/A ", error_message("#N/A")),
        (4, "customer_email", "#REF!", error_message("#REF!")),
        (5, "country", "Err:502", error_message("Err:502")),
        (5, "ordered_at", "#VALUE!", error_message("#VALUE!")),
    ]
    assert "spreadsheet error #DIV/0!" in result.errors[0].message
    assert (result.rows_ok, result.rows_failed) == (1, 4)
    assert result.valid.column("notes").to_pylist() == ["order #12, see Err: 5"]


def test_error_cells_are_found_in_any_slice_and_nothing_else_is() -> None:
    assert error_cells(pa.array(["a", None, "b", "Express", "DE"], pa.string())) is None
    assert error_cells(pa.array(["#1", "Err:5", "#N/A!", "Err:5020"], pa.string())) is None
    cells = pa.array(["x", "#NAME?", "Err:502", "#GETTING_DATA", "y"], pa.string())
    found = error_cells(cells)
    assert found is not None and found.to_pylist() == [False, True, True, True, False]
    assert error_cells(cells.slice(4)) is None
    later = error_cells(cells.slice(2, 1))
    assert later is not None and later.to_pylist() == [True]
    assert [is_error(v) for v in ("#REF!", "Err:522", "#ref!", None)] == [True, True, False, False]


def test_the_hashes_shown_for_a_value_too_wide_say_so_in_number_and_date_columns() -> None:
    result = validate_batch(
        orders({"ordered_at": "########"}, {"amount": "#####"}, {"notes": "####"}), ORDERS
    )
    said = [(e.row, e.column, e.message) for e in result.errors]
    assert said == [
        (
            2,
            "ordered_at",
            "'########' is how a spreadsheet shows a number or date too wide for its column, "
            "not a value: widen the column in the sheet and save the file again",
        ),
        (3, "amount", said[1][2]),
    ]
    assert said[1][2].startswith("'#####' is how a spreadsheet shows")
    assert result.valid.column("notes").to_pylist() == ["####"]  # text is text
