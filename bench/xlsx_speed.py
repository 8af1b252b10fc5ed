"""XLSX reader speed next to the raw libraries (fastexcel, openpyxl), in one run.

    .venv/bin/python -m bench xlsx [rows]
    .venv/bin/python -m bench xlsx rss [rows]

A 200,000-row orders workbook is generated once and cached under bench/.work/. The ``rss``
form streams a 1,000,000-row workbook of ``ops.devservers.sample_data.write_orders_xlsx``
(openpyxl write-only, inline strings; cached as bench/.work/pb_orders_<rows>.xlsx, the name
bench/producer_bench.py gives the same file) in a child process and reports its peak RSS.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ops.devservers.sample_data import HEADER
from producer.readers.xlsx import open_xlsx_reader
from schemas.dataset import load_dataset_file
from schemas.settings import packaged_datasets_dir

ROOT = Path(__file__).resolve().parent.parent

WORK = ROOT / "bench" / ".work"


def workbook(rows: int) -> Path:
    path = WORK / f"orders_{rows}.xlsx"
    if path.exists():
        return path
    import openpyxl

    WORK.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("orders")
    sheet.append(HEADER)
    start = dt.datetime(2024, 1, 1)
    for i in range(1, rows + 1):
        sheet.append(
            [
                i,
                f"customer{rng.randrange(50_000)}@example.com",
                rng.choice(["DE", "FR", "US", "GB", "NL"]),
                start + dt.timedelta(seconds=rng.randrange(31_536_000)),
                round(rng.uniform(1, 500), 2),
                rng.randrange(1, 10),
                rng.random() < 0.2,
                None if rng.random() < 0.7 else f"note {i}",
            ]
        )
    tmp = path.with_suffix(".tmp")
    book.save(tmp)
    tmp.rename(path)
    return path


def timed(label: str, rows: int, run: Callable[[], int]) -> tuple[float, float]:
    """Rows per wall second and per CPU second: on a shared machine the second is steadier."""
    wall, cpu = time.perf_counter(), time.process_time()
    seen = run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"{label:<34} {seen:>9,} rows {wall:7.2f} s {rows / wall:>10,.0f} rows/s "
        f"{rows / cpu:>10,.0f} rows/cpu-s"
    )
    return rows / wall, rows / cpu


_RSS_CHILD = """
import resource, sys, time
from producer.readers.xlsx import open_xlsx_reader
from schemas.dataset import load_dataset_file
from schemas.settings import packaged_datasets_dir
dataset = load_dataset_file(packaged_datasets_dir() / "orders.yaml")
wall, cpu = time.perf_counter(), time.process_time()
reader = open_xlsx_reader(sys.argv[1], dataset, 10_000)
rows = sum(b.num_rows for b in reader.batches())
reader.close()
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{rows:,} rows {wall:.1f} s wall ({rows / wall:,.0f} rows/s) {cpu:.1f} s cpu "
      f"({rows / cpu:,.0f} rows/cpu-s), peak RSS {peak:.0f} MB")
"""


def rss(rows: int) -> None:
    """The XLSX reader over a write_orders_xlsx workbook, alone in a child process."""
    import subprocess

    from ops.devservers.sample_data import write_orders_xlsx

    path = WORK / f"pb_orders_{rows}.xlsx"
    if not path.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        tmp = write_orders_xlsx(path.with_suffix(".tmp"), rows)
        tmp.rename(path)
    print(f"{path.name}: {path.stat().st_size / 1e6:.1f} MB, the XLSX reader in a child process")
    # python -c puts its cwd first on sys.path: the repo root, as for ``python -m bench``
    subprocess.run([sys.executable, "-c", _RSS_CHILD, str(path)], cwd=ROOT, check=True)


def main() -> None:
    if any(arg in ("-h", "--help") for arg in sys.argv[1:]):
        print(__doc__)
        return
    if len(sys.argv) > 1 and sys.argv[1] == "rss":
        rss(int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000)
        return
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    # one-time process costs (pyarrow loads its pandas shim on first conversion, module
    # imports) are paid here, not by whichever measurement happens to run first
    import fastexcel
    import openpyxl
    import pyarrow as pa

    import producer.readers.xlsx.reader  # noqa: F401

    pa.array([0])
    path = workbook(rows)
    dataset = load_dataset_file(packaged_datasets_dir() / "orders.yaml")

    def raw_fastexcel() -> int:
        sheet = fastexcel.read_excel(str(path)).load_sheet(0, schema_sample_rows=None)
        return sheet.to_arrow().num_rows

    def raw_openpyxl() -> int:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        count = sum(1 for _ in book.worksheets[0].iter_rows(min_row=2, values_only=True))
        book.close()
        return count

    def reader() -> int:
        opened = open_xlsx_reader(path, dataset, 10_000)
        try:
            return sum(b.num_rows for b in opened.batches())
        finally:
            opened.close()

    print(f"{path.name}: {path.stat().st_size / 1e6:.1f} MB")
    raw_fast = timed("raw fastexcel (load + to_arrow)", rows, raw_fastexcel)
    raw_openpyxl_speed = timed("raw openpyxl read-only", rows, raw_openpyxl)
    ours = timed("XLSX reader (open_xlsx_reader)", rows, reader)
    for label, raw in (
        ("XLSX reader / raw fastexcel:", raw_fast),
        ("XLSX reader / raw openpyxl:", raw_openpyxl_speed),
    ):
        print(f"{label:<32} {ours[0] / raw[0]:.2f} (wall)  {ours[1] / raw[1]:.2f} (cpu)")


if __name__ == "__main__":
    main()
