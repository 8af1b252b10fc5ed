"""How fast ``validate_batch`` types and checks orders rows, on one core.

Run from the repo root: python -m bench validation [rows] [chunk_rows] [bad_fraction]
"""

from __future__ import annotations

import random
import sys
import time

import pyarrow as pa

from schemas.arrow_codec import ROW_COLUMN
from schemas.dataset import load_dataset_file
from schemas.settings import packaged_datasets_dir
from stream_processors.validation import validate_batch

# one kind of mistake per bad row, spread over the columns a person gets wrong
MISTAKES = [
    ("order_id", "12a"),
    ("customer_email", "someone@"),
    ("country", "Germany"),
    ("ordered_at", "2024-02-30T10:00:00"),
    ("amount", "12.345"),
    ("quantity", "0"),
    ("express", "maybe"),
    ("ordered_at", "03/01/2024"),
]


def make_batches(rows: int, chunk_rows: int, bad_fraction: float) -> list[pa.RecordBatch]:
    rng = random.Random(7)
    batches = []
    for start in range(0, rows, chunk_rows):
        count = min(chunk_rows, rows - start)
        data: dict[str, list[str | None]] = {
            "order_id": [str(start + i + 1) for i in range(count)],
            "customer_email": [f"user{rng.randrange(10**6)}@example.com" for _ in range(count)],
            "country": [rng.choice(["DE", "FR", "GB", "US", "NL"]) for _ in range(count)],
            "ordered_at": [
                f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
                f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00"
                for _ in range(count)
            ],
            "amount": [f"{rng.randint(0, 99999)}.{rng.randint(0, 99):02d}" for _ in range(count)],
            "quantity": [str(rng.randint(1, 20)) for _ in range(count)],
            "express": [rng.choice(["TRUE", "FALSE"]) for _ in range(count)],
            "notes": [rng.choice([None, "leave at the door", "gift"]) for _ in range(count)],
        }
        for i in range(count):
            if rng.random() < bad_fraction:
                column, value = rng.choice(MISTAKES)
                data[column][i] = value
        arrays = [pa.array(v, pa.string()) for v in data.values()]
        rows_no = pa.array(range(start + 2, start + 2 + count), pa.int64())
        batches.append(pa.RecordBatch.from_arrays([*arrays, rows_no], [*data, ROW_COLUMN]))
    return batches


def main() -> None:
    if any(arg in ("-h", "--help") for arg in sys.argv[1:]):
        print(__doc__)
        return
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    chunk_rows = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000
    bad_fraction = float(sys.argv[3]) if len(sys.argv) > 3 else 0.01
    dataset = load_dataset_file(packaged_datasets_dir() / "orders.yaml")
    batches = make_batches(rows, chunk_rows, bad_fraction)
    validate_batch(batches[0], dataset)  # warm the per-dataset plan cache
    started, cpu_started = time.perf_counter(), time.process_time()
    ok = failed = 0
    for batch in batches:
        result = validate_batch(batch, dataset)
        ok, failed = ok + result.rows_ok, failed + result.rows_failed
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started  # steadier than wall time on a busy machine
    print(
        f"{rows:,} orders rows in {len(batches)} chunks of {chunk_rows:,}, "
        f"{bad_fraction:.0%} bad: {rows / elapsed:,.0f} rows/s wall ({elapsed * 1000:.0f} ms, "
        f"{elapsed / len(batches) * 1000:.2f} ms/chunk), {rows / cpu:,.0f} rows/s of CPU; "
        f"{ok:,} ok, {failed:,} failed"
    )


if __name__ == "__main__":
    main()
