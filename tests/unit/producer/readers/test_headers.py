"""Header mapping: names, aliases, unknown and missing columns."""

from __future__ import annotations

import time

import pytest

from producer.readers.base import ReaderLimits
from producer.readers.headers import map_headers
from schemas.dataset import Dataset, DatasetRegistry
from schemas.errors import ParseError
from schemas.settings import packaged_datasets_dir


@pytest.fixture(scope="module")
def orders() -> Dataset:
    return DatasetRegistry(packaged_datasets_dir()).get("orders")


def test_names_and_aliases_match_case_and_space_insensitively(orders: Dataset) -> None:
    mapping = map_headers(
        ["NOTES", " Order_ID ", "customer e-mail", "Ordered At", "amount"], orders
    )
    # file column index -> dataset column, in dataset order (not file order)
    assert list(mapping.columns.items()) == [
        (1, "order_id"),
        (2, "customer_email"),
        (3, "ordered_at"),
        (4, "amount"),
        (0, "notes"),
    ]
    assert mapping.unknown_columns == []


def test_plain_alias_email(orders: Dataset) -> None:
    mapping = map_headers(["order_id", "EMAIL", "ordered_at"], orders)
    assert mapping.columns[1] == "customer_email"


def test_unknown_columns_reported_once_in_file_order(orders: Dataset) -> None:
    header = ["order_id", "Zeta", "email", "alpha", "ordered_at", "Zeta", None, "  "]
    mapping = map_headers(header, orders)
    assert mapping.unknown_columns == ["Zeta", "alpha"]
    assert set(mapping.columns.values()) == {"order_id", "customer_email", "ordered_at"}


def test_missing_required_column_names_it_and_the_found_headers(orders: Dataset) -> None:
    with pytest.raises(ParseError) as info:
        map_headers(["email", "ordered_at", "Amount"], orders)
    message = str(info.value)
    assert message.startswith("missing required column 'order_id'")
    assert "'email'" in message and "'Amount'" in message


def test_several_missing_columns_are_all_named(orders: Dataset) -> None:
    with pytest.raises(ParseError, match="missing required columns 'order_id', 'customer_email'"):
        map_headers(["ordered_at"], orders)


def test_same_dataset_column_twice_is_an_error(orders: Dataset) -> None:
    with pytest.raises(ParseError, match=r"'email' and 'Customer E-mail'.*'customer_email'"):
        map_headers(["order_id", "email", "ordered_at", "Customer E-mail"], orders)


def test_too_many_columns_fails_quickly(orders: Dataset) -> None:
    header = ["order_id", "email", "ordered_at"] + [f"x{i}" for i in range(10_000)]
    start = time.perf_counter()
    with pytest.raises(ParseError, match="10003 columns, more than the limit of 1000"):
        map_headers(header, orders, ReaderLimits())
    assert time.perf_counter() - start < 0.5


def test_trailing_blank_cells_do_not_count_as_columns() -> None:
    small = Dataset.model_validate({"name": "small", "columns": [{"name": "a", "type": "string"}]})
    mapping = map_headers(["a", "b"] + [""] * 50, small, ReaderLimits(max_columns=2))
    assert mapping.columns == {0: "a"} and mapping.unknown_columns == ["b"]
