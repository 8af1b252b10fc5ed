"""CPU per row of ``ChunkHandler.handle`` in-process (no Kafka, no faust), and the database
server's CPU for the same chunks.

Run from the repo root::

    .venv/bin/python -m bench chunks [--rows 200000] [--db postgres|sqlite] [--repeat 3]
        [--profile FILE] [--format csv|xlsx] [--chunk-rows 10000]

The orders file (1% invalid rows) is read into chunk records as the producer publishes them
(``build_chunk_records``), outside the timing. Each pass hands every chunk to one
``ChunkHandler`` under a fresh job id and tenant (new keys: the bare-COPY path), then, with
``--reupload``, the same chunks again under another job id and the same tenant (every key
exists: the upsert path). Measured per pass: this process's CPU (all threads) and, for PostgreSQL, the CPU of
the throw-away server's processes (``ops.devservers.postgres``), both per row, and the wall
time in ``save_chunk`` (for SQLite: what the write gate serialises); the best of
``--repeat`` passes is reported, since the machine is shared. ``--profile`` writes a cProfile
of one extra pass.
"""

from __future__ import annotations

import argparse
import cProfile
import resource
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

CHUNK_ROWS = 10_000
INVALID_EVERY = 100
TENANT = "bench"


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def chunk_records(path: Path, dataset: Any, chunk_rows: int) -> list[tuple[Any, bytes]]:
    from producer.chunking import build_chunk_records
    from producer.readers import open_reader

    reader = open_reader(path, dataset, chunk_rows)
    try:
        return list(
            build_chunk_records(
                reader.batches(),
                job_id="template",
                dataset=dataset.name,
                tenant=TENANT,
                schema_version=1,
                max_bytes=64 * 2**20,
            )
        )
    finally:
        reader.close()


def one_pass(handler: Any, records: list[tuple[Any, bytes]], job_id: str, tenant: str) -> int:
    from dataclasses import replace

    rows = 0
    for meta, payload in records:
        out = handler.handle(replace(meta, job_id=job_id, tenant=tenant).to_kafka(), payload)
        assert not out.chunk_result.dead_lettered, out.chunk_result.reason
        rows += out.chunk_result.rows_ok + out.chunk_result.rows_failed
    return rows


class SaveClock:
    """Wall seconds in ``save_chunk``: for SQLite, what the write gate serialises."""

    def __init__(self) -> None:
        from stream_processors import chunk_handler

        self.held_s = 0.0
        save = chunk_handler.save_chunk

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return save(*args, **kwargs)
            finally:
                self.held_s += time.perf_counter() - began

        chunk_handler.save_chunk = timed


def measure(
    handler: Any,
    records: list[tuple[Any, bytes]],
    tenant: str,
    server: Callable[[], float],
    gate: SaveClock,
) -> dict[str, float]:
    """One pass under a new job id; a tenant seen before makes it a re-upload (upserts)."""
    cpu0, srv0, wall0, held0 = own_cpu_s(), server(), time.perf_counter(), gate.held_s
    rows = one_pass(handler, records, uuid.uuid4().hex, tenant)
    cpu, srv, wall = own_cpu_s() - cpu0, server() - srv0, time.perf_counter() - wall0
    return {
        "write_us_per_row": (gate.held_s - held0) / rows * 1e6,
        "rows": rows,
        "worker_us_per_row": cpu / rows * 1e6,
        "server_us_per_row": srv / rows * 1e6,
        "wall_s": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chunk-rows", type=int, default=CHUNK_ROWS)
    parser.add_argument("--reupload", action="store_true", help="also time the upsert path")
    parser.add_argument("--profile", type=Path, help="cProfile one extra pass into this file")
    args = parser.parse_args()

    from bench.worker_process_run import postgres_cpu
    from ops.devservers import sample_data
    from ops.devservers.postgres import start_postgres
    from schemas.dataset import DatasetRegistry
    from schemas.settings import packaged_datasets_dir
    from stream_processors.chunk_handler import ChunkHandler

    tmp = Path(tempfile.mkdtemp(prefix="bulkflow-chunkloop-"))
    pg = None
    try:
        writer = sample_data.write_orders_csv if args.format == "csv" else None
        path = tmp / f"orders.{args.format}"
        if writer is None:
            sample_data.write_orders_xlsx(path, args.rows, invalid_every=INVALID_EVERY)
        else:
            writer(path, args.rows, invalid_every=INVALID_EVERY)
        registry = DatasetRegistry(packaged_datasets_dir())
        records = chunk_records(path, registry.get("orders"), args.chunk_rows)
        if args.db == "postgres":
            pg = start_postgres(tmp / "pg")
            url = pg.url
        else:
            url = f"sqlite:///{tmp / 'bench.db'}"
        server = postgres_cpu(pg.data_dir if pg is not None else None)
        handler = ChunkHandler(url, registry)
        handler.prepare()
        gate = SaveClock()
        one_pass(handler, records[:1], "warmup", "warmup")  # connection, caches
        one_pass(handler, records[:1], "warmup-again", "warmup")  # the upsert's temp table
        best: dict[str, dict[str, float]] = {}
        for _ in range(args.repeat):
            tenant = uuid.uuid4().hex[:12]  # new keys: rows COPYed straight into the table
            runs = {"new rows": measure(handler, records, tenant, server, gate)}
            if args.reupload:
                runs["re-upload"] = measure(handler, records, tenant, server, gate)
            for name, run in runs.items():
                print(
                    f"  {name}: {run['rows']:,} rows, worker {run['worker_us_per_row']:.2f} "
                    f"µs/row, server {run['server_us_per_row']:.2f} µs/row, "
                    f"wall {run['wall_s']:.2f} s, in save_chunk "
                    f"{run['write_us_per_row']:.2f} µs/row",
                    flush=True,
                )
                kept = best.get(name)
                if kept is None or run["worker_us_per_row"] < kept["worker_us_per_row"]:
                    best[name] = run
        for name, run in best.items():
            print(
                f"best {name} ({args.db}, {args.format}): worker "
                f"{run['worker_us_per_row']:.2f} µs/row, server {run['server_us_per_row']:.2f} "
                f"µs/row, in save_chunk {run['write_us_per_row']:.2f} µs/row (wall)"
            )
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            one_pass(handler, records, uuid.uuid4().hex, uuid.uuid4().hex[:12])
            profiler.disable()
            profiler.dump_stats(args.profile)
            print(f"profile in {args.profile}")
        handler.close()
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
