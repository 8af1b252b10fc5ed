"""The tables bulkflow writes: ``ds_<dataset>`` per dataset, the chunk ledger and the row
errors; and how dataset column types map onto SQL and Arrow types."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy import Table

from schemas.dataset import Column as DatasetColumn
from schemas.dataset import Dataset
from schemas.errors import DatasetError

SQLITE_BUSY_TIMEOUT_S = 30
# Measured: from ~10 rows a chunk, COPY (plus its savepoint) beats psycopg's executemany
# (at 200 rows by 3x); below that, fewer round trips win.
PG_COPY_MIN_ROWS = 10

RESERVED_COLUMNS = frozenset({"job_id", "row_no", "tenant"})


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


_SQL_TYPES: dict[str, Any] = {
    "integer": sa.BigInteger,
    "float": sa.Float,
    "boolean": sa.Boolean,
    "date": sa.Date,
    "datetime": UTCDateTime,
}
_ARROW_TYPES = {
    "integer": pa.int64(),
    "float": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us", tz="UTC"),
}


def sql_type(column: DatasetColumn) -> Any:
    if column.type == "decimal":
        # Without a declared scale, PostgreSQL's bare NUMERIC keeps any scale exactly.
        scale = column.scale
        numeric = sa.Numeric() if scale is None else sa.Numeric(column.precision or 38, scale)
        return numeric.with_variant(DecimalText(), "sqlite")
    return _SQL_TYPES.get(column.type, sa.Text)()


def arrow_type(column: DatasetColumn) -> pa.DataType | None:
    """The Arrow type save_chunk expects for a column (None: decimal of undeclared scale)."""
    if column.type == "decimal":
        return None if column.scale is None else pa.decimal128(38, column.scale)
    return _ARROW_TYPES.get(column.type, pa.string())


def key_columns(dataset: Dataset) -> list[str]:
    return ["tenant", *dataset.key]


shared_metadata = sa.MetaData()
ledger = Table(
    "bulkflow_chunk_ledger",
    shared_metadata,
    sa.Column("job_id", sa.Text, primary_key=True),
    sa.Column("chunk_no", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("rows_ok", sa.BigInteger, nullable=False),
    sa.Column("rows_failed", sa.BigInteger, nullable=False),
    sa.Column("processed_at", UTCDateTime(), nullable=False),
)
row_errors = Table(
    "bulkflow_row_errors",
    shared_metadata,
    # SQLite only auto-numbers a column declared exactly INTEGER PRIMARY KEY.
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("job_id", sa.Text, nullable=False),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("row_no", sa.BigInteger, nullable=False),
    sa.Column("column_name", sa.Text, nullable=False),
    sa.Column("value", sa.Text),
    sa.Column("message", sa.Text, nullable=False),
    sa.Index("ix_bulkflow_row_errors_job_row", "job_id", "row_no"),
)


_tables: dict[Dataset, Table] = {}


def dataset_table(dataset: Dataset) -> Table:
    """The ``ds_<name>`` table of a dataset (one MetaData each, so schemas never mix)."""
    table = _tables.get(dataset)
    if table is None:
        clash = sorted(RESERVED_COLUMNS & {c.name for c in dataset.columns})
        if clash:
            raise DatasetError(
                f"dataset {dataset.name}: column names reserved by bulkflow: {clash}"
            )
        name = dataset.table_name
        parts: list[Any] = [
            sa.Column("job_id", sa.Text, nullable=False),
            sa.Column("row_no", sa.BigInteger, nullable=False),
            sa.Column("tenant", sa.Text, nullable=False),
            *(sa.Column(c.name, sql_type(c)) for c in dataset.columns),
        ]
        if dataset.key:
            # Part of CREATE TABLE (not a later CREATE INDEX) so a table seen by a concurrent
            # ensure_schema always has its upsert target. Scoped by tenant: one tenant's
            # re-upload must never overwrite another tenant's rows.
            parts.append(sa.UniqueConstraint(*key_columns(dataset), name=f"uq_{name}_key"))
        else:
            # The upsert target of an unkeyed dataset. A keyed one goes without: the ledger
            # already writes each chunk once, and this wide index cost PostgreSQL ~5 us a
            # row, as much as the rest of the insert (bench/persistence_speed.py).
            parts.append(sa.UniqueConstraint("job_id", "row_no", name=f"uq_{name}_job_row"))
        table = Table(name, sa.MetaData(), *parts)
        _tables[dataset] = table
    return table
