"""PostgreSQL bulk path for a chunk's rows: Arrow -> COPY (binary, text as a fallback).

Optimistic first: COPY straight into ``ds_<name>``, which is as fast as PostgreSQL loads
rows. Only when that hits a unique violation (a re-uploaded key, a replayed row) do the rows
go through a temp table and ``INSERT ... SELECT ... ON CONFLICT``, the same clause the
executemany path uses. The violation aborts the transaction unless the COPY ran in a
savepoint: ``Mode`` says whether to pay for that savepoint (two round trips per chunk) or to
let the caller roll back and run the chunk again as an upsert. The rows go in binary
(database/pg_binary.py) so PostgreSQL parses no text; a column that has no exact binary encoding
sends the chunk as CSV, which Arrow's writer formats whole columns at a time in C++.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Literal

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from sqlalchemy import Connection, Table

from database import pg_binary

_CSV_OPTIONS = pa_csv.WriteOptions(include_header=False, batch_size=4096)

# "savepoint": COPY in a savepoint, upsert on conflict (safe inside any caller's transaction);
# "copy": COPY bare and raise KeyConflict on a violation; "upsert": temp table at once.
Mode = Literal["savepoint", "copy", "upsert"]


class KeyConflict(Exception):
    """A bare COPY hit an existing key: the transaction is aborted, run the chunk as an upsert."""


def copy_rows(
    conn: Connection,
    target: Table,
    names: Sequence[str],
    conflict: str,
    *,
    job_id: str,
    tenant: str,
    rows: pa.Table,
    mode: Mode = "savepoint",
    key: Sequence[str] = (),
) -> int:
    """rows: ``__row__`` then the columns ``names`` in order, already cast to storage types.
    Returns how many of them met a row of the same job holding their ``key`` (a file that
    repeats a key): one of each pair is not kept (conflict_sql keeps the file's last)."""
    quote = conn.dialect.identifier_preparer.quote
    driver = _driver(conn)
    cols = ", ".join(quote(c) for c in ("job_id", "tenant", "row_no", *names))
    into = f"{quote(target.name)} ({cols})"
    constants = (job_id, tenant)
    if mode == "copy":
        try:
            with driver.cursor() as cur:
                _copy(cur, into, rows, constants)
        except psycopg.errors.UniqueViolation as exc:
            raise KeyConflict(str(exc)) from exc
        return 0
    if mode == "savepoint" and _copy_in_savepoint(conn, driver, into, rows, constants):
        return 0
    data_cols = ", ".join(quote(c) for c in names)
    temp = _temp_table(conn, target, names)
    with driver.cursor() as cur:
        # The temp table lives for this chunk only, inside its transaction: no session state
        # outlives it, so a transaction pooler (PgBouncer) may give the next transaction
        # another server session. A rolled-back transaction takes the CREATE with it.
        cur.execute(temp.ddl)
        _copy(cur, f"{temp.name} (row_no, {data_cols})", rows)
        repeated = _same_job_keys(
            cur, temp.name, quote(target.name), [quote(k) for k in key], job_id, tenant
        )
        cur.execute(
            f"INSERT INTO {quote(target.name)} ({cols}) "
            f"SELECT %s, %s, row_no, {data_cols} FROM {temp.name} {conflict}",
            (job_id, tenant),
        )
        cur.execute(temp.end)
    return repeated


def _same_job_keys(
    cur: psycopg.Cursor[object],
    temp: str,
    target: str,
    key: Sequence[str],
    job_id: str,
    tenant: str,
) -> int:
    """How many of the temp table's ``key`` values (quoted names) a stored row of job
    ``job_id`` holds already.

    One probe of the key index per row (OFFSET 0 keeps the planner from making it a join):
    a join would read every stored row of the tenant for each chunk, so a re-upload's chunk
    cost more the bigger the table; and no JIT, whose set-up costs more than the probes."""
    if not key:
        return 0
    same = " AND ".join(f"d.{k} = t.{k}" for k in key)
    cur.execute("SET LOCAL jit = off")
    cur.execute(
        f"SELECT count(*) FROM {temp} t, LATERAL (SELECT 1 FROM {target} d WHERE {same} "
        "AND d.tenant = %s AND d.job_id = %s OFFSET 0) stored",
        (tenant, job_id),
    )
    found = cur.fetchone()
    return int(found[0]) if isinstance(found, tuple) else 0


def copy_tuples(conn: Connection, sql: str, rows: Sequence[tuple[object, ...]]) -> None:
    """COPY a few Python rows (text format): one round trip, no per-row statement."""
    driver = _driver(conn)
    with driver.cursor() as cur, cur.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _driver(conn: Connection) -> psycopg.Connection[object]:
    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    return driver


def _copy_in_savepoint(
    conn: Connection,
    driver: psycopg.Connection[object],
    into: str,
    rows: pa.Table,
    constants: Sequence[str],
) -> bool:
    """True when the rows are in; False when a key already existed (nothing written)."""
    savepoint = conn.begin_nested()
    try:
        with driver.cursor() as cur:
            _copy(cur, into, rows, constants)
    except psycopg.errors.UniqueViolation:
        savepoint.rollback()
        return False
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return True


def _copy(
    cur: psycopg.Cursor[object], into: str, rows: pa.Table, constants: Sequence[str] = ()
) -> None:
    """COPY into ``into`` (a table and its column list) the ``constants``, the same in every
    row, then the columns of ``rows``."""
    try:
        fields = [*map(pg_binary.constant_text, constants), *rows.columns]
        pieces: list[memoryview | bytes] = pg_binary.encode_rows(fields)
        sql = f"COPY {into} FROM STDIN (FORMAT binary)"
    except pg_binary.Unsupported:
        pieces = [memoryview(_csv(rows, constants))]
        sql = f"COPY {into} FROM STDIN (FORMAT csv)"
    with cur.copy(sql) as copy:
        for piece in pieces:
            copy.write(piece)


def _csv(rows: pa.Table, constants: Sequence[str]) -> pa.Buffer:
    rows = csv_ready(rows)
    for position, value in enumerate(constants):
        column = pa.array([value] * rows.num_rows, pa.string())
        rows = rows.add_column(position, f"__constant_{position}", column)
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(rows, sink, _CSV_OPTIONS)
    return sink.getvalue()


def csv_ready(rows: pa.Table) -> pa.Table:
    """Timestamps as explicit-UTC text: Arrow formats zoned timestamps ~15x slower."""
    for i, field in enumerate(rows.schema):
        if pa.types.is_timestamp(field.type):
            naive = pc.cast(rows.column(i), pa.timestamp("us"))  # same instants, zone dropped
            text = pc.binary_join_element_wise(pc.cast(naive, pa.string()), "+00", "")
            rows = rows.set_column(i, field.name, text)
    return rows


class _TempTable:
    def __init__(self, name: str, ddl: str, end: str) -> None:
        self.name = name
        self.ddl = ddl
        self.end = end  # run once the chunk's rows are merged


_temp_cache: dict[tuple[str, ...], _TempTable] = {}


def _temp_table(conn: Connection, target: Table, names: Sequence[str]) -> _TempTable:
    quote = conn.dialect.identifier_preparer.quote
    types = [f"{quote(n)} {target.c[n].type.compile(dialect=conn.dialect)}" for n in names]
    key = (target.name, *types)
    found = _temp_cache.get(key)
    if found is None:
        # Named by the column layout, so a changed dataset never reuses a stale temp table.
        name = "bulkflow_tmp_" + hashlib.sha1(repr(key).encode()).hexdigest()[:12]
        ddl = f"CREATE TEMP TABLE IF NOT EXISTS {name} (row_no bigint, {', '.join(types)})"
        found = _temp_cache[key] = _TempTable(name, ddl, f"DROP TABLE {name}")
    return found
