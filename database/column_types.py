"""The one map from a dataset column type to its SQL type: table creation and migrations
declare columns with ``sql_type``. The Arrow side of the same map (what validation types a
column's cells as, and what the chunk store casts rows to) is schemas/arrow_types.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from schemas.arrow_types import MAX_PRECISION
from schemas.dataset import Column


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


# dataset type -> SQL type; decimal depends on the column's scale (sql_type)
_SQL_TYPES: dict[str, Any] = {
    "string": sa.Text,
    "email": sa.Text,
    "integer": sa.BigInteger,
    "float": sa.Float,
    "boolean": sa.Boolean,
    "date": sa.Date,
    "datetime": UTCDateTime,
}


def sql_type(column: Column) -> Any:
    """The SQLAlchemy type of the column in its ``ds_<name>`` table."""
    if column.type == "decimal":
        scale = column.scale
        numeric = sa.Numeric() if scale is None else sa.Numeric(column.precision or 38, scale)
        return numeric.with_variant(DecimalText(), "sqlite")
    return _SQL_TYPES[column.type]()


def storage_label(column: Column) -> str:
    """What the table stores for a column, in words a person reads in a refusal message:
    "string" and "email" store the same text, a decimal names its precision and scale."""
    if column.type == "decimal":
        if column.scale is None:
            return "decimal"
        return f"decimal({column.precision or MAX_PRECISION},{column.scale})"
    return "string" if column.type == "email" else column.type
