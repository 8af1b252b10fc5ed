"""What running pooler-safe costs on PostgreSQL's upsert path, per row, against the raw floor.

Run from the repo root::

    .venv/bin/python -m bench pooler [--rows 200000] [--chunk-rows 10000] [--rounds 5]

The orders file (1% invalid rows) is read into chunk records outside the timing. Each pass
loads the chunks under a new tenant (not timed), then hands them to ``ChunkHandler.handle``
again under another job id (every key exists: the upsert path) and times that. Four ways,
in alternating rounds on one throw-away server, its tables emptied between passes:

* ``pooler-safe``: bulkflow as it is (no server-side prepared statements; the upsert's temp
  table created and dropped within its chunk);
* ``session state``: what a transaction pooler cannot carry: psycopg's prepared statements
  (from a statement's 6th run) and a temp table kept for the connection's life, emptied
  after each chunk;
* ``via PgBouncer``: pooler-safe, through PgBouncer in transaction pooling (4 sessions);
* ``raw psycopg``: the floor: one psycopg connection runs the upsert's statements (temp
  table, binary COPY of the same rows encoded beforehand, INSERT ... ON CONFLICT DO UPDATE)
  with no validation, ledger or row errors.

Reported per way, best and median of the rounds: this process's CPU per row, the CPU of the
server's processes per row, PgBouncer's, and the wall time; then the ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.chunk_loop_bench import chunk_records, one_pass, own_cpu_s

INVALID_EVERY = 100


@contextlib.contextmanager
def session_temp_table() -> Iterator[None]:
    """The upsert's temp table kept for the connection's life, emptied after each chunk."""
    from database import pg_copy

    made = pg_copy._temp_table

    def kept(*args: Any) -> Any:
        table = made(*args)
        return pg_copy._TempTable(table.name, table.ddl, f"TRUNCATE {table.name}")

    pg_copy._temp_table = kept  # type: ignore[assignment]
    try:
        yield
    finally:
        pg_copy._temp_table = made


def raw_upserts(
    url: str, dataset: Any, records: list[tuple[Any, bytes]]
) -> tuple[Callable[[str], int], Callable[[], None]]:
    """The upsert's statements on one psycopg connection, the rows encoded beforehand."""
    import psycopg

    from database import pg_binary, pg_copy
    from database.chunk_store import conflict_sql, prepare_rows
    from database.engine import make_engine
    from database.tables import dataset_table
    from ops.devservers.postgres import libpq_url
    from schemas.arrow_codec import decode_batch
    from stream_processors.validation import validate_batch

    names = [c.name for c in dataset.columns]
    engine = make_engine(url)
    with engine.connect() as conn:
        quote = conn.dialect.identifier_preparer.quote
        temp = pg_copy._temp_table(conn, dataset_table(dataset), names)
        conflict = conflict_sql(dataset, quote)
    engine.dispose()
    data_cols = ", ".join(quote(c) for c in names)
    cols = ", ".join(quote(c) for c in ("job_id", "tenant", "row_no", *names))
    insert = (
        f"INSERT INTO {dataset.table_name} ({cols}) "
        f"SELECT %s, %s, row_no, {data_cols} FROM {temp.name} {conflict}"
    )
    chunks = []
    for _meta, payload in records:
        rows = prepare_rows(dataset, validate_batch(decode_batch(payload), dataset).valid)
        chunks.append((rows.num_rows, pg_binary.encode_rows(rows.columns)))

    # one connection for every pass: a backend that ends takes its CPU seconds with it
    raw = psycopg.connect(libpq_url(url), prepare_threshold=None)
    copy_sql = f"COPY {temp.name} (row_no, {data_cols}) FROM STDIN (FORMAT binary)"

    def run(tenant: str) -> int:
        for _rows, pieces in chunks:
            with raw.cursor() as cur:
                cur.execute(temp.ddl)
                with cur.copy(copy_sql) as copy:
                    for piece in pieces:
                        copy.write(piece)
                cur.execute(insert, (uuid.uuid4().hex, tenant))
                cur.execute(temp.end)
            raw.commit()
        return sum(rows for rows, _pieces in chunks)

    return run, raw.close


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--chunk-rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    import psutil

    from bench.worker_process_run import postgres_cpu
    from database.engine import make_engine
    from ops.devservers import sample_data
    from ops.devservers.pgbouncer import start_pgbouncer
    from ops.devservers.postgres import libpq_url, start_postgres
    from schemas.dataset import DatasetRegistry
    from schemas.settings import packaged_datasets_dir
    from stream_processors.chunk_handler import ChunkHandler

    tmp = Path(tempfile.mkdtemp(prefix="bulkflow-pooler-"))
    pg = bouncer = None
    handlers: list[Any] = []
    close_raw: Callable[[], None] = lambda: None  # noqa: E731
    try:
        path = sample_data.write_orders_csv(
            tmp / "orders.csv", args.rows, invalid_every=INVALID_EVERY
        )
        registry = DatasetRegistry(packaged_datasets_dir())
        dataset = registry.get("orders")
        records = chunk_records(path, dataset, args.chunk_rows)
        pg = start_postgres(tmp / "pg")
        bouncer = start_pgbouncer(pg.url, pool_size=4)
        server_cpu = postgres_cpu(pg.data_dir)
        bouncer_proc = psutil.Process(bouncer.process.pid)

        def bouncer_cpu() -> float:
            times = bouncer_proc.cpu_times()
            return times.user + times.system

        safe = ChunkHandler(pg.url, registry)
        session = ChunkHandler(pg.url, registry)
        session.engine = make_engine(
            pg.url, pool_pre_ping=False, connect_args={"prepare_threshold": 5}
        )
        pooled = ChunkHandler(bouncer.url(pg.url), registry)
        handlers = [safe, session, pooled]
        safe.prepare()
        raw, close_raw = raw_upserts(pg.url, dataset, records)

        def reupload(handler: Any) -> Callable[[str], int]:
            return lambda tenant: one_pass(handler, records, uuid.uuid4().hex, tenant)

        def in_session(tenant: str) -> int:
            with session_temp_table():
                return one_pass(session, records, uuid.uuid4().hex, tenant)

        ways: dict[str, Callable[[str], int]] = {
            "pooler-safe": reupload(safe),
            "session state": in_session,
            "via PgBouncer": reupload(pooled),
            "raw psycopg": raw,
        }
        for run in ways.values():  # connections, caches, the first prepared statements
            run(uuid.uuid4().hex[:12])
            empty_tables(pg.url, libpq_url)
        figures: dict[str, list[dict[str, float]]] = {name: [] for name in ways}
        print(f"{args.rows:,} orders rows, chunks of {args.chunk_rows:,}, {args.rounds} rounds")
        for _round in range(args.rounds):
            for name, run in ways.items():
                tenant = uuid.uuid4().hex[:12]
                one_pass(safe, records, uuid.uuid4().hex, tenant)  # the keys to upsert
                cpu0, srv0, pgb0, wall0 = (
                    own_cpu_s(),
                    server_cpu(),
                    bouncer_cpu(),
                    time.perf_counter(),
                )
                rows = run(tenant)
                wall = time.perf_counter() - wall0
                figures[name].append(
                    {
                        "client": (own_cpu_s() - cpu0) / rows * 1e6,
                        "server": (server_cpu() - srv0) / rows * 1e6,
                        "bouncer": (bouncer_cpu() - pgb0) / rows * 1e6,
                        "wall": wall,
                    }
                )
                empty_tables(pg.url, libpq_url)
        report(figures)
    finally:
        close_raw()
        for handler in handlers:
            handler.close()
        if bouncer is not None:
            bouncer.stop()
        if pg is not None:
            pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def empty_tables(url: str, libpq_url: Callable[[str], str]) -> None:
    """Every pass meets the same table sizes (not timed)."""
    import psycopg

    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("TRUNCATE ds_orders, bulkflow_chunk_ledger, bulkflow_row_errors")
        conn.execute("VACUUM ANALYZE ds_orders")


