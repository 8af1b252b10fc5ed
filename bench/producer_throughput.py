"""Rows per second of parse + chunk + encode (no Kafka) next to the raw library the reader
sits on, best of N rounds, in the benchmark's own process.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.producer_inputs import import_pyarrow

CHUNK_ROWS = 2_000

GOALS = {
    "xlsx_rows_per_s": 150_000,
    "csv_rows_per_s": 1_000_000,
    "peak_rss_mb": 256,
}


def load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def timed(fn: Callable[[], int]) -> dict[str, float]:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    rows = fn()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {
        "rows": rows,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "rows_per_s": round(rows / wall),
        "rows_per_cpu_s": round(rows / max(cpu, 1e-9)),
    }


def best_of(rounds: int, fn: Callable[[], int]) -> dict[str, Any]:
    """Best wall time of ``rounds`` runs (the machine is shared: the best is the least noisy)."""
    runs = [timed(fn) for _ in range(max(rounds, 1))]
    best = max(runs, key=lambda r: r["rows_per_s"])
    return {**best, "rounds_rows_per_s": [r["rows_per_s"] for r in runs]}


def dataset_and_settings() -> tuple[Any, Any]:
    from schemas.dataset import DatasetRegistry
    from schemas.settings import load_settings, packaged_datasets_dir

    return DatasetRegistry(packaged_datasets_dir()).get("orders"), load_settings()


def pipeline(
    path: Path, limits: Any = None, info: dict[str, Any] | None = None
) -> Callable[[], int]:
    """open_reader -> batches -> build_chunk_records (no Kafka); returns rows seen."""
    from producer.chunking import build_chunk_records
    from producer.readers import open_reader
    from producer.readers.base import ReaderLimits

    dataset, settings = dataset_and_settings()

    def run() -> int:
        reader = open_reader(path, dataset, CHUNK_ROWS, limits=limits or ReaderLimits())
        rows = chunks = payload = 0
        try:
            for headers, body in build_chunk_records(
                reader.batches(),
                job_id="bench",
                dataset=dataset.name,
                tenant="bench",
                schema_version=dataset.version,
                max_bytes=settings.chunk_max_bytes,
            ):
                rows += headers.row_count
                chunks += 1
                payload += len(body)
        finally:
            reader.close()
        if info is not None:
            info.update(reader=type(reader).__name__, chunks=chunks, payload_bytes=payload)
        return rows

    return run


def raw_csv(path: Path, threads: bool = True) -> Callable[[], int]:
    import pyarrow.csv as pacsv

    pa = import_pyarrow()

    def run() -> int:
        with path.open("rb") as f:
            header = f.readline().decode().strip().split(",")
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=threads),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(header, pa.string())),
        )
        return sum(b.num_rows for b in reader)

    return run


def raw_fastexcel(path: Path) -> Callable[[], int]:
    def run() -> int:
        import fastexcel

        return int(fastexcel.read_excel(str(path)).load_sheet(0).to_arrow().num_rows)

    return run


def raw_openpyxl(path: Path) -> Callable[[], int]:
    def run() -> int:
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            rows = sum(1 for _ in book.worksheets[0].iter_rows(min_row=2, values_only=True))
        finally:
            book.close()
        return rows

    return run


def raw_parquet(path: Path) -> Callable[[], int]:
    def run() -> int:
        import pyarrow.parquet as pq

        return sum(b.num_rows for b in pq.ParquetFile(path).iter_batches(batch_size=CHUNK_ROWS))

    return run


def raw_jsonl(path: Path) -> Callable[[], int]:
    def run() -> int:
        rows = 0
        with path.open(encoding="utf-8") as f:
            for line in f:
                json.loads(line)
                rows += 1
        return rows

    return run


def compare(
    name: str,
    rounds: int,
    raw_label: str,
    raw: Callable[[], int],
    ours: Callable[[], int],
    info: dict[str, Any],
    goal_key: str | None = None,
) -> dict[str, Any]:
    """Raw library first, then the pipeline, same file, same process; print both and the ratio."""
    base = best_of(rounds, raw)
    mine = best_of(rounds, ours)
    ratio = mine["rows_per_s"] / base["rows_per_s"]
    # per CPU-second: steadier than wall time when other work shares the cores
    cpu_ratio = mine["rows_per_cpu_s"] / base["rows_per_cpu_s"]
    result: dict[str, Any] = {
        "raw_label": raw_label,
        "raw": base,
        "pipeline": mine,
        "ratio": round(ratio, 3),
        "cpu_ratio": round(cpu_ratio, 3),
        **info,
    }
    goal_text = ""
    if goal_key:
        goal = GOALS[goal_key]
        result["goal_rows_per_s"] = goal
        result["goal_met"] = mine["rows_per_s"] >= goal
        goal_text = f"  goal >= {goal:,}: {'PASS' if result['goal_met'] else 'MISS'}"
    print(f"{name}")
    print(
        f"  raw {raw_label:<44} {base['rows_per_s']:>11,} rows/s  cpu {base['cpu_s']:6.2f} s"
        f"  wall {base['wall_s']:6.2f} s"
    )
    print(
        f"  parse+chunk+encode ({info.get('reader', '?'):<23}) {mine['rows_per_s']:>11,} rows/s"
        f"  cpu {mine['cpu_s']:6.2f} s  wall {mine['wall_s']:6.2f} s"
    )
    print(
        f"  ratio pipeline/raw {ratio:.2f} wall, {cpu_ratio:.2f} per CPU-second   ({mine['rows']:,} rows, {info.get('chunks', 0):,} "
        f"chunks){goal_text}",
        flush=True,
    )
    return result
