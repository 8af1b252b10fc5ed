"""The chunk store: a validated chunk's rows, row errors, invalid rows and ledger row in one
transaction (and, for a correction, which rows of the corrected job it saved).

Exactly once at the database: the ledger row (job_id, chunk_no) is inserted first with
ON CONFLICT DO NOTHING; when it already exists the chunk was saved before and nothing else is
written. Rows carry (job_id, row_no); a keyed dataset upserts on (tenant, *key).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, select

from database import pg_copy
from database.bookkeeping_sql import bookkeeping_sql, stored_datetime
from database.tables import corrected_rows, dataset_table, key_columns, ledger
from schemas.arrow_codec import ROW_COLUMN
from schemas.arrow_types import arrow_type
from schemas.dataset import Dataset
from schemas.records import RowError

# From about 10 rows a chunk, COPY (plus its savepoint) costs less than psycopg's
# executemany, and the more rows the more so; below that, fewer round trips win.
PG_COPY_MIN_ROWS = 10
# keys a query for a chunk's repeated keys names at a time (_same_job_keys)
KEYS_PER_QUERY = 2_000


@dataclass(frozen=True)
class SaveOutcome:
    already_saved: bool
    rows_ok: int
    rows_failed: int
    key_conflict: bool = False  # PostgreSQL: rows met existing keys (a re-upload) and upserted
    # rows not kept because another row of the same file holds their key (the last is kept)
    repeated_keys: int = 0


@dataclass(frozen=True)
class PreparedChunk:
    """A chunk's writes made ready before any transaction: the Python and Arrow work a
    single-writer database (SQLite's write gate) need not wait for."""

    job_id: str
    tenant: str
    rows: pa.Table  # prepare_rows: ``__row__`` then the dataset columns, storage types
    row_values: list[tuple[Any, ...]] | None  # the executemany path's driver tuples, else None
    error_values: list[tuple[Any, ...]]
    rows_ok: int
    rows_failed: int
    # bulkflow_invalid_rows: (job_id, row_no, tenant, cells as JSON), bookkeeping_sql's order
    invalid_values: list[tuple[Any, ...]] = field(default_factory=list)
    corrected_values: list[dict[str, Any]] = field(default_factory=list)  # bulkflow_corrected_rows
    repeated_keys: int = 0  # rows prepare_rows dropped for a later row of their key


def prepare_chunk(
    dialect: str,
    dataset: Dataset,
    *,
    job_id: str,
    tenant: str,
    valid: pa.Table,
    errors: list[RowError],
    invalid: list[tuple[int, dict[str, str | None]]] | None = None,
    corrects: str | None = None,
) -> PreparedChunk:
    """Pure: the rows cast and deduplicated, and the driver values for ``dialect``.
    ``invalid``: the invalid rows whole (validation's); ``corrects``: the job whose invalid
    rows these rows correct.

    Raises ArrowInvalid for a value its storage type cannot hold exactly (prepare_rows)."""
    rows = prepare_rows(dataset, valid) if valid.num_rows else valid
    row_values = None
    if rows.num_rows and (dialect != "postgresql" or rows.num_rows < PG_COPY_MIN_ROWS):
        n = rows.num_rows
        values = [driver_values(dialect, rows.column(i)) for i in range(rows.num_columns)]
        # Tuples straight to the driver: SQLAlchemy's per-row dict and bind processing would
        # cost more than the insert itself.
        row_values = list(zip([job_id] * n, [tenant] * n, *values, strict=True))
    corrected = []
    if corrects and valid.num_rows:
        numbers = valid.column(ROW_COLUMN).to_pylist()
        corrected = [
            {"job_id": corrects, "row_no": n, "corrected_by": job_id, "tenant": tenant}
            for n in numbers
        ]
    return PreparedChunk(
        job_id=job_id,
        tenant=tenant,
        rows=rows,
        row_values=row_values,
        error_values=[(job_id, tenant, e.row, e.column, e.value, e.message) for e in errors],
        rows_ok=valid.num_rows,
        rows_failed=len({e.row for e in errors}),
        invalid_values=[(job_id, n, tenant, json.dumps(cells)) for n, cells in invalid or ()],
        corrected_values=corrected,
        repeated_keys=valid.num_rows - rows.num_rows,
    )


def write_chunk(
    conn: Connection,
    dataset: Dataset,
    chunk: PreparedChunk,
    *,
    chunk_no: int,
    mode: pg_copy.Mode = "savepoint",
) -> SaveOutcome:
    """Write a prepared chunk (prepare_chunk, for this connection's dialect) within the
    caller's transaction; a chunk the ledger holds already writes nothing.

    ``mode`` is how PostgreSQL meets existing keys (pg_copy.Mode); "copy" may raise
    pg_copy.KeyConflict, after which the caller must roll back.
    """
    # Driver-level SQL: compiling Core statements cost more CPU per chunk than the COPY.
    sql = bookkeeping_sql(conn.dialect)
    now = stored_datetime(conn.dialect.name, datetime.now(UTC))
    repeated = chunk.repeated_keys
    claim = (chunk.job_id, chunk_no, chunk.rows_ok, chunk.rows_failed, now, repeated)
    # SQLAlchemy only keeps an INSERT's rowcount when asked; 0 means the chunk was saved before.
    options = {"preserve_rowcount": True}
    claimed = conn.exec_driver_sql(sql.claim, claim, execution_options=options).rowcount
    if claimed != 1:
        stored = conn.execute(
            select(ledger.c.rows_ok, ledger.c.rows_failed, ledger.c.rows_repeated).where(
                ledger.c.job_id == chunk.job_id, ledger.c.chunk_no == chunk_no
            )
        ).one()
        return SaveOutcome(
            True,
            int(stored.rows_ok),
            int(stored.rows_failed),
            repeated_keys=int(stored.rows_repeated or 0),
        )
    if chunk.rows.num_rows:
        replaced = write_rows(conn, dataset, chunk, mode=mode)
        if replaced:  # rows of earlier chunks of the file: known once the rows are in
            repeated += replaced
            conn.exec_driver_sql(sql.repeated, (repeated, chunk.job_id, chunk_no))
    for copy, insert, values in (
        (sql.errors_copy, sql.errors, chunk.error_values),
        (sql.invalid_copy, sql.invalid, chunk.invalid_values),
    ):
        if not values:
            continue
        if conn.dialect.name == "postgresql":
            # executemany: a pipeline step a row
            pg_copy.copy_tuples(conn, copy, values)
        else:
            conn.exec_driver_sql(insert, values)
    if chunk.corrected_values:
        conn.execute(corrected_rows.insert(), chunk.corrected_values)
    return SaveOutcome(False, chunk.rows_ok, chunk.rows_failed, repeated_keys=repeated)


def save_chunk(
    engine: Engine,
    dataset: Dataset,
    chunk: PreparedChunk,
    *,
    chunk_no: int,
    expect_conflicts: bool = False,
) -> SaveOutcome:
    """Write a prepared chunk in a transaction of its own (write_chunk). New rows are COPYed
    bare; when a key already exists the transaction is rolled back and the chunk runs again
    as an upsert (at once when ``expect_conflicts``, say for the rest of a re-uploaded file)."""

    def attempt(mode: pg_copy.Mode) -> SaveOutcome:
        with engine.begin() as conn:
            return write_chunk(conn, dataset, chunk, chunk_no=chunk_no, mode=mode)

    if not expect_conflicts:
        try:
            return attempt("copy")
        except pg_copy.KeyConflict:
            pass
    outcome = attempt("upsert")
    return replace(outcome, key_conflict=not outcome.already_saved)


def write_rows(
    conn: Connection,
    dataset: Dataset,
    chunk: PreparedChunk,
    *,
    mode: pg_copy.Mode = "savepoint",
) -> int:
    """Insert (or upsert) the prepared rows; no ledger check, so only call it via
    write_chunk. Returns how many met a row of the same job holding their key."""
    target = dataset_table(dataset)
    names = [c.name for c in dataset.columns]
    quote = conn.dialect.identifier_preparer.quote
    conflict = conflict_sql(dataset, quote)
    if chunk.row_values is None:  # PostgreSQL, enough rows for COPY
        return pg_copy.copy_rows(
            conn,
            target,
            names,
            conflict,
            job_id=chunk.job_id,
            tenant=chunk.tenant,
            rows=chunk.rows,
            mode=mode,
            key=dataset.key,
        )
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    repeated = _same_job_keys(conn, dataset, chunk, mark) if dataset.key else 0
    columns = ", ".join(quote(c) for c in ("job_id", "tenant", "row_no", *names))
    marks = ", ".join([mark] * (len(names) + 3))
    sql = f"INSERT INTO {quote(target.name)} ({columns}) VALUES ({marks}) {conflict}"
    conn.exec_driver_sql(sql, chunk.row_values)
    return repeated


def _same_job_keys(conn: Connection, dataset: Dataset, chunk: PreparedChunk, mark: str) -> int:
    """How many of the chunk's keys a stored row of its job holds already (the executemany
    path; pg_copy counts its own)."""
    assert chunk.row_values is not None
    quote = conn.dialect.identifier_preparer.quote
    # a driver tuple is (job_id, tenant, row_no, *the dataset's columns)
    at = [3 + [c.name for c in dataset.columns].index(k) for k in dataset.key]
    keys = [tuple(row[i] for i in at) for row in chunk.row_values]
    keys = [k for k in keys if None not in k]  # a NULL key meets no row
    if not keys:
        return 0
    one = "(" + ", ".join([mark] * len(at)) + ")"
    wanted = ", ".join(quote(k) for k in dataset.key)
    wanted = wanted if len(at) == 1 else f"({wanted})"
    found = 0
    # a statement binds at most 32,766 values in SQLite: keys go in slices well below that
    for start in range(0, len(keys), KEYS_PER_QUERY):
        part = keys[start : start + KEYS_PER_QUERY]
        sql = (
            f"SELECT count(*) FROM {quote(dataset.table_name)} WHERE tenant = {mark} AND "
            f"job_id = {mark} AND {wanted} IN (VALUES {', '.join([one] * len(part))})"
        )
        params = (chunk.tenant, chunk.job_id, *(v for k in part for v in k))
        found += int(conn.exec_driver_sql(sql, params).scalar_one())
    return found


def conflict_sql(dataset: Dataset, quote: Any) -> str:
    """A keyed dataset's row replaces the stored row of its key, unless both are of one job
    and the stored one is further down the file: a file's last row of a key is kept whatever
    order its chunks are written in (workers write them in parallel)."""
    if not dataset.key:
        return "ON CONFLICT (job_id, row_no) DO NOTHING"
    target = ", ".join(quote(c) for c in key_columns(dataset))
    updates = ("job_id", "row_no", *(c.name for c in dataset.columns if c.name not in dataset.key))
    sets = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in updates)
    stored = quote(dataset.table_name)
    later = f"{stored}.job_id <> excluded.job_id OR {stored}.row_no < excluded.row_no"
    return f"ON CONFLICT ({target}) DO UPDATE SET {sets} WHERE {later}"


