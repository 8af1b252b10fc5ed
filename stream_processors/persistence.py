"""Persistence of validated chunks: rows, row errors and the chunk ledger in one transaction.

Exactly once at the database: the ledger row (job_id, chunk_no) is inserted first with
ON CONFLICT DO NOTHING; when it already exists the chunk was saved before and nothing else is
written. Rows carry (job_id, row_no); a keyed dataset upserts on (tenant, *key).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy import Connection, Engine, select
from sqlalchemy.engine import make_url

from schemas.arrow_codec import ROW_COLUMN
from schemas.dataset import Dataset
from schemas.errors import DatasetError
from schemas.private_files import touch_private
from schemas.records import RowError
from stream_processors import pg_bulk
from stream_processors.bookkeeping_sql import bookkeeping_sql, stored_datetime
from stream_processors.db_schema import (
    PG_COPY_MIN_ROWS,
    SQLITE_BUSY_TIMEOUT_S,
    arrow_type,
    dataset_table,
    key_columns,
    ledger,
    row_errors,
    shared_metadata,
)


@dataclass(frozen=True)
class SaveOutcome:
    already_saved: bool
    rows_ok: int
    rows_failed: int
    key_conflict: bool = False  # PostgreSQL: rows met existing keys (a re-upload) and upserted


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with bulkflow's settings; ``pool_pre_ping=False`` saves a round trip per
    checkout where the caller retries a dropped connection anyway (the chunk workers)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, **kwargs)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
        kwargs.setdefault("pool_pre_ping", True)
        return sa.create_engine(parsed, **kwargs)
    raise DatasetError(f"unsupported database URL {parsed.render_as_string()!r}")


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        touch_private(path)  # tenants' rows: owner-only, and so are its -wal and -shm
    connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
    connect_args.update(kwargs.pop("connect_args", {}))
    engine = sa.create_engine(url, connect_args=connect_args, **kwargs)

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        # WAL lets readers (status, error reports) run while a worker writes.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.close()

    return engine


def ensure_schema(engine: Engine, dataset: Dataset | None = None, attempts: int = 5) -> None:
    """Create the shared tables and the dataset's table; safe to race with other processes."""
    targets = [shared_metadata] + ([dataset_table(dataset).metadata] if dataset is not None else [])
    for metadata in targets:
        for attempt in range(attempts):
            try:
                metadata.create_all(engine, checkfirst=True)
                break
            except (sa.exc.OperationalError, sa.exc.ProgrammingError, sa.exc.IntegrityError):
                # Another process created it between our check and CREATE ("already exists",
                # or PostgreSQL's duplicate pg_type key); checkfirst sees it on the next pass.
                if attempt == attempts - 1:
                    raise


def save_chunk(
    conn: Connection,
    dataset: Dataset,
    *,
    job_id: str,
    tenant: str,
    chunk_no: int,
    valid: pa.Table,
    errors: list[RowError],
    mode: pg_bulk.Mode = "savepoint",
) -> SaveOutcome:
    """Write a chunk within the caller's transaction; a chunk seen before writes nothing.

    ``mode`` is how PostgreSQL meets existing keys (pg_bulk.Mode); "copy" may raise
    pg_bulk.KeyConflict, after which the caller must roll back.
    """
    rows_ok = valid.num_rows
    rows_failed = len({e.row for e in errors})
    # Driver-level SQL: compiling Core statements cost more CPU per chunk than the COPY.
    sql = bookkeeping_sql(conn.dialect)
    now = stored_datetime(conn.dialect.name, datetime.now(UTC))
    claim = (job_id, chunk_no, rows_ok, rows_failed, now)
    # SQLAlchemy only keeps an INSERT's rowcount when asked; 0 means the chunk was saved before.
    options = {"preserve_rowcount": True}
    claimed = conn.exec_driver_sql(sql.claim, claim, execution_options=options).rowcount
    if claimed != 1:
        stored = conn.execute(
            select(ledger.c.rows_ok, ledger.c.rows_failed).where(
                ledger.c.job_id == job_id, ledger.c.chunk_no == chunk_no
            )
        ).one()
        return SaveOutcome(True, int(stored.rows_ok), int(stored.rows_failed))
    if rows_ok:
        write_rows(conn, dataset, job_id=job_id, tenant=tenant, valid=valid, mode=mode)
    if errors:
        rows = [(job_id, tenant, e.row, e.column, e.value, e.message) for e in errors]
        if conn.dialect.name == "postgresql":
            pg_bulk.copy_tuples(conn, sql.errors_copy, rows)  # executemany: a pipeline step a row
        else:
            conn.exec_driver_sql(sql.errors, rows)
    return SaveOutcome(False, rows_ok, rows_failed)


