"""The workload of ``bulkflow bench``: N big ``orders`` files plus 50 small ones, cached.

Files are generated once under ``bench/.work/bulk/`` and reused. Each file is cached under a
name keyed by (rows, format, seed, index), so the quick run's 50 files are the first 50 of
the full run's 500 and a set is always (rows, format, count, seed) -> the first ``count``
files. Rows come from ``ops.devservers.sample_data.order_rows`` (deterministic for a seed):
every file has its own ``order_id`` range (users upload different orders, so no upload
upserts over another's rows) and about 1% invalid rows. Generation runs in a process pool; a file is
written under a temporary name and renamed, so a killed run never leaves half a file.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work" / "bulk"
INVALID_EVERY = 100  # 1% invalid rows
SMALL_COUNT = 50
SMALL_ROWS = 200
# order_id ranges: big file i starts at BIG_BASE + i * rows, small file j at SMALL_BASE + ...
BIG_BASE = 1
SMALL_BASE = 900_000_000  # ordered_at = 2026 + order_id minutes: stay below year 9999


@dataclass(frozen=True)
class FileSpec:
    path: Path
    kind: str  # "big" | "small"
    fmt: str  # "csv" | "xlsx"
    rows: int
    start_id: int
    seed: int

    @property
    def name(self) -> str:
        return self.path.name


def file_format(fmt: str, index: int) -> str:
    """csv|xlsx as asked; mixed alternates (even index XLSX, odd CSV)."""
    if fmt == "mixed":
        return "xlsx" if index % 2 == 0 else "csv"
    return fmt


def _spec(kind: str, fmt: str, rows: int, seed: int, index: int, base: int) -> FileSpec:
    ext = file_format(fmt, index)
    folder = WORK / f"{kind}-{rows}r-s{seed}"
    path = folder / f"{kind}-{index:04d}.{ext}"
    return FileSpec(path, kind, ext, rows, base + index * rows, seed * 1_000_003 + index)


def plan(count: int, rows: int, fmt: str, seed: int) -> tuple[list[FileSpec], list[FileSpec]]:
    """(big files, small files) of a run; nothing is written."""
    big = [_spec("big", fmt, rows, seed, i, BIG_BASE) for i in range(count)]
    small = [_spec("small", fmt, SMALL_ROWS, seed, j, SMALL_BASE) for j in range(SMALL_COUNT)]
    return big, small


def write_file(spec: FileSpec) -> str:
    """Write one file (atomically); returns its path. Runs in a pool worker."""
    from ops.devservers.sample_data import write_orders_csv

    if spec.path.exists():
        return str(spec.path)
    spec.path.parent.mkdir(parents=True, exist_ok=True)
    part = spec.path.with_name(f".{spec.path.stem}.{os.getpid()}.part.{spec.fmt}")
    writer = write_orders_xlsx_fast if spec.fmt == "xlsx" else write_orders_csv
    writer(part, spec.rows, start_id=spec.start_id, invalid_every=INVALID_EVERY, seed=spec.seed)
    os.replace(part, spec.path)
    return str(spec.path)


_TEMPLATE: dict[str, bytes] = {}
_FIXED_TIME = "2026-01-01T00:00:00Z"


def _xlsx_template() -> dict[str, bytes]:
    """The parts of an openpyxl write-only workbook other than its sheet, timestamps pinned."""
    if not _TEMPLATE:
        import io
        import re
        import zipfile

        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        wb.create_sheet("orders")
        buffer = io.BytesIO()
        wb.save(buffer)
        with zipfile.ZipFile(buffer) as z:
            for name in z.namelist():
                data = z.read(name)
                if name == "docProps/core.xml":
                    data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", _FIXED_TIME.encode(), data)
                _TEMPLATE[name] = data
    return _TEMPLATE


def _cell(ref: str, value: object) -> str:
    if isinstance(value, int):
        return f'<c r="{ref}" t="n"><v>{value}</v></c>'
    text = str(value)
    if not text:
        return f'<c r="{ref}" t="inlineStr" />'
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def write_orders_xlsx_fast(path: Path, count: int, **kwargs: int) -> Path:
    """Byte for byte the sheet openpyxl's write-only mode writes for ``write_orders_xlsx``
    (inline strings), built as text: ~10x faster, and deterministic (pinned timestamps)."""
    import zipfile

    from ops.devservers.sample_data import HEADER, order_rows

    letters = "ABCDEFGH"
    parts = [
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetPr><outlinePr summaryBelow="1" summaryRight="1" /><pageSetUpPr /></sheetPr>'
        '<sheetViews><sheetView workbookViewId="0"><selection activeCell="A1" sqref="A1" />'
        '</sheetView></sheetViews><sheetFormatPr baseColWidth="8" defaultRowHeight="15" />'
        "<sheetData>"
    ]
    rows: list[list[object]] = [list(HEADER), *order_rows(count, **kwargs)]
    for r, row in enumerate(rows, start=1):
        cells = "".join(_cell(f"{letters[i]}{r}", v) for i, v in enumerate(row))
        parts.append(f'<row r="{r}">{cells}</row>')
    parts.append(
        '</sheetData><pageMargins left="0.75" right="0.75" top="1" bottom="1" '
        'header="0.5" footer="0.5" /></worksheet>'
    )
    sheet = "".join(parts).encode()
    template = _xlsx_template()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in template.items():
            if name.startswith("xl/worksheets/"):
                data = sheet
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return path


def ensure_files(specs: list[FileSpec], echo=print, processes: int | None = None) -> float:
    """Generate the missing files in a process pool; returns the seconds it took."""
    missing = [s for s in specs if not s.path.exists()]
    if not missing:
        return 0.0
    began = time.monotonic()
    workers = processes or os.cpu_count() or 2
    echo(
        f"generating {len(missing)} workload files into {WORK} with {workers} processes "
        "(cached for later runs) ..."
    )
    done = 0
    with ProcessPoolExecutor(workers) as pool:
        for _ in pool.map(write_file, missing, chunksize=4):
            done += 1
            if done % 50 == 0 or done == len(missing):
                echo(f"  {done}/{len(missing)} files ({time.monotonic() - began:.0f} s)")
    return time.monotonic() - began


def expected_invalid(rows: int) -> int:
    return rows // INVALID_EVERY


if __name__ == "__main__":  # pre-generate: python -m bench.bulk_workload COUNT ROWS FORMAT
    import sys

    count, rows, fmt = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    big, small = plan(count, rows, fmt, seed=7)
    ensure_files(big + small)
