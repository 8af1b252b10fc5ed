"""CPU per row of the producer and the worker's validation, on a workbook of typed cells.

Run from the repo root (``PYTHONPATH`` picks the code measured, so the same script times the
code before and after a change)::

    .venv/bin/python -m bench.typed_cells_bench [--rows 50000] [--rounds 3]

The workbook holds the orders of ``ops.sample_data`` with real typed cells: numbers
(order_id, amount, quantity), datetimes (ordered_at) and booleans (express), as a person's
spreadsheet has them. Producer: ``open_reader`` -> ``batches()`` -> ``build_chunk_records``
(what producer_bench times), next to fastexcel alone (the raw library). Worker:
``decode_batch`` + ``validate_batch`` of
every chunk (the part of the worker's CPU that typed cells change; persistence is the same
typed rows either way). Best of ``--rounds``, CPU time of this process.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
CHUNK_ROWS = 2_000


def orders_dataset_file() -> Path:
    """orders.yaml of the code measured: schemas/datasets/ now, datasets/ before (69ff222)."""
    import schemas

    home = Path(schemas.__file__).resolve().parent
    moved = home / "datasets" / "orders.yaml"
    return moved if moved.exists() else home.parent / "datasets" / "orders.yaml"


def typed_workbook(rows: int) -> Path:
    from openpyxl import Workbook

    try:
        from ops.devservers.sample_data import HEADER, order_rows
    except ImportError:  # the layout before 69ff222's successors
        from ops.sample_data import HEADER, order_rows  # type: ignore[no-redef]

    path = WORK / f"tc_orders_typed_{rows}.xlsx"
    if path.exists():
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("orders")
    sheet.append(HEADER)
    for row in order_rows(rows):
        when = datetime.strptime(str(row[3]), "%Y-%m-%dT%H:%M:%SZ")
        sheet.append(
            [row[0], row[1], row[2], when, float(str(row[4])), row[5], row[6] == "yes", row[7]]
        )
    part = path.with_suffix(".part.xlsx")
    book.save(part)
    part.rename(path)
    return path


def best_cpu(rounds: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(rounds):
        began = time.process_time()
        fn()
        best = min(best, time.process_time() - began)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from producer.chunking import build_chunk_records
    from producer.readers import open_reader
    from schemas.arrow_codec import decode_batch
    from schemas.dataset import load_dataset_file
    from stream_processors.validation import validate_batch

    dataset = load_dataset_file(orders_dataset_file())
    path = typed_workbook(args.rows)
    payloads: list[bytes] = []

    def produce() -> None:
        reader = open_reader(path, dataset, CHUNK_ROWS)
        try:
            records = build_chunk_records(
                reader.batches(),
                job_id="j" * 32,
                dataset="orders",
                tenant="t",
                schema_version=1,
                max_bytes=8 << 20,
            )
            payloads[:] = [payload for _, payload in records]
        finally:
            reader.close()

    def raw_library() -> None:  # fastexcel alone: the floor under the producer
        import fastexcel

        fastexcel.read_excel(str(path)).load_sheet(0, schema_sample_rows=None).to_arrow()

    def validate() -> None:
        for payload in payloads:
            validate_batch(decode_batch(payload), dataset)

    produce()
    ok = sum(validate_batch(decode_batch(p), dataset).rows_ok for p in payloads)
    producer_s = best_cpu(args.rounds, produce)
    worker_s = best_cpu(args.rounds, validate)
    raw_s = best_cpu(args.rounds, raw_library)
    per_row = 1e6 / args.rows
    print(f"rows {args.rows}, valid {ok}, chunks {len(payloads)}")
    print(f"raw fastexcel load_sheet + to_arrow CPU {raw_s * per_row:.2f} us/row")
    print(
        f"producer CPU {producer_s * per_row:.2f} us/row, worker validation CPU "
        f"{worker_s * per_row:.2f} us/row, together {(producer_s + worker_s) * per_row:.2f}"
    )


if __name__ == "__main__":
    main()
