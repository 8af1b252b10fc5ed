"""Rows per second through ONE real worker process, next to raw database speed, in one run.

Run from the repo root::

    .venv/bin/python -m bench worker [--rows 200000] [--db sqlite|postgres|both]
        [--encoding arrow|json]

Per database: a fresh topic prefix on a local Kafka broker (temp dir, free ports), the
orders CSV (1% invalid rows) published as chunks with ``producer.jobs.publish_job`` *before*
the worker starts, so the worker only drains; then one ``bulkflow worker`` process
(``ops.procs.Supervisor``) and the database is polled until the chunk ledger holds every
chunk. Throughput is taken from the ledger's ``processed_at`` (first to last chunk) and,
less kindly, from the worker's start to the last chunk (start-up and rebalance included).

Raw baseline, same run, same rows: the chunks are validated (``validate_batch``) outside
the timing, then the valid typed rows are written chunk by chunk, one transaction each:
SQLite ``executemany`` into a bare table (same pragmas as the pipeline), PostgreSQL ``COPY``
(CSV written by Arrow) into a bare table. ``--encoding`` picks the dataset's result encoding
(docs/topics.md); the bytes the broker holds on ``results.orders`` per valid row are read from
its log segments. Results: ``bench/results/worker_bench[-json].json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
INVALID_EVERY = 100  # 1% invalid rows
CHUNK_ROWS = 10_000  # Settings.chunk_rows_idle: what the producer picks for an idle pipeline
GOAL_RATIO = 0.60
TENANT = "bench"
# the raw rows carry a job id as long as the worker's (32 hex digits), not a short stand-in
RAW_JOB_ID = uuid.uuid4().hex
POLL_S = 0.25
BARE_DDL = (
    "CREATE TABLE bare (job_id TEXT, tenant TEXT, row_no BIGINT, order_id BIGINT, "
    "customer_email TEXT, country TEXT, ordered_at {ts}, amount {num}, quantity BIGINT, "
    "express BOOLEAN, notes TEXT)"
)


def load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# --- the raw baseline ---------------------------------------------------------------------


def typed_chunks(csv_path: Path, dataset: Any) -> tuple[list[Any], int]:
    """The file's chunks as the worker sees them, validated (valid typed rows only)."""
    from database.chunk_store import prepare_rows
    from producer.readers import open_reader
    from stream_processors.validation import validate_batch

    reader = open_reader(csv_path, dataset, CHUNK_ROWS)
    chunks, total = [], 0
    try:
        for batch in reader.batches():
            total += batch.num_rows
            # prepare_rows: row number first, dataset columns in order, storage types
            chunks.append(prepare_rows(dataset, validate_batch(batch, dataset).valid))
    finally:
        reader.close()
    return chunks, total


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
    from database.chunk_store import _driver_values

    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(BARE_DDL.format(ts="TEXT", num="TEXT"))
    sql = f"INSERT INTO bare VALUES ({', '.join(['?'] * 11)})"

    def run() -> None:
        for chunk in chunks:
            n = chunk.num_rows
            # Arrow -> driver values is inside the timing: executemany needs Python values
            cols = [_driver_values("sqlite", c) for c in chunk.columns]
            with conn:
                conn.executemany(sql, zip([RAW_JOB_ID] * n, [TENANT] * n, *cols, strict=True))

    return _measured(
        "sqlite3 executemany, bare table, one transaction per chunk", chunks, run, conn.close
    )


def raw_postgres(url: str, chunks: list[Any]) -> dict[str, Any]:
    import psycopg
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    from database.pg_copy import _csv_ready
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
            pa_csv.write_csv(_csv_ready(full), sink, pa_csv.WriteOptions(include_header=False))
            with conn.cursor() as cur, cur.copy("COPY bare FROM STDIN (FORMAT csv)") as copy:
                copy.write(memoryview(sink.getvalue()))
            conn.commit()

    return _measured(
        "COPY (Arrow-written CSV), bare table, one transaction per chunk", chunks, run, conn.close
    )


# --- the worker ---------------------------------------------------------------------------


