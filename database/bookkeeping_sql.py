"""Driver-level SQL for a chunk's bookkeeping rows (ledger claim, row errors, invalid rows).

Plain SQL text, built once per dialect: compiling SQLAlchemy Core statements for every chunk
cost more CPU than the COPY of its rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from database.tables import invalid_rows, ledger, row_errors


@dataclass(frozen=True)
class BookkeepingSql:
    claim: str
    repeated: str  # the ledger row's rows_repeated, once the rows are written
    errors: str
    errors_copy: str
    invalid: str
    invalid_copy: str


_statement_cache: dict[str, BookkeepingSql] = {}


# the order of PreparedChunk.invalid_values' tuples
INVALID_COLUMNS = ["job_id", "row_no", "tenant", "cells"]


def bookkeeping_sql(dialect: sa.Dialect) -> BookkeepingSql:
    found = _statement_cache.get(dialect.name)
    if found is None:
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        quote = dialect.identifier_preparer.quote

        def names(table: sa.Table, columns: list[str]) -> str:
            return f"{quote(table.name)} ({', '.join(quote(c) for c in columns)})"

        def insert(table: sa.Table, columns: list[str]) -> str:
            return (
                f"INSERT INTO {names(table, columns)} VALUES ({', '.join([mark] * len(columns))})"
            )

        claim = insert(
            ledger,
            ["job_id", "chunk_no", "rows_ok", "rows_failed", "processed_at", "rows_repeated"],
        )
        repeated = (
            f"UPDATE {quote(ledger.name)} SET {quote('rows_repeated')} = {mark} "
            f"WHERE {quote('job_id')} = {mark} AND {quote('chunk_no')} = {mark}"
        )
        error_columns = ["job_id", "tenant", "row_no", "column_name", "value", "message"]
        found = _statement_cache[dialect.name] = BookkeepingSql(
            claim=f"{claim} ON CONFLICT DO NOTHING",
            repeated=repeated,
            errors=insert(row_errors, error_columns),
            errors_copy=f"COPY {names(row_errors, error_columns)} FROM STDIN",
            invalid=insert(invalid_rows, INVALID_COLUMNS),
            invalid_copy=f"COPY {names(invalid_rows, INVALID_COLUMNS)} FROM STDIN",
        )
    return found


def stored_datetime(dialect: str, moment: datetime) -> Any:
    """A UTC datetime as UTCDateTime binds it: SQLite keeps SQLAlchemy's DATETIME text."""
    if dialect == "sqlite":
        return (
            moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        )
    return moment