def prepare_rows(dataset: Dataset, valid: pa.Table) -> pa.Table:
    """``__row__`` then the dataset columns in order, cast to their storage types, deduplicated.

    The cast is safe (never lossy): a decimal of a larger scale fails here (ArrowInvalid)
    rather than being rounded.
    """
    arrays = [pc.cast(valid.column(ROW_COLUMN), pa.int64())]
    for column in dataset.columns:
        array = valid.column(column.name)
        wanted = arrow_type(column)
        arrays.append(array if array.type == wanted else pc.cast(array, wanted))
    table = pa.table(arrays, names=[ROW_COLUMN, *(c.name for c in dataset.columns)])
    return _last_per_key(table, list(dataset.key)) if dataset.key else table


def _last_per_key(table: pa.Table, key: list[str]) -> pa.Table:
    """Keep the last row of each business key: ON CONFLICT DO UPDATE may not hit a row twice."""
    n = table.num_rows
    if n < 2:
        return table
    if len(key) == 1:  # the common case, ~20x cheaper than the general group-by below
        column = table.column(key[0])
        if column.null_count == 0 and pc.count_distinct(column).as_py() == n:
            return table
    positions = pa.array(range(n), pa.int64())
    complete = pa.chunked_array([pa.array([True] * n)])
    for k in key:
        complete = pc.and_(complete, pc.is_valid(table.column(k)))
    complete_mask = complete.combine_chunks()
    keyed = table.select(key).append_column("__pos", positions).filter(complete_mask)
    groups = keyed.group_by(key, use_threads=False).aggregate([("__pos", "max")])
    if groups.num_rows == keyed.num_rows:
        return table
    # Rows with a NULL key never conflict in SQL, so each of them stays.
    nulls = positions.filter(pc.invert(complete_mask))
    kept = pa.concat_arrays([groups.column("__pos_max").combine_chunks(), nulls])
    return table.take(kept.take(pc.array_sort_indices(kept)))


def driver_values(dialect: str, array: pa.ChunkedArray) -> list[Any]:
    """A column as the Python values the driver binds (SQLite: SQLAlchemy's text formats)."""
    kind = array.type
    if dialect == "sqlite":
        if pa.types.is_decimal(kind) or pa.types.is_date(kind):
            return pc.cast(array, pa.string()).to_pylist()
        if pa.types.is_timestamp(kind):
            # SQLAlchemy's SQLite DATETIME text ("2024-01-02 03:04:05.000006"), in UTC; casting
            # to a zoneless type first is ~15x faster than formatting the zoned one.
            return pc.cast(pc.cast(array, pa.timestamp("us")), pa.string()).to_pylist()
    return array.to_pylist()