def publish(settings: Any, csv_path: Path) -> tuple[str, Any, float]:
    from producer.jobs import publish_job
    from producer.publisher import Publisher
    from producer.submit import make_upload_record, new_job_id, spool_copy
    from schemas.dataset import DatasetRegistry

    job_id = new_job_id()
    spooled = spool_copy(settings, csv_path, job_id)
    upload = make_upload_record(
        settings, spooled, job_id=job_id, tenant=TENANT, dataset="orders", filename=csv_path.name
    )
    began = time.perf_counter()
    with Publisher(settings) as publisher:
        outcome = publish_job(upload, settings, publisher, DatasetRegistry(settings.datasets_dir))
    seconds = time.perf_counter() - began
    if not outcome.sealed:
        raise RuntimeError(f"publish_job did not seal the job: {outcome.reason}")
    return job_id, outcome, seconds


def _vm_hwm_mb(pid: int) -> float | None:
    try:
        found = re.search(r"^VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
    except OSError:
        return None
    return int(found.group(1)) / 1024 if found else None


def _ledger_span(engine: Any, job_id: str) -> tuple[dt.datetime, dt.datetime, int, int]:
    """(first processed_at, last processed_at, rows in the first chunk(s) at that instant,
    rows_ok + rows_failed of all)."""
    import sqlalchemy as sa

    from database.tables import ledger

    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(ledger.c.processed_at, ledger.c.rows_ok + ledger.c.rows_failed)
            .where(ledger.c.job_id == job_id)
            .order_by(ledger.c.processed_at)
        ).all()
    first, last = rows[0][0], rows[-1][0]
    first_rows = sum(n for at, n in rows if at == first)
    return first, last, first_rows, sum(n for _, n in rows)


def run_worker(
    settings: Any, log_dir: Path, job_id: str, total_chunks: int, timeout_s: float
) -> dict[str, Any]:
    import psutil

    from database.engine import make_engine
    from database.migrations import ensure_schema
    from database.reports import ledger_counts
    from ops.procs import Supervisor

    engine = make_engine(settings.db_url)
    ensure_schema(engine)  # the ledger table, so polling works before the worker makes it
    supervisor = Supervisor(settings, log_dir, restart=False)
    supervisor.add("worker", "worker", "--loglevel", "warning")
    cpu_s = 0.0
    cpu_at_first: float | None = None  # start-up (imports, faust boot, rebalance) ends here
    peak_polled = 0
    hwm: float | None = None
    try:
        started_utc = dt.datetime.now(dt.UTC)
        started = time.monotonic()
        supervisor.start()
        proc = supervisor.children["worker"].proc
        assert proc is not None
        watched = psutil.Process(proc.pid)
        deadline = started + timeout_s
        chunks = ok = failed = 0
        while True:
            try:
                procs = [watched, *watched.children(recursive=True)]
                times = [p.cpu_times() for p in procs]
                cpu_s = sum(t.user + t.system for t in times)
                peak_polled = max(peak_polled, sum(p.memory_info().rss for p in procs))
                hwm = _vm_hwm_mb(proc.pid) or hwm
            except psutil.Error:
                pass
            chunks, ok, failed = ledger_counts(engine, job_id)
            if chunks and cpu_at_first is None:
                cpu_at_first = cpu_s
            if chunks >= total_chunks:
                break
            if proc.poll() is not None:
                raise RuntimeError(
                    f"the worker exited ({proc.returncode}) with {chunks} of "
                    f"{total_chunks} chunks done:\n{supervisor.log_tail('worker')}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"timed out after {timeout_s:.0f}s with {chunks} of "
                    f"{total_chunks} chunks done:\n{supervisor.log_tail('worker')}"
                )
            time.sleep(POLL_S)
        done_wall = time.monotonic() - started
    finally:
        supervisor.stop(timeout_s=20)
        engine_url = settings.db_url
    first, last, first_rows, rows_all = _ledger_span(engine, job_id)
    engine.dispose()
    span = (last - first).total_seconds()
    to_last = (last - started_utc).total_seconds()
    steady = (rows_all - first_rows) / span if span > 0 else float("nan")
    return {
        "database_url": engine_url.split("@")[-1],
        "chunks": chunks,
        "rows_ok": ok,
        "rows_failed": failed,
        "rows": ok + failed,
        "ledger_first": first.isoformat(),
        "ledger_last": last.isoformat(),
        "ledger_span_s": round(span, 3),
        # rows after the first ledger entry over first..last: a steady-state rate
        "rows_per_s": round(steady),
        "valid_rows_per_s": round(steady * ok / (ok + failed)),
        "wall_from_start_s": round(to_last, 3),
        "poll_done_s": round(done_wall, 3),
        "rows_per_s_from_start": round((ok + failed) / to_last),
        "worker_cpu_s": round(cpu_s, 2),
        "worker_cpu_at_first_chunk_s": round(cpu_at_first or 0.0, 2),
        "worker_peak_rss_mb": round(hwm, 1) if hwm else None,
        "worker_polled_max_rss_mb": round(peak_polled / 2**20, 1),
    }


