"""The Rust XLSX reader (bulkflow_xlsx) against fastexcel, in one run, each in its own process.

    .venv/bin/python -m bench xlsx_rust [--rows N] [--batch-rows N]

The workbook is bench/producer_inputs.py's orders workbook (ops/sample_data.write_orders_xlsx:
8 columns, openpyxl write-only, inline strings; cached as bench/.work/pb_orders_<rows>.xlsx).
Every reader runs in a fresh child interpreter that reports wall and CPU time (all threads)
and its peak RSS (resource.getrusage, ru_maxrss), so no reading inherits another's memory.

  rust            XlsxSheet: the zip guard, then batches of --batch-rows rows as
                  pyarrow RecordBatches (one struct column per sheet column)
  rust-no-guard   the same without the guard (bulkflow_xlsx.open + to_sheet_rows)
  fastexcel       fastexcel (calamine, whole sheet in memory) into one pyarrow RecordBatch
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_ROWS_PER_S = 150_000
GOAL_RSS_MB = 256
CHILD_TIMEOUT_S = 900


def read_rust(path: str, batch_rows: int) -> int:
    from producer.readers.xlsx.sheet import XlsxSheet

    rows = 0
    with XlsxSheet(path, None, batch_rows) as sheet:
        for batch in sheet.batches():
            rows += batch.rows.num_rows
    return rows


def read_rust_no_guard(path: str, batch_rows: int) -> int:
    import bulkflow_xlsx

    from producer.readers.xlsx.sheet import to_sheet_rows

    stream = bulkflow_xlsx.open(path, None, batch_rows)
    rows = 0
    while (raw := stream.next_batch()) is not None:
        rows += to_sheet_rows(raw, stream.is_1904).rows.num_rows
    stream.close()
    return rows


def read_fastexcel(path: str, batch_rows: int) -> int:
    import fastexcel

    sheet = fastexcel.read_excel(path).load_sheet(0, header_row=None)
    return int(sheet.to_arrow().num_rows)


READERS = {"rust": read_rust, "rust-no-guard": read_rust_no_guard, "fastexcel": read_fastexcel}


def child(mode: str, path: str, batch_rows: int) -> None:
    """Runs in the child: one reading, one JSON line."""
    import pyarrow  # noqa: F401  (its import is not the reader's cost)

    wall, cpu = time.perf_counter(), time.process_time()
    rows = READERS[mode](path, batch_rows)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak_mb}))


def measure(mode: str, path: Path, batch_rows: int) -> dict[str, float]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.xlsx_rust_bench",
            "--child",
            mode,
            str(path),
            "--batch-rows",
            str(batch_rows),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-rows", type=int, default=10_000)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.batch_rows)
        return
    sys.path.insert(0, str(ROOT))
    from bench.producer_inputs import orders_xlsx

    path = orders_xlsx(args.rows)
    print(
        f"{path.name}: {path.stat().st_size / 1e6:.0f} MB, {args.rows:,} rows x 8 columns, "
        f"batches of {args.batch_rows:,} rows"
    )
    print(f"{'reader':<15}{'rows':>11}{'wall s':>9}{'rows/s':>11}{'CPU µs/row':>12}{'peak MB':>9}")
    results = {}
    for mode in READERS:
        r = measure(mode, path, args.batch_rows)
        results[mode] = r
        print(
            f"{mode:<15}{r['rows']:>11,.0f}{r['wall_s']:>9.2f}{r['rows'] / r['wall_s']:>11,.0f}"
            f"{r['cpu_s'] / r['rows'] * 1e6:>12.2f}{r['peak_rss_mb']:>9.0f}"
        )
    rust = results["rust"]
    speed = rust["rows"] / rust["wall_s"]
    print(
        f"goal: >= {GOAL_ROWS_PER_S:,} rows/s and <= {GOAL_RSS_MB} MB peak RSS: "
        f"{speed:,.0f} rows/s, {rust['peak_rss_mb']:.0f} MB -> "
        f"{'met' if speed >= GOAL_ROWS_PER_S and rust['peak_rss_mb'] <= GOAL_RSS_MB else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
