"""One column-type map: what validation accepts is what the table stores."""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
import pytest
from sqlalchemy.dialects import postgresql, sqlite

from database.chunk_store import prepare_rows
from database.column_types import sql_type
from schemas.arrow_codec import ROW_COLUMN
from schemas.arrow_types import arrow_type
from schemas.dataset import Dataset
from stream_processors.validation import output_schema, validate_batch

UNSCALED = Dataset.model_validate({"name": "t", "columns": [{"name": "v", "type": "decimal"}]})


def test_validation_types_columns_with_the_shared_map() -> None:
    column = UNSCALED.columns[0]
    assert output_schema(UNSCALED).field("v").type == arrow_type(column) == pa.decimal128(38, 2)


def test_a_decimal_without_scale_is_refused_not_rounded_when_it_has_more_places() -> None:
    batch = pa.RecordBatch.from_arrays(
        [pa.array(["1.25", "1.234"]), pa.array([2, 3], pa.int64())], ["v", ROW_COLUMN]
    )
    result = validate_batch(batch, UNSCALED)

    assert result.valid.column("v").to_pylist() == [Decimal("1.25")]
    assert [(e.row, e.message) for e in result.errors] == [
        (3, "'1.234' has more than 2 decimal places")
    ]


def test_a_decimal_without_scale_is_a_bare_numeric_that_never_rounds() -> None:
    column = UNSCALED.columns[0]
    assert sql_type(column).compile(dialect=postgresql.dialect()) == "NUMERIC"
    assert sql_type(column).compile(dialect=sqlite.dialect()) == "TEXT"


def test_storing_refuses_a_value_it_would_have_to_round() -> None:
    rows = pa.table(
        {"v": pa.array([Decimal("1.234")], pa.decimal128(38, 3)), ROW_COLUMN: pa.array([2])}
    )
    with pytest.raises(pa.ArrowInvalid):
        prepare_rows(UNSCALED, rows)
