"""Typed chunk columns (numbers, booleans, dates, timestamps as the spreadsheet held them):
the same rules and messages as their text, every odd value one error row among valid ones."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from schemas.arrow_codec import ROW_COLUMN
from schemas.dataset import Dataset
from stream_processors.validation import ValidationResult, validate_batch

NAN, INF = float("nan"), float("inf")


def check(kind: str, array: pa.Array, **rules: Any) -> ValidationResult:
    rows = pa.array(range(2, 2 + len(array)), pa.int64())
    batch = pa.RecordBatch.from_arrays([array, rows], ["v", ROW_COLUMN])
    ds = Dataset.model_validate({"name": "t", "columns": [{"name": "v", "type": kind, **rules}]})
    return validate_batch(batch, ds)


def outcome(kind: str, array: pa.Array, **rules: Any) -> tuple[list[Any], dict[int, str]]:
    """(valid values, {row: message}) of a one-column chunk."""
    result = check(kind, array, **rules)
    return result.valid.column("v").to_pylist(), {e.row: e.message for e in result.errors}


def test_integer_from_floats_and_ints() -> None:
    values = [2.0, 2.5, -7.0, 1e15, 1e19, NAN, INF, None, 0.0]
    valid, errors = outcome("integer", pa.array(values, pa.float64()))
    assert valid == [2, -7, 10**15, None, 0]
    assert errors == {
        3: "'2.5' is not an integer: expected a whole number",
        6: "'10000000000000000000' is too large for an integer",
        7: "'nan' is not an integer",
        8: "'inf' is not an integer",
    }
    assert outcome("integer", pa.array([5, None, -1], pa.int64())) == ([5, None, -1], {})


def test_integer_rules_and_errors_show_the_value() -> None:
    result = check("integer", pa.array([0.0, 3.0, 2.5]), min=1, required=True)
    assert [(e.row, e.value, e.message) for e in result.errors] == [
        (2, "0", "must be at least 1"),
        (4, "2.5", "'2.5' is not an integer: expected a whole number"),
    ]
    missing = check("integer", pa.array([None, 1.0]), required=True)
    assert [(e.row, e.message) for e in missing.errors] == [(2, "required value is missing")]


def test_decimal_from_floats_uses_the_shortest_repr() -> None:
    values = [12.34, 0.1, 0.1 + 0.2, 2.675, 1e20, -5.0, NAN, 99999999.99, None]
    valid, errors = outcome("decimal", pa.array(values), scale=2, precision=10)
    assert valid == [
        Decimal("12.34"),
        Decimal("0.10"),
        Decimal("-5.00"),
        Decimal("99999999.99"),
        None,
    ]
    assert errors == {
        4: "'0.30000000000000004' has more than 2 decimal places",
        5: "'2.675' has more than 2 decimal places",
        6: "'100000000000000000000' is too large (at most 8 digits before the point)",
        8: "'nan' is not a decimal number",
    }


def test_float_refuses_nan_and_infinity() -> None:
    valid, errors = outcome("float", pa.array([1.5, NAN, -INF, 3.0]))
    assert valid == [1.5, 3.0]
    assert errors == {3: "'nan' is not a number", 4: "'-inf' is not a number"}
    assert outcome("float", pa.array([3, -4], pa.int64())) == ([3.0, -4.0], {})


def test_boolean_cells_and_numbers_as_booleans() -> None:
    assert outcome("boolean", pa.array([True, None, False])) == ([True, None, False], {})
    valid, errors = outcome("boolean", pa.array([1.0, 0.0, 2.0]))
    assert valid == [True, False]
    assert errors == {4: "'2' is not a boolean (use true/false, yes/no or 1/0)"}


def test_date_from_timestamps_and_dates() -> None:
    stamps = pa.array(
        [datetime(2024, 3, 1), datetime(2024, 3, 1, 10, 30), None], pa.timestamp("ms")
    )
    valid, errors = outcome("date", stamps)
    assert valid == [date(2024, 3, 1), None]
    assert errors == {3: "'2024-03-01T10:30:00' has a time of day: use YYYY-MM-DD"}
    assert outcome("date", pa.array([date(2024, 2, 29)])) == ([date(2024, 2, 29)], {})


def test_datetime_from_timestamps_dates_and_aware_stamps() -> None:
    naive = pa.array([datetime(2024, 3, 1, 10, 0, 0, 500000)], pa.timestamp("ms"))
    assert outcome("datetime", naive)[0] == [datetime(2024, 3, 1, 10, 0, 0, 500000, tzinfo=UTC)]
    assert outcome("datetime", pa.array([date(2024, 3, 1)]))[0] == [
        datetime(2024, 3, 1, tzinfo=UTC)
    ]
    aware = pa.array([datetime(2024, 3, 1, 12, tzinfo=UTC)], pa.timestamp("s", "Europe/Berlin"))
    assert outcome("datetime", aware)[0] == [datetime(2024, 3, 1, 12, tzinfo=UTC)]


@pytest.mark.parametrize("kind", ["date", "datetime"])
def test_a_number_cell_in_a_date_column_is_an_error_unless_serials_are_declared(
    kind: str,
) -> None:
    cells = pa.array([45352.0, 45352.5])
    valid, errors = outcome(kind, cells)
    assert valid == []
    assert all("expected a date like 2024-05-31" in m for m in errors.values())
    valid, errors = outcome(kind, cells, excel_serial=True)
    assert errors == {}
    if kind == "date":  # a serial's fraction is its time of day; a date column keeps the day
        assert valid == [date(2024, 3, 1)] * 2
    else:
        assert valid == [datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 3, 1, 12, tzinfo=UTC)]


def test_cells_of_another_kind_meet_the_text_rules() -> None:
    valid, errors = outcome("integer", pa.array([True, False]))
    assert valid == []
    assert errors == {2: "'TRUE' is not an integer", 3: "'FALSE' is not an integer"}
    stamp = pa.array([datetime(2024, 3, 1, 10)], pa.timestamp("ms"))
    assert outcome("float", stamp)[1] == {2: "'2024-03-01T10:00:00' is not a number"}


def test_string_columns_refuse_nul_characters() -> None:
    texts = pa.array(["fine", "bad\x00byte", "also fine"])
    assert outcome("string", texts) == (
        ["fine", "also fine"],
        {3: "contains a NUL character, which cannot be stored"},
    )


def test_row_errors_show_a_nul_character_as_a_symbol() -> None:
    # PostgreSQL's text cannot hold NUL: one in a row error failed the whole chunk's write
    text = check("string", pa.array(["bad\x00byte"]))
    assert [(e.value, e.message) for e in text.errors] == [
        ("bad␀byte", "contains a NUL character, which cannot be stored")
    ]
    number = check("integer", pa.array(["1\x002"]))  # the message quotes the value
    assert [(e.value, e.message) for e in number.errors] == [("1␀2", "'1␀2' is not an integer")]


def test_a_nul_outside_the_chunk_s_values_is_no_error() -> None:
    # the data buffer of a slice reaches beyond it: only the values themselves count
    texts = pa.array(["bad\x00byte", "fine", "also fine"]).slice(1)
    assert outcome("string", texts) == (["fine", "also fine"], {})
    assert outcome("email", pa.array(["a\x00@b.example"]))[1] == {
        2: "contains a NUL character, which cannot be stored",
    }
