"""PostgreSQL's CPU per row for a chunk's write as more of them run at once.

Run from the repo root: ``python -m bench copy_concurrency [--chunks 60] [--at-once 1,2,4,8]``

Workers write chunks through ``save_chunk`` (binary COPY into ``ds_orders`` with its unique
key index, the ledger row, one transaction a chunk), up to ``concurrency_low`` at once per
process. Each pass writes ``--chunks`` typed 10,000-row orders chunks (distinct keys) from
that many threads at once, and takes the CPU of every process of a fresh PostgreSQL server
over the pass, into empty tables. Raw ceiling beside it, in the same run: the same rows by binary COPY into a
table of the same columns with no index and no ledger, as many at once. Each setting runs
twice, in turn; the lower figure is kept, since the machine is shared.
"""

from __future__ import annotations

import argparse
import queue
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.compute as pc

from bench.bulk_pids import postgres_pids
from bench.idle_cost import cpu_of
from bench.result_codec_bench import typed_chunk
from bench.worker_raw_writes import BARE_DDL
from database import pg_binary
from database.chunk_store import PreparedChunk, prepare_chunk, save_chunk
from database.engine import make_engine
from database.migrations import ensure_schema
from ops.devservers.postgres import libpq_url, start_postgres
from schemas.arrow_codec import ROW_COLUMN
from schemas.dataset import DatasetRegistry
from schemas.settings import packaged_datasets_dir

TENANT = "bench"


def chunks(count: int) -> list[pa.Table]:
    """``count`` typed orders chunks whose keys no other chunk holds."""
    base = pa.Table.from_batches([typed_chunk()])
    width = int(pc.max(base.column("order_id")).as_py()) + 1
    return [
        base.set_column(
            base.schema.get_field_index("order_id"),
            "order_id",
            pc.add(
                base.column("order_id"), pa.scalar(k * width, base.schema.field("order_id").type)
            ),
        )
        for k in range(count)
    ]


def in_threads(work: list[Callable[[], None]], at_once: int) -> float:
    """Run ``work`` from ``at_once`` threads; the wall seconds it took."""
    todo: queue.Queue[Callable[[], None]] = queue.Queue()
    for item in work:
        todo.put(item)

    def drain() -> None:
        while True:
            try:
                todo.get_nowait()()
            except queue.Empty:
                return

    threads = [threading.Thread(target=drain) for _ in range(at_once)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench copy_concurrency")
    parser.add_argument("--chunks", type=int, default=60)
    parser.add_argument("--at-once", default="1,2,4,8")
    args = parser.parse_args()
    counts = [int(n) for n in args.at_once.split(",")]
    dataset = DatasetRegistry(packaged_datasets_dir()).get("orders")
    tables = chunks(args.chunks)
    rows = sum(t.num_rows for t in tables)
    with tempfile.TemporaryDirectory(prefix="bulkflow-copy-") as tmp:
        server = start_postgres(Path(tmp), settings={"max_connections": "50"})
        server_processes = {"postgres": postgres_pids(server)}
        try:
            engine = make_engine(server.url, pool_size=max(counts))
            ensure_schema(engine, dataset)
            ddl = BARE_DDL.format(ts="timestamptz", num="numeric(18,2)")
            with psycopg.connect(libpq_url(server.url), autocommit=True) as admin:
                admin.execute(ddl)

            def bulkflow_pass() -> list[Callable[[], None]]:
                job = uuid.uuid4().hex
                prepared: list[PreparedChunk] = [
                    prepare_chunk(
                        "postgresql", dataset, job_id=job, tenant=TENANT, valid=t, errors=[]
                    )
                    for t in tables
                ]

                def write(chunk: PreparedChunk, chunk_no: int) -> None:
                    save_chunk(engine, dataset, chunk, chunk_no=chunk_no)

                return [partial(write, c, n) for n, c in enumerate(prepared)]

            def raw_pass() -> list[Callable[[], None]]:
                job = uuid.uuid4().hex
                names = ["job_id", "tenant", "row_no", *(c.name for c in dataset.columns)]
                sql = f"COPY bare ({', '.join(names)}) FROM STDIN (FORMAT binary)"
                pieces = [
                    pg_binary.encode_rows(
                        [
                            pg_binary.constant_text(job),
                            pg_binary.constant_text(TENANT),
                            t.column(ROW_COLUMN),
                            *(t.column(c.name) for c in dataset.columns),
                        ]
                    )
                    for t in tables
                ]

                def copy(parts: list[memoryview | bytes]) -> None:
                    conn = idle.get()
                    with conn.cursor() as cur, cur.copy(sql) as stream:
                        for part in parts:
                            stream.write(part)
                    conn.commit()
                    idle.put(conn)

                return [partial(copy, p) for p in pieces]

            # the raw pass's connections, opened before any is measured, as the engine's pool
            idle: queue.Queue[psycopg.Connection[tuple[object, ...]]] = queue.Queue()
            for _ in range(max(counts)):
                idle.put(psycopg.connect(libpq_url(server.url)))
            results: dict[tuple[str, int], tuple[float, float]] = {}
            for _round in range(2):
                for at_once in counts:
                    for label, make in (("bulkflow", bulkflow_pass), ("raw", raw_pass)):
                        work = make()
                        with psycopg.connect(libpq_url(server.url), autocommit=True) as admin:
                            # every pass into empty tables: the same keys again would upsert
                            admin.execute("TRUNCATE ds_orders, bulkflow_chunk_ledger, bare")
                            admin.execute("CHECKPOINT")
                        before = cpu_of(server_processes)["postgres"]
                        wall = in_threads(work, at_once)
                        cpu = cpu_of(server_processes)["postgres"] - before
                        key = (label, at_once)
                        best = results.get(key, (float("inf"), 0.0))
                        results[key] = min(best, (cpu, wall))
            engine.dispose()
            while not idle.empty():
                idle.get().close()
        finally:
            server.stop()
    print(
        f"{len(tables)} chunks of {tables[0].num_rows:,} typed orders rows a pass ({rows:,} rows)"
    )
    print(f"{'at once':>7} {'bulkflow us/row':>16} {'raw us/row':>11} {'ratio':>6} {'wall s':>7}")
    for at_once in counts:
        cpu, wall = results[("bulkflow", at_once)]
        raw, _ = results[("raw", at_once)]
        print(
            f"{at_once:>7} {1e6 * cpu / rows:>16.2f} {1e6 * raw / rows:>11.2f} "
            f"{cpu / raw:>6.2f} {wall:>7.2f}"
        )


if __name__ == "__main__":
    main()
