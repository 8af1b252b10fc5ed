"""Rows/s of save_chunk on SQLite and PostgreSQL next to a raw baseline, in one run.

Run from the repo root: ``python -m bench persistence [--rows 200000] [--chunk 2000]``.
Baselines: SQLite executemany of the same tuples into a bare table (no constraints, no ledger);
PostgreSQL COPY of the same Arrow-written CSV straight into a bare table.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv

from database import chunk_store, migrations
from database.engine import make_engine
from database.pg_copy import csv_ready
from ops.devservers.postgres import create_database, start_postgres
from schemas.arrow_codec import ROW_COLUMN
from schemas.dataset import Dataset, parse_dataset

ORDERS = parse_dataset(
    {
        "name": "orders",
        "key": ["order_id"],
        "columns": [
            {"name": "order_id", "type": "integer", "required": True},
            {"name": "customer_email", "type": "email", "required": True},
            {"name": "country", "type": "string"},
            {"name": "ordered_at", "type": "datetime", "required": True},
            {"name": "amount", "type": "decimal", "scale": 2},
            {"name": "quantity", "type": "integer"},
            {"name": "express", "type": "boolean"},
            {"name": "notes", "type": "string"},
        ],
    }
)
# The constraint ds_orders carries (keyed: no (job_id, row_no) index); the "indexed"
# baseline pays for it too.
INDEXES = ("CREATE UNIQUE INDEX bare_key ON bare (tenant, order_id)",)
BARE_DDL = (
    "CREATE TABLE bare (job_id TEXT, tenant TEXT, row_no BIGINT, order_id BIGINT, "
    "customer_email TEXT, country TEXT, ordered_at {ts}, amount {num}, quantity BIGINT, "
    "express BOOLEAN, notes TEXT)"
)


def make_orders(rows: int) -> pa.Table:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    ids = range(rows)
    return pa.table(
        {
            ROW_COLUMN: pa.array([i + 2 for i in ids], pa.int64()),
            "order_id": pa.array(list(ids), pa.int64()),
            "customer_email": pa.array([f"user{i % 5000}@example.com" for i in ids]),
            "country": pa.array([("DE", "FR", "US", "GB")[i % 4] for i in ids]),
            "ordered_at": pa.array(
                [start + timedelta(seconds=i * 37) for i in ids], pa.timestamp("us", "UTC")
            ),
            "amount": pa.array([Decimal(i % 100000) / 100 for i in ids], pa.decimal128(38, 2)),
            "quantity": pa.array([1 + i % 9 for i in ids], pa.int64()),
            "express": pa.array([i % 3 == 0 for i in ids]),
            "notes": pa.array([None if i % 2 else f"note {i}" for i in ids], pa.string()),
        }
    )


def rate(rows: int, fn: Callable[[], None]) -> float:
    began = time.perf_counter()
    fn()
    return rows / (time.perf_counter() - began)


def save_all(url: str, dataset: Dataset, chunks: list[pa.Table]) -> Callable[[], None]:
    engine = make_engine(url)
    migrations.ensure_schema(engine, dataset)

    def run() -> None:
        for no, chunk in enumerate(chunks):
            prepared = chunk_store.prepare_chunk(
                engine.dialect.name, dataset, job_id="bench", tenant="t", valid=chunk, errors=[]
            )
            chunk_store.save_chunk(engine, dataset, prepared, chunk_no=no)
        engine.dispose()

    return run


def sqlite_raw(path: Path, chunks: list[pa.Table], indexed: bool = False) -> Callable[[], None]:
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(BARE_DDL.format(ts="TEXT", num="TEXT"))
    for ddl in INDEXES if indexed else ():
        conn.execute(ddl)

    def run() -> None:
        for chunk in chunks:
            n = chunk.num_rows
            cols = [chunk_store.driver_values("sqlite", c) for c in chunk.columns]
            with conn:
                conn.executemany(
                    f"INSERT INTO bare VALUES ({', '.join(['?'] * 11)})",
                    zip(["bench"] * n, ["t"] * n, *cols, strict=True),
                )
        conn.close()

    return run


def pg_raw(url: str, chunks: list[pa.Table], indexed: bool = False) -> Callable[[], None]:
    import psycopg

    from ops.devservers.postgres import libpq_url

    conn = psycopg.connect(libpq_url(url))
    conn.execute(BARE_DDL.format(ts="TIMESTAMPTZ", num="NUMERIC(38, 2)"))
    for ddl in INDEXES if indexed else ():
        conn.execute(ddl)
    conn.commit()

    def run() -> None:
        for chunk in chunks:
            n = chunk.num_rows
            full = chunk.add_column(0, "tenant", pa.array(["t"] * n)).add_column(
                0, "job_id", pa.array(["bench"] * n)
            )
            sink = pa.BufferOutputStream()
            # Same fast timestamp formatting as the pipeline, so the baseline is not handicapped.
            pa_csv.write_csv(csv_ready(full), sink, pa_csv.WriteOptions(include_header=False))
            with conn.cursor() as cur, cur.copy("COPY bare FROM STDIN (FORMAT csv)") as copy:
                copy.write(memoryview(sink.getvalue()))
            conn.commit()
        conn.close()

    return run


def compare(
    title: str,
    rows: int,
    rounds: int,
    raw: Callable[[int, bool], Callable[[], None]],
    ours: Callable[[int], Callable[[], None]],
) -> None:
    """Interleaved rounds on fresh storage, best of each: this box's load is noisy."""
    bare: list[float] = []
    indexed: list[float] = []
    saved: list[float] = []
    for n in range(rounds):
        bare.append(rate(rows, raw(n, False)))
        indexed.append(rate(rows, raw(n, True)))
        saved.append(rate(rows, ours(n)))
    print(title)
    for label, rates in (
        ("raw, bare table", bare),
        ("raw, same unique indexes", indexed),
        ("save_chunk", saved),
    ):
        print(f"  {label:<26} best {max(rates):>9,.0f} rows/s  (rounds: {_list(rates)})")
    print(
        f"  save_chunk = {max(saved) / max(bare):.0%} of raw bare (median round "
        f"{_median_ratio(saved, bare):.0%}), {max(saved) / max(indexed):.0%} of raw indexed"
    )


