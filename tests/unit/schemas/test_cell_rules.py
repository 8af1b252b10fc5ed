"""The dataset's rules in words, an example per column, and the cell JSON Schema a page checks
corrections with: each example passes the workers' own validation."""

from __future__ import annotations

import re
from typing import Any

import pyarrow as pa
import pytest

from schemas.arrow_codec import ROW_COLUMN
from schemas.cell_rules import TYPE_PATTERNS, cell_json_schema, example_value, rules_in_words
from schemas.dataset import DatasetRegistry
from schemas.locales import LocaleError
from schemas.settings import packaged_datasets_dir
from stream_processors.converters import parse_datetime
from stream_processors.validation import validate_batch

ORDERS = DatasetRegistry(packaged_datasets_dir()).get("orders")


def test_rules_read_as_words() -> None:
    words = {c.name: rules_in_words(c) for c in ORDERS.columns}
    assert words["country"] == "text, a two-letter country code in capitals, like DE or US"
    assert words["quantity"] == "a whole number, at least 1"
    assert words["amount"] == "a number, at least 0, up to 2 decimal places"
    assert words["notes"] == "text, up to 200 characters"


def test_every_example_passes_validation_and_the_schema() -> None:
    examples = {c.name: example_value(c) for c in ORDERS.columns}
    checked = validate_batch(
        pa.RecordBatch.from_pydict({**{k: [v] for k, v in examples.items()}, ROW_COLUMN: [2]}),
        ORDERS,
    )
    assert checked.errors == []
    schema = cell_json_schema(ORDERS)
    assert examples["country"] == "DE"  # the dataset's own: a pattern gets no made-up one
    for name, value in examples.items():
        assert value is not None
        for rule in schema["properties"][name]["allOf"]:
            assert re.search(rule["pattern"], value), (name, value)


def test_the_type_shapes_accept_what_the_workers_accept_and_refuse_the_rest() -> None:
    accepted = {
        "integer": ["42", "-7", "1,000", "12.0"],
        "decimal": ["12.50", "1,234.5", ".5"],
        "boolean": ["TRUE", "no", "Y", "0"],
        "date": ["2024-03-01"],
        "datetime": [
            "2024-03-01",
            "2024-03-01 14:30",
            "2024-03-01T14:30:00Z",
            "2024-03-01T14:30+02:00",
            "2024-03-01 9:30:00",  # a one-digit hour, as a sheet shows h:mm:ss
            "2024-03-01 14:30:00 UTC",  # as database exports (BigQuery) write it
            "2024-03-01 14:30:00.123456 utc",
            "2024-03-01T14:30:00GMT",
        ],
        "email": ["ana@example.com"],
    }
    refused = {
        "integer": ["4.2", "many"],
        "decimal": ["1,2", "twelve"],
        "boolean": ["maybe"],
        "date": ["TBD", "01/03/2024"],
        "datetime": ["TBD", "2024-03-01 14:30 CET"],
        "email": ["not-an-email", "a@b"],
    }
    for kind, values in accepted.items():
        assert all(re.search(TYPE_PATTERNS[kind], v) for v in values), kind
    moments = [parse_datetime(v) for v in accepted["datetime"][-3:]]
    assert [m.isoformat() for m in moments] == [
        "2024-03-01T14:30:00+00:00",
        "2024-03-01T14:30:00.123456+00:00",
        "2024-03-01T14:30:00+00:00",
    ]
    for kind, values in refused.items():
        assert not any(re.search(TYPE_PATTERNS[kind], v) for v in values), kind


def _passes(schema: dict[str, Any], name: str, text: str) -> bool:
    return all(re.search(r["pattern"], text) for r in schema["properties"][name]["allOf"])


def test_a_correction_is_checked_as_its_upload_was_read() -> None:
    german, american = cell_json_schema(ORDERS, "de-DE"), cell_json_schema(ORDERS, "en-US")
    for text in ("3,01", "1.234,50", "1234,5", "0"):
        assert _passes(german, "amount", text), text
    for text in ("3.01", "1,234.50", "1.234.5", "1.23,4"):
        assert not _passes(german, "amount", text), text
    assert _passes(american, "amount", "1,234.50") and not _passes(american, "amount", "3,01")
    assert _passes(german, "quantity", "1.234") and not _passes(german, "quantity", "2,5")
    amount = german["properties"]["amount"]
    assert amount["description"].startswith("a number written like 1.234,56")
    assert (amount["x-decimal"], amount["x-groups"]) == (",", ["."])
    # its example passes the workers' reading by the same locale
    examples = {n: p["examples"][0] for n, p in german["properties"].items()}
    row = pa.RecordBatch.from_pydict({**{k: [v] for k, v in examples.items()}, ROW_COLUMN: [2]})
    assert examples["amount"] == "19,99"
    assert validate_batch(row, ORDERS, "de-DE").errors == []
    # space grouping, as the browser compares it (no-break spaces too)
    french = cell_json_schema(ORDERS, "fr-FR")
    assert _passes(french, "amount", "1\u00a0234,56") and _passes(french, "amount", "1 234,56")
    with pytest.raises(LocaleError):
        cell_json_schema(ORDERS, "xx-YY")


def test_the_pages_check_takes_indian_grouping_in_en_in() -> None:
    from schemas.cell_rules import local_number_patterns
    from schemas.locales import LOCALES

    indian = local_number_patterns(LOCALES["en-IN"].numbers)["decimal"]
    western = local_number_patterns(LOCALES["en-US"].numbers)["decimal"]
    for text in ("12,34,567.89", "1,23,456", "1,234,567.5", "12,345", "7"):
        assert re.search(indian, text), text
    for text in ("1,23,45", "123,45,678"):
        assert not re.search(indian, text), text
    assert not re.search(western, "12,34,567.89")
