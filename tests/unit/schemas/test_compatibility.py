"""A dataset change in a schema registry's terms, for the readers of its results topic."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.compatibility import ResultShape, compatibility
from schemas.dataset import Dataset, parse_dataset
from schemas.result_schema import result_row_json_schema

BASE: list[dict[str, Any]] = [
    {"name": "order_id", "type": "integer", "required": True},
    {"name": "amount", "type": "decimal", "scale": 2},
]


def orders(
    *extra: dict[str, Any], results: dict[str, Any] | None = None, **changes: Any
) -> Dataset:
    columns = [
        dict(c, **changes.get(c["name"], {}))
        for c in BASE
        if c["name"] not in changes.get("drop", ())
    ]
    key = ["order_id"] if any(c["name"] == "order_id" for c in columns) else []
    body: dict[str, Any] = {"name": "orders", "key": key, "columns": [*columns, *extra]}
    if results:
        body["results"] = results
    return parse_dataset(body)


@pytest.mark.parametrize(
    ("new", "level"),
    [
        (orders(), "FULL"),
        (orders({"name": "notes", "type": "string"}), "FULL"),
        (orders({"name": "sku", "type": "string", "required": True}), "FORWARD"),
        (orders(drop=("amount",)), "FULL"),
        (orders(drop=("order_id",)), "BACKWARD"),
        (orders(amount={"required": True}), "FORWARD"),
        (orders(order_id={"required": False}), "BACKWARD"),
        (orders(amount={"scale": 3}), "NONE"),
        (orders(amount={"type": "float", "scale": None}), "NONE"),
        (orders(results={"encoding": "json"}), "NONE"),
    ],
)
def test_levels(new: Dataset, level: str) -> None:
    verdict = compatibility(ResultShape.of(orders()), ResultShape.of(new))
    assert verdict.level == level, verdict.changes
    assert verdict.allowed is (level == "FULL")


def test_the_next_major_version_takes_any_change_and_names_its_topic() -> None:
    old = ResultShape.of(orders())
    bumped = orders(amount={"scale": 3}, results={"major": 2})
    verdict = compatibility(old, ResultShape.of(bumped))
    assert verdict.level == "NONE" and verdict.allowed
    assert bumped.results_name == "orders.v2"
    refused = compatibility(old, ResultShape.of(orders(amount={"scale": 3})))
    assert "set results: {major: 2}" in refused.refusal("orders")
    assert "results.orders.v2" in refused.refusal("orders")
    back = compatibility(ResultShape.of(bumped), ResultShape.of(orders()))
    assert not back.allowed and "goes down from 2 to 1" in back.refusal("orders")


def test_the_json_schema_lets_readers_meet_an_added_column() -> None:
    schema = result_row_json_schema(orders({"name": "notes", "type": "string"}))
    assert "additionalProperties" not in schema  # readers ignore fields they do not know
    assert schema["required"] == ["order_id"]  # a nullable column may be missing in older rows