def report(figures: dict[str, list[dict[str, float]]]) -> None:
    def best(name: str, key: str) -> float:
        return min(f[key] for f in figures[name])

    def median(name: str, key: str) -> float:
        return statistics.median(f[key] for f in figures[name])

    print("upsert path, µs of CPU per row (best / median of the rounds)")
    print(f"  {'way':<15} {'client':>15} {'server':>15} {'pgbouncer':>15} {'wall s':>13}")
    for name in figures:
        cells = [f"{best(name, k):6.2f} / {median(name, k):6.2f}" for k in ("client", "server")]
        cells.append(f"{best(name, 'bouncer'):6.2f} / {median(name, 'bouncer'):6.2f}")
        wall = f"{best(name, 'wall'):5.2f} / {median(name, 'wall'):5.2f}"
        print(f"  {name:<15} {cells[0]:>15} {cells[1]:>15} {cells[2]:>15} {wall:>13}")

    def total(name: str) -> float:
        return statistics.median(f["client"] + f["server"] + f["bouncer"] for f in figures[name])

    safe, session, raw = total("pooler-safe"), total("session state"), total("raw psycopg")
    print(
        f"client + server (median): pooler-safe {safe:.2f}, session state {session:.2f} "
        f"µs/row: pooler-safe / session state = {safe / session:.3f}; "
        f"via PgBouncer {total('via PgBouncer'):.2f}; "
        f"raw psycopg {raw:.2f}: pooler-safe / raw = {safe / raw:.2f}"
    )


if __name__ == "__main__":
    main()
