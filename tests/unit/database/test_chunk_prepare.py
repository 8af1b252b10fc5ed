"""A chunk's writes made ready before any transaction (prepare_chunk): what the driver gets."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pyarrow as pa

from database.chunk_store import PG_COPY_MIN_ROWS, prepare_chunk
from schemas.arrow_codec import ROW_COLUMN
from schemas.dataset import Dataset
from schemas.records import RowError

ORDERS = Dataset.model_validate(
    {
        "name": "orders",
        "key": ["order_id"],
        "columns": [
            {"name": "order_id", "type": "integer"},
            {"name": "amount", "type": "decimal", "scale": 2},
            {"name": "ordered_at", "type": "datetime"},
        ],
    }
)
AT = datetime(2024, 5, 31, 10, 0, 1, 5, tzinfo=UTC)


def valid_rows(order_ids: list[int]) -> pa.Table:
    n = len(order_ids)
    return pa.table(
        {
            "order_id": pa.array(order_ids, pa.int64()),
            "amount": pa.array([Decimal("1.50")] * n, pa.decimal128(38, 2)),
            "ordered_at": pa.array([AT] * n, pa.timestamp("us", tz="UTC")),
            ROW_COLUMN: pa.array(range(2, n + 2), pa.int64()),
        }
    )


def test_sqlite_gets_tuples_in_its_text_formats_and_the_last_row_of_a_repeated_key() -> None:
    errors = [
        RowError(row=9, column="amount", value="x", message="'x' is not a number"),
        RowError(row=9, column="order_id", value=None, message="required value is missing"),
    ]
    chunk = prepare_chunk(
        "sqlite", ORDERS, job_id="j", tenant="t", valid=valid_rows([7, 8, 7]), errors=errors
    )

    assert chunk.row_values == [
        ("j", "t", 3, 8, "1.50", "2024-05-31 10:00:01.000005"),
        ("j", "t", 4, 7, "1.50", "2024-05-31 10:00:01.000005"),
    ]
    assert chunk.error_values == [
        ("j", "t", 9, "amount", "x", "'x' is not a number"),
        ("j", "t", 9, "order_id", None, "required value is missing"),
    ]
    assert (chunk.rows_ok, chunk.rows_failed) == (3, 1)


def test_postgresql_copies_a_chunk_of_enough_rows_and_binds_a_small_one() -> None:
    big = prepare_chunk(
        "postgresql",
        ORDERS,
        job_id="j",
        tenant="t",
        valid=valid_rows(list(range(PG_COPY_MIN_ROWS))),
        errors=[],
    )
    small = prepare_chunk(
        "postgresql", ORDERS, job_id="j", tenant="t", valid=valid_rows([5]), errors=[]
    )

    assert big.row_values is None  # COPY takes the Arrow rows
    assert big.rows.column("order_id").to_pylist() == list(range(PG_COPY_MIN_ROWS))
    assert small.row_values == [("j", "t", 2, 5, Decimal("1.50"), AT)]


def test_a_chunk_without_valid_rows_writes_only_its_errors() -> None:
    error = RowError(row=2, column="order_id", value="x", message="'x' is not an integer")
    chunk = prepare_chunk(
        "sqlite", ORDERS, job_id="j", tenant="t", valid=valid_rows([]), errors=[error]
    )
    assert chunk.row_values is None
    assert chunk.rows.num_rows == 0
    assert (chunk.rows_ok, chunk.rows_failed, len(chunk.error_values)) == (0, 1, 1)
