"""What a person sees to map a file's columns: the header candidate, samples, suggestions."""

from __future__ import annotations

import pytest

from producer.mapping_preview import build_preview, exact_saved, header_candidate
from producer.readers.base import HeaderNotFound
from schemas.column_mapping import (
    header_signature,
    mapped_dataset,
    mapping_problems,
    parse_mapping_pairs,
)
from schemas.dataset import Dataset, DatasetRegistry
from schemas.errors import DatasetError
from schemas.settings import packaged_datasets_dir

ROWS = [
    (1, ["Orders export, March"]),
    (2, []),
    (3, ["Order #", "E-mail address", "Date", "Total", "Gift wrap"]),
    (4, ["1001", "ann@example.com", "2024-03-01T10:00:00Z", "12.50", "yes"]),
    (5, ["1002", "bob@example.com", "2024-03-02", "7.25", "no"]),
]


@pytest.fixture
def orders() -> Dataset:
    return DatasetRegistry(packaged_datasets_dir()).get("orders")


def test_the_header_candidate_is_the_row_of_words_not_the_title_or_the_data(
    orders: Dataset,
) -> None:
    assert header_candidate(ROWS, orders) == ROWS[2]


def test_each_dataset_column_gets_a_suggestion_by_name_similarity_or_values(
    orders: Dataset,
) -> None:
    preview = build_preview(HeaderNotFound("no header", rows=ROWS), orders)
    assert preview is not None
    assert (preview.header_row, preview.file_columns[:2]) == (3, ["Order #", "E-mail address"])
    assert preview.samples[0] == ["1001", "ann@example.com", "2024-03-01T10:00:00Z", "12.50", "yes"]
    assert preview.suggestions == {
        "order_id": "Order #",
        "customer_email": "E-mail address",
        "ordered_at": "Date",
        "express": "Gift wrap",
    }
    assert preview.suggested_by == {
        "order_id": "similar",
        "customer_email": "similar",
        "ordered_at": "values",
        "express": "values",
    }


def test_a_saved_mapping_is_offered_first_and_applied_to_exactly_its_header(
    orders: Dataset,
) -> None:
    saved = {"order_id": "Order #", "customer_email": "E-mail address", "ordered_at": "Date"}
    saved |= {"amount": "Total"}
    preview = build_preview(HeaderNotFound("no header", rows=ROWS), orders, [saved])
    assert preview is not None
    assert (preview.suggestions["amount"], preview.suggested_by["amount"]) == ("Total", "saved")
    # saved for another header: offered, never applied without asking
    assert exact_saved(preview, orders, {header_signature(["Order #", "Total"]): saved}) is None
    exact = {header_signature(preview.file_columns): saved}
    assert exact_saved(preview, orders, exact) == saved


def test_a_mapping_names_what_is_wrong_with_it(orders: Dataset) -> None:
    columns = ["Order #", "E-mail address", "Date"]
    assert mapping_problems(orders, {"order_id": "Order #"}, columns) == [
        "map the required columns customer_email, ordered_at"
    ]
    twice = {"order_id": "Order #", "customer_email": "order #", "ordered_at": "Date"}
    assert "mapped to both order_id and customer_email" in mapping_problems(orders, twice)[0]
    assert mapping_problems(orders, {"nope": "Date"})[0].startswith("nope is not a column")
    assert "the file has no column 'When'" in mapping_problems(
        orders, {"ordered_at": "When"}, columns
    )


def test_the_mapped_dataset_knows_each_mapped_column_by_the_file_header_only(
    orders: Dataset,
) -> None:
    mapped = mapped_dataset(orders, {"customer_email": "Contact", "order_id": "email"})
    lookup = mapped.header_lookup
    assert lookup["contact"] == "customer_email" and lookup["email"] == "order_id"
    assert "customere-mail" not in lookup  # customer_email's own alias steps aside
    with pytest.raises(DatasetError, match="the name of the dataset column notes"):
        mapped_dataset(orders, {"customer_email": "notes"})


def test_the_cli_map_pairs() -> None:
    assert parse_mapping_pairs(["Order #=order_id", " a=b = amount "]) == {
        "order_id": "Order #",
        "amount": "a=b",
    }
    with pytest.raises(ValueError, match="File header=dataset_column"):
        parse_mapping_pairs(["order_id"])


def test_values_as_a_locale_writes_them_and_a_columns_pattern_suggest_columns_too(
    orders: Dataset,
) -> None:
    rows = [
        (1, ["Pedidos de diciembre"]),
        (2, ["Nº pedido", "Correo", "País", "Fecha", "Importe", "Urgente"]),
        (3, ["1001", "ana@ejemplo.es", "ES", "02/12/2026 10:30", "12,50", "Sí"]),
        (4, ["1002", "luis@ejemplo.es", "PT", "03/12/2026 9:05", "25,00", "NO"]),
    ]
    preview = build_preview(HeaderNotFound("no header", rows=rows), orders)
    assert preview is not None
    assert preview.suggestions == {
        "order_id": "Nº pedido",  # the key: a header that numbers the rows, distinct values
        "customer_email": "Correo",
        "country": "País",
        "ordered_at": "Fecha",
        "express": "Urgente",
    }
    assert set(preview.suggested_by.values()) == {"values"}
    # an amount is a number, not a date; a word of no locale is no boolean
    numbers = [
        (2, ["Importe", "Regalo", "Código postal", "Nº"]),
        (3, ["1.234,56", "quizás", "28001", "7"]),
        (4, ["12.50", "tal vez", "28002", "7"]),  # the same 'Nº' twice: no key
    ]
    unsure = build_preview(HeaderNotFound("no header", rows=numbers), orders)
    assert unsure is not None and unsure.suggestions == {}