def topic_bytes(base: Any, topic: str) -> int:
    """The size of a topic's log segments in the local broker's data dir."""
    from ops.devservers.broker import LocalBroker

    data = LocalBroker(base).data_dir
    return sum(f.stat().st_size for f in data.glob(f"{topic}-*/*.log"))


def datasets_with_encoding(tmp: Path, encoding: str) -> Path:
    """A datasets dir whose orders publish results in ``encoding``."""
    from schemas.settings import packaged_datasets_dir

    if encoding == "arrow":  # the default: the repo's own datasets
        return packaged_datasets_dir()
    folder = tmp / "datasets"
    folder.mkdir(exist_ok=True)
    text = (packaged_datasets_dir() / "orders.yaml").read_text()
    (folder / "orders.yaml").write_text(f"{text}results: {{encoding: {encoding}}}\n")
    return folder


# --- main ---------------------------------------------------------------------------------


def bench_db(
    kind: str,
    base: Any,
    tmp: Path,
    csv_path: Path,
    chunks: list[Any],
    timeout_s: float,
    pg_server: Any,
) -> dict[str, Any]:
    from messaging.topics import create_topics
    from ops.devservers.postgres import create_database

    prefix = f"wb{uuid.uuid4().hex[:10]}"
    if kind == "sqlite":
        url = f"sqlite:///{tmp / f'{prefix}.db'}"
        raw_url = tmp / f"{prefix}-raw.db"
    else:
        admin = pg_server.url.rsplit("/", 1)[0] + "/postgres"
        create_database(admin, prefix)
        create_database(admin, f"{prefix}_raw")
        url = pg_server.url.rsplit("/", 1)[0] + f"/{prefix}"
        raw_url = pg_server.url.rsplit("/", 1)[0] + f"/{prefix}_raw"
    settings = base.model_copy(update={"topic_prefix": prefix, "database_url": url})
    create_topics(settings, ["orders"])

    print(f"\n[{kind}] raw baseline ...", flush=True)
    raw = raw_sqlite(raw_url, chunks) if kind == "sqlite" else raw_postgres(str(raw_url), chunks)
    print(
        f"  raw {raw['label']}: {raw['rows']:,} rows {raw['rows_per_s']:,} rows/s "
        f"(wall {raw['wall_s']:.2f} s, cpu {raw['cpu_s']:.2f} s)",
        flush=True,
    )

    job_id, outcome, publish_s = publish(settings, csv_path)
    print(
        f"  published {outcome.total_rows:,} rows as {outcome.total_chunks:,} chunks in "
        f"{publish_s:.1f} s ({outcome.total_rows / publish_s:,.0f} rows/s, incl. Kafka); "
        f"load average {load_avg()}; starting one worker ...",
        flush=True,
    )
    worker = run_worker(settings, tmp / f"logs-{kind}", job_id, outcome.total_chunks, timeout_s)
    results_bytes = topic_bytes(base, f"{prefix}.results.orders")
    worker["results_bytes_per_valid_row"] = round(results_bytes / max(worker["rows_ok"], 1), 1)
    print(
        f"    results.orders on the broker: {results_bytes:,} bytes, "
        f"{worker['results_bytes_per_valid_row']} bytes per valid row",
        flush=True,
    )
    ratio = worker["valid_rows_per_s"] / raw["rows_per_s"]
    print(
        f"  worker: {worker['rows']:,} rows ({worker['rows_ok']:,} ok, "
        f"{worker['rows_failed']:,} failed), {worker['chunks']:,} chunks"
    )
    print(
        f"    ledger first..last {worker['ledger_span_s']:.2f} s: {worker['rows_per_s']:,} rows/s "
        f"({worker['valid_rows_per_s']:,} valid rows/s)"
    )
    print(
        f"    from worker start to last chunk {worker['wall_from_start_s']:.2f} s: "
        f"{worker['rows_per_s_from_start']:,} rows/s"
    )
    print(
        f"    worker CPU {worker['worker_cpu_s']:.1f} s in all, "
        f"{worker['worker_cpu_at_first_chunk_s']:.1f} s of it before the first chunk was "
        f"saved (polled every {POLL_S} s); peak RSS "
        f"{worker['worker_peak_rss_mb']} MB (polled max {worker['worker_polled_max_rss_mb']} MB)"
    )
    verdict = "PASS" if ratio >= GOAL_RATIO else "MISS"
    print(
        f"  ratio worker valid rows/s / raw rows/s = {ratio:.2f} "
        f"(goal >= {GOAL_RATIO:.0%}): {verdict}",
        flush=True,
    )
    return {
        "raw": raw,
        "worker": worker,
        "publish_s": round(publish_s, 3),
        "total_chunks": outcome.total_chunks,
        "ratio": round(ratio, 3),
        "goal_ratio": GOAL_RATIO,
        "goal_met": ratio >= GOAL_RATIO,
    }


