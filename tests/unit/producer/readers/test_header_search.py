"""Finding the table: the header row within the first 50 rows, and the sheet that holds it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from producer.readers.header_search import HeaderSearch, choose_sheet, search_header
from schemas.dataset import Dataset, DatasetRegistry
from schemas.errors import ParseError, ParseErrorKind
from schemas.settings import packaged_datasets_dir
from tests.conftest import REPO_ROOT

ROOT = REPO_ROOT
HEADER = ["Order ID", "email", "country", "Ordered At"]


@pytest.fixture(scope="module")
def orders() -> Dataset:
    return DatasetRegistry(packaged_datasets_dir()).get("orders")


def test_title_notes_and_blank_rows_above_the_header_are_skipped(orders: Dataset) -> None:
    rows: list[tuple[int, list[str | None]]] = [
        (1, ["ACME orders March 2024", None]),
        (2, []),
        (3, ["Amounts in EUR", None, None]),
        (5, list(HEADER)),
        (6, ["1", "a@b.c", "DE", "2024-03-01"]),
    ]
    found = search_header(rows, orders, "sheet 'Orders'")
    assert found.header == (5, HEADER)  # the sheet's own row number


def test_the_search_stops_at_the_header_row(orders: Dataset) -> None:
    def rows() -> Iterator[tuple[int, list[str]]]:
        yield 1, HEADER
        raise AssertionError("read past the header row")

    assert search_header(rows(), orders, "the file").found


def test_the_closest_row_is_named_with_what_it_lacks(orders: Dataset) -> None:
    rows = [(1, ["Orders without buyers"]), (3, ["order_id", "Client", "ordered_at"])]
    found = search_header(rows, orders, "sheet 'Orders'")
    assert not found.found
    assert found.reason() == (
        "no header row in the first 50 rows of sheet 'Orders' maps the required columns "
        "order_id, customer_email, ordered_at; the closest is row 3 (order_id, ordered_at), "
        "which lacks customer_email"
    )
    assert found.error().kind is ParseErrorKind.MISSING_COLUMNS


def test_a_header_below_row_50_is_not_found(orders: Dataset) -> None:
    rows = [(n, [f"Note {n}"]) for n in range(1, 56)] + [(56, HEADER)]
    found = search_header(rows, orders, "sheet 'Orders'")
    assert not found.found
    assert "first 50 rows of sheet 'Orders'" in found.reason()
    assert "no row there names any of them (row 1 holds 'Note 1')" in found.reason()


def test_an_empty_head_says_the_sheet_is_empty(orders: Dataset) -> None:
    found = search_header([(1, [None, " "])], orders, "sheet 'Orders'")
    assert found.error().kind is ParseErrorKind.EMPTY
    assert found.reason() == "the sheet 'Orders' is empty: it has no header row"


def _searcher(
    orders: Dataset, heads: dict[str, list[tuple[int, list[str | None]]]]
) -> tuple[Callable[[str], HeaderSearch], list[str]]:
    searched: list[str] = []

    def search(name: str) -> HeaderSearch:
        searched.append(name)
        return search_header(heads[name], orders, f"sheet {name!r}")

    return search, searched


def test_the_first_sheet_whose_header_maps_is_chosen(orders: Dataset) -> None:
    heads: dict[str, list[tuple[int, list[str | None]]]] = {
        "Instructions": [(1, ["How to fill in the template"])],
        "Summary": [(1, ["country", "amount"])],
        "Orders": [(2, list(HEADER))],
        "Later": [(1, list(HEADER))],
    }
    search, searched = _searcher(orders, heads)
    name, found = choose_sheet(list(heads), search)
    assert (name, found.header) == ("Orders", (2, HEADER))
    assert searched == ["Instructions", "Summary", "Orders"]  # later sheets are not read


def test_no_sheet_maps_lists_the_sheets_and_how_to_name_one(orders: Dataset) -> None:
    heads: dict[str, list[tuple[int, list[str | None]]]] = {
        "Instructions": [(1, ["order_id", "the id"])],
        "Notes": [(1, ["Orders go in a new file each month."])],
    }
    search, _ = _searcher(orders, heads)
    with pytest.raises(ParseError) as caught:
        choose_sheet(list(heads), search)
    reason = str(caught.value)
    assert "the workbook's sheets are: 'Instructions', 'Notes'" in reason
    assert "the `sheet` form field, or --sheet in the CLI" in reason
    assert "the closest is row 1 of sheet 'Instructions' (order_id)" in reason
