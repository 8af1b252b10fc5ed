"""The schemas of result records, for downstream code generation (docs/topics.md).

Pure: a dataset in, descriptions out. ``result_arrow_schema`` is the schema of the Arrow
chunk on ``results.<dataset>`` (encoding ``arrow``); ``result_row_json_schema`` is the JSON
Schema of one record's value under encoding ``json``.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from schemas.arrow_codec import ROW_COLUMN
from schemas.arrow_types import arrow_type, decimal_scale
from schemas.dataset import Column, Dataset
from schemas.headers import RESULTS_SCHEMA_VERSION

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def result_arrow_schema(dataset: Dataset) -> pa.Schema:
    """Typed dataset columns, then the spreadsheet row number. A required column is never
    null in a valid row, so its field says so (code generators then make it non-optional)."""
    fields = [pa.field(c.name, arrow_type(c), nullable=not c.required) for c in dataset.columns]
    return pa.schema([*fields, pa.field(ROW_COLUMN, pa.int64(), nullable=False)])


def arrow_schema_description(dataset: Dataset) -> dict[str, Any]:
    """The Arrow schema as JSON: field names, Arrow type strings, nullability."""
    return {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "fields": [
            {"name": f.name, "type": str(f.type), "nullable": f.nullable}
            for f in result_arrow_schema(dataset)
        ],
    }


def _decimal_pattern(column: Column) -> str:
    scale = decimal_scale(column)
    return rf"^-?\d+\.\d{{{scale}}}$" if scale else r"^-?\d+$"


def _column_schema(column: Column) -> dict[str, Any]:
    kind = column.type
    schema: dict[str, Any]
    if kind in ("string", "email"):
        schema = {"type": "string"}
        if kind == "email":
            schema["format"] = "email"
        if column.max_length is not None:
            schema["maxLength"] = column.max_length
        if column.pattern is not None:
            schema["pattern"] = column.pattern
        if column.enum is not None:
            schema["enum"] = list(column.enum)
    elif kind == "decimal":  # a string, so that no client rounds it through a float
        schema = {"type": "string", "pattern": _decimal_pattern(column)}
    elif kind == "date":
        schema = {"type": "string", "format": "date"}
    elif kind == "datetime":  # always UTC, 6 fractional digits, "Z"
        schema = {"type": "string", "format": "date-time"}
    else:
        schema = {"type": {"integer": "integer", "float": "number", "boolean": "boolean"}[kind]}
    if kind in ("integer", "float"):
        if column.min is not None:
            schema["minimum"] = column.min
        if column.max is not None:
            schema["maximum"] = column.max
    if not column.required:
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    return schema


def result_row_json_schema(dataset: Dataset) -> dict[str, Any]:
    """One result row under encoding ``json``. Every column is sent (null when empty), but
    the schema requires only the required columns and allows fields it does not know, so
    that code generated from it reads records of an earlier or a later compatible schema
    (docs/topics.md, "Schema evolution")."""
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"bulkflow:results.{dataset.results_name}:v{RESULTS_SCHEMA_VERSION}",
        "title": f"{dataset.name} result row",
        "type": "object",
        "properties": {c.name: _column_schema(c) for c in dataset.columns},
        "required": [c.name for c in dataset.columns if c.required],
    }
