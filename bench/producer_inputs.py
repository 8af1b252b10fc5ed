"""The producer benchmark's input files (orders as CSV, XLSX, Parquet, JSONL), generated once
and cached under ``bench/.work/`` (git-ignored).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"


def _cached(path: Path, make: Callable[[Path], object]) -> Path:
    """Build ``path`` once (via a temporary name, so a killed run leaves no half file)."""
    if path.exists():
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f"{path.name}.part{path.suffix}")
    began = time.perf_counter()
    print(f"  generating {path.name} ...", flush=True)
    make(part)
    os.replace(part, path)
    print(
        f"  generated {path.name} in {time.perf_counter() - began:.0f} s "
        f"({path.stat().st_size / 1e6:.0f} MB)",
        flush=True,
    )
    return path


def orders_csv(rows: int) -> Path:
    from ops.devservers.sample_data import write_orders_csv

    # write_orders_csv streams order_rows() through csv.writer: never the whole file in memory
    return _cached(WORK / f"pb_orders_{rows}.csv", lambda p: write_orders_csv(p, rows))


def orders_xlsx(rows: int) -> Path:
    from ops.devservers.sample_data import write_orders_xlsx

    # openpyxl write-only workbook, rows streamed from order_rows()
    return _cached(WORK / f"pb_orders_{rows}.xlsx", lambda p: write_orders_xlsx(p, rows))


def _all_string_csv(path: Path) -> Iterator[Any]:
    import pyarrow.csv as pacsv

    with path.open("rb") as f:
        header = f.readline().decode().strip().split(",")
    reader = pacsv.open_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(header, import_pyarrow().string())
        ),
    )
    yield from reader


def orders_parquet(csv_path: Path, rows: int) -> Path:
    import pyarrow.parquet as pq

    def make(part: Path) -> None:
        with pq.ParquetWriter(part, next(_all_string_csv(csv_path)).schema) as writer:
            for batch in _all_string_csv(csv_path):
                writer.write_batch(batch)

    return _cached(WORK / f"pb_orders_{rows}.parquet", make)


def orders_jsonl(csv_path: Path, rows: int) -> Path:
    def make(part: Path) -> None:
        with part.open("w", encoding="utf-8") as out:
            for batch in _all_string_csv(csv_path):
                for row in batch.to_pylist():
                    out.write(json.dumps(row) + "\n")

    return _cached(WORK / f"pb_orders_{rows}.jsonl", make)


def import_pyarrow() -> Any:
    import pyarrow as pa

    return pa
