"""Rows per second through ONE real worker process, next to raw database speed, in one run.

Run from the repo root::

    .venv/bin/python -m bench worker [--rows 200000] [--db sqlite|postgres|both]
        [--encoding arrow|json]

Per database: a fresh topic prefix on a local Kafka broker (temp dir, free ports), the
orders CSV (1% invalid rows) published as chunks with ``producer.publish_job.publish_job`` *before*
the worker starts, so the worker only drains; then one ``bulkflow worker`` process
(``ops.supervisor.Supervisor``) and the database is polled until the chunk ledger holds every
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
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

from bench.worker_process_run import (
    POLL_S,
    datasets_with_encoding,
    postgres_cpu,
    publish,
    run_worker,
    topic_bytes,
)
from bench.worker_raw_writes import raw_postgres, raw_sqlite

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
INVALID_EVERY = 100  # 1% invalid rows
CHUNK_ROWS = 10_000  # Settings.chunk_rows_idle: what the producer picks for an idle pipeline
GOAL_RATIO = 0.60


def load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


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
    server_cpu = postgres_cpu(pg_server.data_dir if kind == "postgres" else None)
    worker = run_worker(
        settings, tmp / f"logs-{kind}", job_id, outcome.total_chunks, timeout_s, server_cpu
    )
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
    print(
        f"    after the first chunk: worker {worker['worker_cpu_us_per_row_after_first']} µs "
        f"of CPU per row, database server {worker['server_cpu_us_per_row_after_first']} µs "
        f"per row ({worker['server_cpu_s']:.1f} s of server CPU in all)"
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
