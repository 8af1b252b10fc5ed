"""A sheet's totals row under the data is one error for its row, naming it, in any of a few
languages; an invalid row without a totals word, or one that lacks no required value, keeps
every error."""

from __future__ import annotations

from stream_processors.totals_rows import totals_message, totals_word
from stream_processors.validation import validate_batch
from tests.unit.stream_processors.test_validation import ORDERS, batch


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