def save_chunk_tx(
    engine: Engine,
    dataset: Dataset,
    *,
    job_id: str,
    tenant: str,
    chunk_no: int,
    valid: pa.Table,
    errors: list[RowError],
    expect_conflicts: bool = False,
) -> SaveOutcome:
    """save_chunk in a transaction of its own. New rows are COPYed bare; when a key already
    exists the transaction is rolled back and the chunk runs again as an upsert (at once when
    ``expect_conflicts``, say for the rest of a re-uploaded file)."""

    def attempt(mode: pg_bulk.Mode) -> SaveOutcome:
        with engine.begin() as conn:
            return save_chunk(conn, dataset, job_id=job_id, tenant=tenant, chunk_no=chunk_no,
                              valid=valid, errors=errors, mode=mode)  # fmt: skip

    if not expect_conflicts:
        try:
            return attempt("copy")
        except pg_bulk.KeyConflict:
            pass
    outcome = attempt("upsert")
    return replace(outcome, key_conflict=not outcome.already_saved)


def write_rows(
    conn: Connection,
    dataset: Dataset,
    *,
    job_id: str,
    tenant: str,
    valid: pa.Table,
    mode: pg_bulk.Mode = "savepoint",
) -> None:
    """Insert (or upsert) the valid rows; no ledger check, so only call it via save_chunk."""
    table = prepare_rows(dataset, valid)
    target = dataset_table(dataset)
    names = [c.name for c in dataset.columns]
    quote = conn.dialect.identifier_preparer.quote
    conflict = conflict_sql(dataset, quote)
    if conn.dialect.name == "postgresql" and table.num_rows >= PG_COPY_MIN_ROWS:
        pg_bulk.copy_rows(conn, target, names, conflict, job_id=job_id, tenant=tenant,
                          rows=table, mode=mode)  # fmt: skip
        return
    columns = ", ".join(quote(c) for c in ("job_id", "tenant", "row_no", *names))
    marks = ", ".join(["?" if conn.dialect.paramstyle == "qmark" else "%s"] * (len(names) + 3))
    sql = f"INSERT INTO {quote(target.name)} ({columns}) VALUES ({marks}) {conflict}"
    n = table.num_rows
    values = [_driver_values(conn.dialect.name, table.column(i)) for i in range(len(names) + 1)]
    # Tuples straight to the driver: SQLAlchemy's per-row dict and bind processing would cost
    # more than the insert itself.
    conn.exec_driver_sql(sql, list(zip([job_id] * n, [tenant] * n, *values, strict=True)))


def conflict_sql(dataset: Dataset, quote: Any) -> str:
    if not dataset.key:
        return "ON CONFLICT (job_id, row_no) DO NOTHING"
    target = ", ".join(quote(c) for c in key_columns(dataset))
    updates = ("job_id", "row_no", *(c.name for c in dataset.columns if c.name not in dataset.key))
    sets = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in updates)
    return f"ON CONFLICT ({target}) DO UPDATE SET {sets}"


def prepare_rows(dataset: Dataset, valid: pa.Table) -> pa.Table:
    """``__row__`` then the dataset columns in order, cast to their storage types, deduplicated.

    The cast is safe (never lossy): a decimal of a larger scale fails here, not in the database.
    """
    arrays = [pc.cast(valid.column(ROW_COLUMN), pa.int64())]
    for column in dataset.columns:
        array = valid.column(column.name)
        wanted = arrow_type(column)
        arrays.append(array if wanted is None or array.type == wanted else pc.cast(array, wanted))
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


def _driver_values(dialect: str, array: pa.ChunkedArray) -> list[Any]:
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


def iter_row_errors(engine: Engine, job_id: str, tenant: str) -> Iterator[RowError]:
    """The job's row errors by row then column, streamed (a job may have millions)."""
    query = (
        select(
            row_errors.c.row_no, row_errors.c.column_name, row_errors.c.value, row_errors.c.message
        )
        .where(row_errors.c.job_id == job_id, row_errors.c.tenant == tenant)
        .order_by(row_errors.c.row_no, row_errors.c.column_name, row_errors.c.id)
    )
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=2000).execute(query)
        for row_no, column, value, message in result:
            yield RowError(row=row_no, column=column, value=value, message=message)


def count_rows(engine: Engine, dataset: Dataset, job_id: str) -> int:
    table = dataset_table(dataset)
    with engine.connect() as conn:
        query = select(sa.func.count()).select_from(table).where(table.c.job_id == job_id)
        return int(conn.execute(query).scalar_one())


def ledger_counts(engine: Engine, job_id: str) -> tuple[int, int, int]:
    """(chunks, rows_ok, rows_failed) recorded for a job."""
    query = select(
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(ledger.c.rows_ok), 0),
        sa.func.coalesce(sa.func.sum(ledger.c.rows_failed), 0),
    ).where(ledger.c.job_id == job_id)
    with engine.connect() as conn:
        chunks, ok, failed = conn.execute(query).one()
    return int(chunks), int(ok), int(failed)
