"""Producer speed and memory: parse + chunk + encode per format, next to the raw library.

Run from the repo root::

    .venv/bin/python -m bench producer [--quick] [--rounds N]

What is timed (no Kafka): ``open_reader`` -> ``batches()`` -> ``build_chunk_records`` with
``settings.chunk_max_bytes`` and 2,000 rows per chunk, i.e. everything the producer does to a
file before ``produce()``. Next to it, in the same run, the raw speed of the library the
reader sits on (pyarrow CSV, fastexcel, pyarrow Parquet, ``json.loads``).

Peak RSS is measured on a fresh interpreter per file (``--rss-child FILE``), read from the
kernel's accounting of that child (``os.wait4``), with default reader limits, so the XLSX
path taken is the one production would take.

Generated inputs are cached under ``bench/.work/`` (git-ignored). Results go to
``bench/results/producer_bench[-quick].json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
from pathlib import Path
from typing import Any

from bench.producer_inputs import (
    ROOT,
    orders_csv,
    orders_jsonl,
    orders_parquet,
    orders_xlsx,
)
from bench.producer_rss import measure_rss, print_rss, rss_child
from bench.producer_throughput import (
    CHUNK_ROWS,
    GOALS,
    best_of,
    compare,
    dataset_and_settings,
    load_avg,
    pipeline,
    raw_csv,
    raw_fastexcel,
    raw_jsonl,
    raw_parquet,
)

RESULTS = ROOT / "bench" / "results"


# --- main ---------------------------------------------------------------------------------


def xml_bytes(path: Path) -> int:
    from files.workbook import select_sheet
    from producer.readers.base import ReaderLimits
    from producer.readers.xlsx.guard import inspect_xlsx

    return int(select_sheet(inspect_xlsx(path, ReaderLimits()), None).xml_bytes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="skip the 10M-row CSV and the 1M-row XLSX (RSS uses smaller files)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="best of N for the measurements (JSONL: always 1)",
    )
    parser.add_argument("--rss-child", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        rss_child(args.rss_child)
        return

    from producer.readers.base import ReaderLimits

    started = dt.datetime.now(dt.UTC)
    load_start = load_avg()
    cpu_count = os.cpu_count()
    print(
        f"producer_bench {'--quick ' if args.quick else ''}at {started:%Y-%m-%d %H:%M:%S} UTC; "
        f"load average {load_start} on {cpu_count} CPUs; python {platform.python_version()}",
        flush=True,
    )
    _, settings = dataset_and_settings()
    print(
        f"chunk_rows {CHUNK_ROWS:,}, chunk_max_bytes {settings.chunk_max_bytes:,}, "
        f"best of {args.rounds} (JSONL: 1 round)"
    )

    print("inputs (cached under bench/.work/):", flush=True)
    csv_1m = orders_csv(1_000_000)
    xlsx_200k = orders_xlsx(200_000)
    parquet_1m = orders_parquet(csv_1m, 1_000_000)
    jsonl_1m = orders_jsonl(csv_1m, 1_000_000)
    csv_10m = xlsx_1m = None
    if not args.quick:
        csv_10m = orders_csv(10_000_000)
        xlsx_1m = orders_xlsx(1_000_000)

    report: dict[str, Any] = {
        "benchmark": "producer_bench",
        "quick": args.quick,
        "started_utc": started.isoformat(timespec="seconds"),
        "load_avg_start": load_start,
        "cpu_count": cpu_count,
        "chunk_rows": CHUNK_ROWS,
        "chunk_max_bytes": settings.chunk_max_bytes,
        "rounds": args.rounds,
        "goals": GOALS,
        "speed": {},
        "rss": {},
    }
    speed = report["speed"]
    print()

    info: dict[str, Any] = {}
    # headline baseline: single-threaded, as the reader runs it (it needs row numbers of
    # skipped lines in order); the multi-threaded figure is printed beside it
    speed["csv_1m"] = compare(
        f"CSV {csv_1m.name}",
        args.rounds,
        "pyarrow.csv.open_csv (all strings, 1 thread)",
        raw_csv(csv_1m, threads=False),
        pipeline(csv_1m, info=info),
        info,
        "csv_rows_per_s",
    )
    threaded = best_of(args.rounds, raw_csv(csv_1m, threads=True))
    speed["csv_1m"]["raw_threads"] = threaded
    speed["csv_1m"]["ratio_vs_threads"] = round(
        speed["csv_1m"]["pipeline"]["rows_per_s"] / threaded["rows_per_s"], 3
    )
    print(
        f"  (raw open_csv use_threads=True: {threaded['rows_per_s']:,} rows/s, cpu "
        f"{threaded['cpu_s']:.2f} s; ratio vs that {speed['csv_1m']['ratio_vs_threads']:.2f})"
    )

    xml = xml_bytes(xlsx_200k)
    print(f"\nXLSX {xlsx_200k.name}: sheet XML {xml / 2**20:.0f} MiB")
    info = {"sheet_xml_bytes": xml}
    speed["xlsx_200k"] = compare(
        f"XLSX reader (Rust extension, bulkflow_xlsx) {xlsx_200k.name}",
        args.rounds,
        "fastexcel read_excel().load_sheet(0).to_arrow()",
        raw_fastexcel(xlsx_200k),
        pipeline(xlsx_200k, ReaderLimits(), info),
        info,
        "xlsx_rows_per_s",
    )
    print()
    info = {}
    speed["parquet_1m"] = compare(
        f"Parquet {parquet_1m.name}",
        args.rounds,
        "pyarrow ParquetFile.iter_batches(2000)",
        raw_parquet(parquet_1m),
        pipeline(parquet_1m, info=info),
        info,
    )
    info = {}
    speed["jsonl_1m"] = compare(
        f"JSONL {jsonl_1m.name}",
        1,
        "json.loads per line (the reader's library)",
        raw_jsonl(jsonl_1m),
        pipeline(jsonl_1m, info=info),
        info,
    )

    print("\npeak RSS, parse+chunk+encode in a fresh process, default limits:", flush=True)
    rss_files = [f for f in (xlsx_1m, csv_10m) if f is not None] or [xlsx_200k, csv_1m]
    for path in rss_files:
        result = measure_rss(path)
        if path.suffix == ".xlsx":
            result["sheet_xml_bytes"] = xml_bytes(path)
        report["rss"][path.name] = result
        print_rss(result, goal_applies=not args.quick)

    report["load_avg_end"] = load_avg()
    report["finished_utc"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"producer_bench{'-quick' if args.quick else ''}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nload average at end {report['load_avg_end']}; results in {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
