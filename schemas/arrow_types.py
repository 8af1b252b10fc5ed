"""The Arrow type of each dataset column type: what validation makes of a column's cells,
what result records carry and what the chunk store casts rows to before storing them.

database/column_types.py maps the same column types to SQL; one map each, so what
validation accepts is always what the table stores.
"""

from __future__ import annotations

import pyarrow as pa

from schemas.dataset import Column

DEFAULT_SCALE = 2
MAX_PRECISION = 38
UTC_MICROS = pa.timestamp("us", tz="UTC")

_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "email": pa.string(),
    "integer": pa.int64(),
    "float": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": UTC_MICROS,
}


def decimal_scale(column: Column) -> int:
    """The scale of a decimal column's values: its declared one, else ``DEFAULT_SCALE``.

    Validation takes at most that many places and refuses a value with more as a row error
    the uploader sees ("has more than 2 decimal places"), never rounding it. Without a
    declared scale the table stays a bare NUMERIC (exact text on SQLite,
    database/column_types.py): NUMERIC(38, 2) would make PostgreSQL round, silently, any
    value with more places that reaches the table another way (a hand-written fix, a bulk
    load). The chunk store casts rows to decimal(38, scale) with Arrow's safe cast, which
    raises on a value it would have to round.
    """
    return column.scale if column.scale is not None else DEFAULT_SCALE


def arrow_type(column: Column) -> pa.DataType:
    """The Arrow type a validated column has, and the one rows are cast to before storing."""
    if column.type == "decimal":
        return pa.decimal128(MAX_PRECISION, decimal_scale(column))
    return _ARROW_TYPES[column.type]
