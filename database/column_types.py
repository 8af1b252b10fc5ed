"""The one map from a dataset column type to its SQL type and its Arrow type.

Validation types a chunk's cells with ``arrow_type``; the chunk store casts rows to it before
they are written; table creation and migrations declare columns with ``sql_type``. One map,
so what validation accepts is always what the table stores.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from schemas.dataset import Column

DEFAULT_SCALE = 2
MAX_PRECISION = 38
UTC_MICROS = pa.timestamp("us", tz="UTC")


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """timestamptz on PostgreSQL; on SQLite (no zone support) UTC text, read back as aware UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return _as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return _as_utc(value)


class DecimalText(sa.TypeDecorator[Decimal]):
    """Exact decimals on SQLite: its NUMERIC affinity would turn 12.34 into a binary float."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else format(Decimal(value), "f")

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


# dataset type -> (SQL type, Arrow type); decimal depends on the column's scale (below)
_TYPES: dict[str, tuple[Any, pa.DataType]] = {
    "string": (sa.Text, pa.string()),
    "email": (sa.Text, pa.string()),
    "integer": (sa.BigInteger, pa.int64()),
    "float": (sa.Float, pa.float64()),
    "boolean": (sa.Boolean, pa.bool_()),
    "date": (sa.Date, pa.date32()),
    "datetime": (UTCDateTime, UTC_MICROS),
}


def decimal_scale(column: Column) -> int:
    """The scale of a decimal column: its declared one, else ``DEFAULT_SCALE``.

    A decimal without a declared scale used to mean two things: validation typed it as
    decimal(38, 2), while the table code passed any scale through to a bare NUMERIC. Settled
    on the reading that loses no data, in two halves. Validation takes at most two places,
    and refuses a value with more as a row error the uploader sees ("has more than 2 decimal
    places"), never rounding it. The table stays a bare NUMERIC (exact text on SQLite):
    NUMERIC(38, 2) would make PostgreSQL round, silently, any value with more places that
    reaches the table another way (a hand-written fix, a bulk load), and tables made before
    this change keep their type. The chunk store casts rows to decimal(38, 2) with Arrow's
    safe cast, which raises on a value it would have to round.
    """
    return column.scale if column.scale is not None else DEFAULT_SCALE


def arrow_type(column: Column) -> pa.DataType:
    """The Arrow type a validated column has, and the one rows are cast to before storing."""
    if column.type == "decimal":
        return pa.decimal128(MAX_PRECISION, decimal_scale(column))
    return _TYPES[column.type][1]


def sql_type(column: Column) -> Any:
    """The SQLAlchemy type of the column in its ``ds_<name>`` table."""
    if column.type == "decimal":
        scale = column.scale
        numeric = sa.Numeric() if scale is None else sa.Numeric(column.precision or 38, scale)
        return numeric.with_variant(DecimalText(), "sqlite")
    return _TYPES[column.type][0]()


def storage_label(column: Column) -> str:
    """What the table stores for a column, in words a person reads in a refusal message:
    "string" and "email" store the same text, a decimal names its precision and scale."""
    if column.type == "decimal":
        if column.scale is None:
            return "decimal"
        return f"decimal({column.precision or MAX_PRECISION},{column.scale})"
    return "string" if column.type == "email" else column.type
