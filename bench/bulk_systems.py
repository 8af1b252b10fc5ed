"""The two comparison systems of ``bulkflow bench``, run on the same files and database server.

* Baseline (bench/bulk_baseline.py): the system the seed describes. N worker processes (4) take whole files from one
  FIFO queue; each file is ``pandas.read_excel`` (openpyxl, pandas' default engine) or
  ``pandas.read_csv``, then ``DataFrame.to_sql(if_exists="append")``. No validation. Its
  table has TEXT columns, so the 1% of invalid rows never fails a file (a typed table would
  reject whole files); that only makes the baseline cheaper, never slower.
* Raw ceiling: one process per core, the fastest parser (fastexcel for XLSX, pyarrow CSV
  for CSV) and ``COPY`` (CSV written by Arrow) into a bare TEXT table, one transaction per
  file, no Kafka, no validation: what this hardware allows.
* Keyed raw ceiling: the same path into a table with the dataset's unique key index, the
  work bulkflow must do to upsert: ``order_id`` typed BIGINT, a ``tenant`` column, and
  ``UNIQUE (order_id, tenant)`` as bulkflow's ``uq_ds_orders_key``; an empty ``order_id``
  (the files' missing-id rows) is NULL, which the index does not compare.

Both report per-file (submitted, started, finished, rows) on the bench process's wall clock.
This module holds their shared tables and per-file result, and the raw ceiling.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.bulk_workload import FileSpec
from ops.devservers.sample_data import HEADER

BASELINE_TABLE = "orders"
RAW_TABLE = "raw_orders"
RAW_KEYED_TABLE = "raw_orders_keyed"
COLUMNS = tuple(HEADER)
KEY = COLUMNS[0]  # order_id, the orders dataset's business key


def _ddl(table: str) -> str:
    cols = ", ".join(f'"{c}" TEXT' for c in COLUMNS)
    return f'CREATE TABLE IF NOT EXISTS "{table}" ({cols})'


def _keyed_ddl(table: str) -> str:
    cols = ", ".join(f'"{c}" BIGINT' if c == KEY else f'"{c}" TEXT' for c in COLUMNS)
    return (
        f'CREATE TABLE IF NOT EXISTS "{table}" ({cols}, '
        f"tenant TEXT NOT NULL DEFAULT 'bench', "
        f'CONSTRAINT "uq_{table}_key" UNIQUE ("{KEY}", tenant))'
    )


def copy_sql(keyed: bool) -> str:
    """The COPY of one file's rows (CSV written by Arrow): into the bare table, or into the
    keyed one with an empty (or quoted empty) key read as NULL."""
    cols = ", ".join(f'"{c}"' for c in COLUMNS)
    if keyed:
        return f'COPY "{RAW_KEYED_TABLE}" ({cols}) FROM STDIN (FORMAT csv, FORCE_NULL ("{KEY}"))'
    return f'COPY "{RAW_TABLE}" ({cols}) FROM STDIN (FORMAT csv)'


def _libpq(url: str) -> str:
    from ops.devservers.postgres import libpq_url

    return libpq_url(url)


def create_table(url: str, table: str, *, keyed: bool = False) -> None:
    import psycopg

    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute(_keyed_ddl(table) if keyed else _ddl(table))


def count_rows(url: str, table: str) -> int:
    import psycopg

    with psycopg.connect(_libpq(url)) as conn:
        row = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()
    return int(row[0]) if row else 0


@dataclass
class FileResult:
    name: str
    kind: str
    rows: int
    submitted: float
    started: float | None = None
    finished: float | None = None
    error: str | None = None
    extrapolated: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# --- raw ceiling --------------------------------------------------------------------------

_raw_conn: Any = None
_raw_copy = ""


def _raw_init(url: str, keyed: bool = False) -> None:
    import psycopg

    global _raw_conn, _raw_copy
    _raw_conn = psycopg.connect(url)
    _raw_copy = copy_sql(keyed)


def _raw_file(item: tuple[int, str]) -> tuple[int, float, float, int, str | None]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    index, path = item
    started = time.time()
    try:
        if path.endswith(".xlsx"):
            import fastexcel

            table = fastexcel.read_excel(path).load_sheet(0).to_arrow()
        else:
            table = pacsv.read_csv(
                path,
                read_options=pacsv.ReadOptions(use_threads=False),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(COLUMNS, pa.string())
                ),
            )
        sink = pa.BufferOutputStream()
        pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False))
        with _raw_conn.cursor() as cur, cur.copy(_raw_copy) as copy:
            copy.write(memoryview(sink.getvalue()))
        _raw_conn.commit()
        return index, started, time.time(), table.num_rows, None
    except Exception as exc:
        with contextlib.suppress(Exception):
            _raw_conn.rollback()
        return index, started, time.time(), 0, f"{type(exc).__name__}: {exc}"[:300]


def run_raw(
    url: str,
    specs: list[FileSpec],
    *,
    processes: int,
    timeout_s: float,
    on_start: Callable[[list[int]], None],
    echo: Callable[[str], None],
    on_done: Callable[[], None] = lambda: None,
    keyed: bool = False,
) -> dict[str, Any]:
    create_table(url, RAW_KEYED_TABLE if keyed else RAW_TABLE, keyed=keyed)
    ctx = mp.get_context("spawn")
    files = [FileResult(s.name, s.kind, s.rows, 0.0) for s in specs]
    pool = ctx.Pool(processes, initializer=_raw_init, initargs=(_libpq(url), keyed))
    try:
        # warm the pool (imports, connections) before the clock starts
        pool.map(time.sleep, [0.5] * processes)
        on_start([p.pid for p in pool._pool if p.pid])  # type: ignore[attr-defined]
        import fastexcel  # noqa: F401  (imported in the children; here for a clear error)

        t0 = time.time()
        for f in files:
            f.submitted = t0
        pending = pool.imap_unordered(_raw_file, [(i, str(s.path)) for i, s in enumerate(specs)])
        deadline = t0 + timeout_s
        for n in range(len(specs)):
            index, started, finished, rows, error = pending.next(max(deadline - time.time(), 1))
            files[index].started, files[index].finished = started, finished
            files[index].rows, files[index].error = rows or files[index].rows, error
            if (n + 1) % max(1, len(specs) // 5) == 0:
                echo(
                    f"    {'keyed ' if keyed else ''}raw ceiling: {n + 1}/{len(specs)} files in {time.time() - t0:.0f} s"
                )
    finally:
        on_done()  # the processes' last CPU sample: after this they are gone
        pool.terminate()
        pool.join()
    done = [f for f in files if f.finished is not None]
    rows = sum(f.rows for f in done if not f.error)
    ends = [f.finished for f in done if f.finished is not None]
    span = max(ends) - t0 if ends else 0.0
    return {
        "t0": t0,
        "processes": processes,
        "rows": rows,
        "makespan_s": round(span, 2),
        "rows_per_s": round(rows / span) if span else None,
        "errors": sorted({f.error for f in files if f.error})[:5],
        "files": [f.as_dict() for f in files],
    }


def spec_paths(specs: list[FileSpec]) -> list[Path]:
    return [s.path for s in specs]
