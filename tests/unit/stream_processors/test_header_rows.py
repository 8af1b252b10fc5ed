"""A header row repeated among the data (two exports pasted one under another) is one error
for its row, not one per column; other invalid rows keep every error."""

from __future__ import annotations

from schemas.records import RowError
from stream_processors.header_rows import REPEATED_HEADER, merge_repeated_headers
from stream_processors.validation import validate_batch
from tests.unit.stream_processors.test_validation import ORDERS, batch


def test_a_repeated_header_is_one_error_by_names_or_aliases() -> None:
    rows = {
        "order_id": ["1", "order_id", "Order ID", "x"],
        "customer_email": ["a@x.io", "customer_email", "Customer E-mail", "bad"],
        "country": ["DE", "country", "COUNTRY", "DE"],
        "ordered_at": ["2026-01-02", "ordered_at", "Ordered_At", "2026-01-02"],
        "amount": ["1.50", "amount", "amount", "1"],
        "quantity": ["1", "quantity", "Quantity", "1"],
        "notes": ["x", "notes", "Notes", "n"],
    }
    result = validate_batch(batch(rows), ORDERS)
    assert (result.rows_ok, result.rows_failed) == (1, 3)
    assert [(e.row, e.column, e.value, e.message) for e in result.errors] == [
        (3, "order_id", "order_id", REPEATED_HEADER),
        (4, "order_id", "Order ID", REPEATED_HEADER),
        (5, "order_id", "x", "'x' is not an integer"),
        (5, "customer_email", "bad", "'bad' is not a valid email address"),
    ]
    assert [row for row, _ in result.invalid_rows] == [3, 4, 5]  # still there to correct


def test_a_row_with_one_header_word_keeps_its_errors() -> None:
    lookup = ORDERS.header_lookup
    one = [RowError(row=7, column="order_id", value="order_id", message="not an integer")]
    assert merge_repeated_headers(one, lookup) == one
    other = [
        RowError(row=8, column="order_id", value="order_id", message="m"),
        RowError(row=8, column="customer_email", value="amount", message="m"),  # not its own
    ]
    assert merge_repeated_headers(other, lookup) == other