def main() -> None:
    global CHUNK_ROWS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--timeout",
        type=float,
        default=900.0,
        help="seconds one worker run may take before the bench gives up",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs)")
    parser.add_argument(
        "--chunk-rows",
        type=int,
        default=CHUNK_ROWS,
        help="rows per chunk, for the worker and the raw baseline alike",
    )
    parser.add_argument(
        "--encoding",
        choices=["arrow", "json"],
        default="arrow",
        help="the result encoding of the orders dataset",
    )
    args = parser.parse_args()
    CHUNK_ROWS = args.chunk_rows

    from ops.devservers.broker import LocalBroker, free_port
    from ops.devservers.sample_data import write_orders_csv
    from schemas.dataset import DatasetRegistry
    from schemas.settings import load_settings

    started = dt.datetime.now(dt.UTC)
    load_start = load_avg()
    print(
        f"worker_bench --rows {args.rows} --db {args.db} at {started:%Y-%m-%d %H:%M:%S} UTC; "
        f"load average {load_start} on {os.cpu_count()} CPUs; python "
        f"{platform.python_version()}",
        flush=True,
    )
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    tmp = Path(tempfile.mkdtemp(prefix="bulkflow-wbench-"))
    broker = pg_server = None
    report: dict[str, Any] = {
        "benchmark": "worker_bench",
        "rows": args.rows,
        "invalid_every": INVALID_EVERY,
        "chunk_rows": CHUNK_ROWS,
        "encoding": args.encoding,
        "started_utc": started.isoformat(timespec="seconds"),
        "load_avg_start": load_start,
        "cpu_count": os.cpu_count(),
        "results": {},
    }
    try:
        broker_port, controller_port = free_port(), free_port()
        base = load_settings(
            home=tmp / "home",
            broker_port=broker_port,
            controller_port=controller_port,
            kafka_bootstrap=f"127.0.0.1:{broker_port}",
            datasets_dir=datasets_with_encoding(tmp, args.encoding),
            chunk_rows_idle=CHUNK_ROWS,
        )
        report["concurrency_low"] = base.concurrency_low
        broker = LocalBroker(base)
        broker.start(echo=lambda m: print(f"  {m}", flush=True))
        csv_path = write_orders_csv(
            tmp / f"orders-{args.rows}.csv", args.rows, invalid_every=INVALID_EVERY
        )
        dataset = DatasetRegistry(base.datasets_dir).get("orders")
        chunks, total = typed_chunks(csv_path, dataset)
        print(
            f"  {total:,} rows in {len(chunks):,} chunks of {CHUNK_ROWS:,}; "
            f"{sum(c.num_rows for c in chunks):,} valid after validate_batch",
            flush=True,
        )
        if "postgres" in kinds:
            from ops.devservers.postgres import start_postgres

            pg_server = start_postgres(tmp / "pg")
            print(f"  PostgreSQL at {pg_server.url.split('@')[-1]} (fsync=off)", flush=True)
        for kind in kinds:
            report["results"][kind] = bench_db(
                kind, base, tmp, csv_path, chunks, args.timeout, pg_server
            )
    finally:
        if pg_server is not None:
            try:
                pg_server.stop(timeout=30)
            except Exception as exc:
                print(f"  stopping PostgreSQL failed: {exc}")
        if broker is not None:
            try:
                broker.stop(echo=lambda m: print(f"  {m}"))
            except Exception as exc:
                print(f"  stopping the broker failed: {exc}")
        if args.keep:
            print(f"  kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    report["load_avg_end"] = load_avg()
    report["finished_utc"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / (
        "worker_bench.json" if args.encoding == "arrow" else f"worker_bench-{args.encoding}.json"
    )
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nload average at end {report['load_avg_end']}; results in {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
