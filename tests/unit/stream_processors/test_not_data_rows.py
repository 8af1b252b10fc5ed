"""Rows that are not data, each one error for its row: a header row repeated among the data
(two exports pasted one under another), and a sheet's totals row under the data, in any of
a few languages. Other invalid rows keep every error."""

from __future__ import annotations

from schemas.records import RowError
from stream_processors.not_data_rows import (
    REPEATED_HEADER,
    merge_not_data_rows,
    totals_message,
    totals_word,
)
from stream_processors.validation import MISSING, validate_batch
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
    assert merge_not_data_rows(one, lookup, [], MISSING) == one
    other = [
        RowError(row=8, column="order_id", value="order_id", message="m"),
        RowError(row=8, column="customer_email", value="amount", message="m"),  # not its own
    ]
    assert merge_not_data_rows(other, lookup, [], MISSING) == other


def test_a_totals_row_is_one_error_naming_it() -> None:
    rows = {
        "order_id": ["1", None, None, "5", None],
        "customer_email": ["a@x.io", None, None, "b@x.io", "c@x.io"],
        "ordered_at": ["2026-01-02", "Total", None, "2026-01-02", "2026-01-02"],
        "amount": ["1.50", "1.50", "3.00", "x", "1"],
        "notes": ["n", None, "  Summe: ", "total", "lost its id"],
    }
    result = validate_batch(batch(rows), ORDERS)
    assert (result.rows_ok, result.rows_failed) == (1, 4)
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (3, "order_id", "the row is a totals row ('Total'), not data: remove it from the file"),
        (4, "order_id", "the row is a totals row ('Summe:'), not data: remove it from the file"),
        # a note saying "total" on an order that lacks nothing required is no totals row
        (5, "amount", "'x' is not a decimal number"),
        (6, "order_id", "required value is missing"),
    ]
    assert [row for row, _ in result.invalid_rows] == [3, 4, 5, 6]  # still there to correct


def test_totals_words_are_whole_cells() -> None:
    assert totals_word({"a": None, "b": "Grand  Total"}) == "Grand  Total"
    assert totals_word({"a": "TOTAL GÉNÉRAL"}) == "TOTAL GÉNÉRAL"
    assert totals_word({"a": "Total (EUR) of March", "b": "totally"}) is None
    assert (
        totals_message("合計")
        == "the row is a totals row ('合計'), not data: remove it from the file"
    )