def _list(rates: list[float]) -> str:
    return ", ".join(f"{r:,.0f}" for r in rates)


def _median_ratio(ours: list[float], raw: list[float]) -> float:
    ratios = sorted(o / r for o, r in zip(ours, raw, strict=True))
    return ratios[len(ratios) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--chunk", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    table = make_orders(args.rows)
    # The pipeline's chunks arrive as separate Arrow batches, not slices of one buffer.
    chunks = [
        pa.Table.from_batches([b]).combine_chunks()
        for b in table.to_batches(max_chunksize=args.chunk)
    ]
    print(f"{args.rows:,} orders rows in chunks of {args.chunk:,}, {args.rounds} rounds")
    with tempfile.TemporaryDirectory() as tmp:
        compare(
            "SQLite (WAL, synchronous=NORMAL): raw = executemany into a bare table",
            args.rows,
            args.rounds,
            lambda n, ix: sqlite_raw(Path(tmp) / f"raw{n}{ix}.db", chunks, ix),
            lambda n: save_all(f"sqlite:///{tmp}/bulkflow{n}.db", ORDERS, chunks),
        )
        if args.skip_postgres:
            return
        server = start_postgres(Path(tmp) / "pg")
        try:
            base = server.url.rsplit("/", 1)[0]
            for n in range(args.rounds):
                create_database(f"{base}/postgres", f"raw{n}false")
                create_database(f"{base}/postgres", f"raw{n}true")
                create_database(f"{base}/postgres", f"bulkflow{n}")
            compare(
                "PostgreSQL (fsync=off): raw = COPY (Arrow CSV) into a bare table",
                args.rows,
                args.rounds,
                lambda n, ix: pg_raw(f"{base}/raw{n}{str(ix).lower()}", chunks, ix),
                lambda n: save_all(f"{base}/bulkflow{n}", ORDERS, chunks),
            )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
