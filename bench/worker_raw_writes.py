"""The worker benchmark's raw baseline: the valid typed rows written chunk by chunk, one
transaction each, SQLite ``executemany`` or PostgreSQL ``COPY`` into a bare table.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

TENANT = "bench"
# the raw rows carry a job id as long as the worker's (32 hex digits), not a short stand-in
RAW_JOB_ID = uuid.uuid4().hex
BARE_DDL = (
    "CREATE TABLE bare (job_id TEXT, tenant TEXT, row_no BIGINT, order_id BIGINT, "
    "customer_email TEXT, country TEXT, ordered_at {ts}, amount {num}, quantity BIGINT, "
    "express BOOLEAN, notes TEXT)"
)


def _timed(fn: Any) -> tuple[float, float]:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall0, time.process_time() - cpu0


def _measured(label: str, chunks: list[Any], run: Any, close: Any) -> dict[str, Any]:
    """Time ``run`` (wall and CPU), then ``close`` whatever it wrote through."""
    try:
        wall, cpu = _timed(run)
    finally:
        close()
    rows = sum(c.num_rows for c in chunks)
    return {
        "label": label,
        "rows": rows,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "rows_per_s": round(rows / wall),
    }


def raw_sqlite(db_path: Path, chunks: list[Any]) -> dict[str, Any]:
    from database.chunk_store import driver_values

    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(BARE_DDL.format(ts="TEXT", num="TEXT"))
    sql = f"INSERT INTO bare VALUES ({', '.join(['?'] * 11)})"

    def run() -> None:
        for chunk in chunks:
            n = chunk.num_rows
            # Arrow -> driver values is inside the timing: executemany needs Python values
            cols = [driver_values("sqlite", c) for c in chunk.columns]
            with conn:
                conn.executemany(sql, zip([RAW_JOB_ID] * n, [TENANT] * n, *cols, strict=True))

    return _measured(
        "sqlite3 executemany, bare table, one transaction per chunk", chunks, run, conn.close
    )


def raw_postgres(url: str, chunks: list[Any]) -> dict[str, Any]:
    import psycopg
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    from database.pg_copy import csv_ready
    from ops.devservers.postgres import libpq_url

    conn = psycopg.connect(libpq_url(url))
    conn.execute(BARE_DDL.format(ts="TIMESTAMPTZ", num="NUMERIC(38, 2)"))
    conn.commit()

    def run() -> None:
        for chunk in chunks:
            n = chunk.num_rows
            full = chunk.add_column(0, "tenant", pa.array([TENANT] * n)).add_column(
                0, "job_id", pa.array([RAW_JOB_ID] * n)
            )
            sink = pa.BufferOutputStream()
            pa_csv.write_csv(csv_ready(full), sink, pa_csv.WriteOptions(include_header=False))
            with conn.cursor() as cur, cur.copy("COPY bare FROM STDIN (FORMAT csv)") as copy:
                copy.write(memoryview(sink.getvalue()))
            conn.commit()

    return _measured(
        "COPY (Arrow-written CSV), bare table, one transaction per chunk", chunks, run, conn.close
    )
