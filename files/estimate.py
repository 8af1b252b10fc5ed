"""A fast row estimate of a file, by which its upload's tier is chosen.

Metadata where the format has it (Parquet's row count, an XLSX sheet's <dimension>), else
the file's size over the bytes per row of its head. Never reads a whole file.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from files.sniff import CALAMINE_FORMATS, sniff_format, unknown_format
from files.workbook import select_sheet, sheet_parts
from schemas.errors import ParseError, ParseErrorKind

# an estimate reads at most this much of a file (its head) and scales the rest
ESTIMATE_SAMPLE_BYTES = 64 * 1024
# a sheet's <dimension> is near the start of its XML
ESTIMATE_DIMENSION_BYTES = 2048
# a typical row of a sheet's XML (cells, references, styles) when no dimension is declared
ESTIMATE_BYTES_PER_ROW = 100
# .xls, .xlsb, .ods: binary or zipped cells, a few dozen bytes a row
CALAMINE_BYTES_PER_ROW = 40

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]*(\d*)(?::[A-Z]+(\d+))?"')


def estimate_rows(path: Path | str, file_format: str | None = None) -> int:
    """Data rows of the file, roughly: tiering needs only the magnitude.

    Raises ParseError for a Parquet file whose metadata cannot be read, or a format
    bulkflow does not read."""
    path = Path(path)
    file_format = file_format or sniff_format(path)
    if file_format == "parquet":
        import pyarrow.parquet as pq

        try:
            return int(pq.ParquetFile(path).metadata.num_rows)
        except Exception as exc:
            raise ParseError(
                f"the Parquet file cannot be read: {exc}", kind=ParseErrorKind.MALFORMED
            ) from exc
    if file_format == "xlsx":
        return estimate_xlsx_rows(path)
    if file_format in CALAMINE_FORMATS:
        return max(1, path.stat().st_size // CALAMINE_BYTES_PER_ROW)
    if file_format == "jsonl":
        return _estimate_lines(path, header_lines=0)
    if file_format == "csv":
        return _estimate_lines(path, header_lines=1)
    raise ParseError(unknown_format(file_format), kind=ParseErrorKind.UNSUPPORTED_FORMAT)


def _estimate_lines(path: Path, header_lines: int) -> int:
    size = path.stat().st_size
    with path.open("rb") as f:
        sample = f.read(ESTIMATE_SAMPLE_BYTES)
    if len(sample) >= size:  # the whole file was sampled: count, do not guess
        lines = len([line for line in sample.splitlines() if line.strip()])
        return max(lines - header_lines, 0)
    head = 0
    for _ in range(header_lines):
        head = sample.find(b"\n", head) + 1
    body = sample[head : sample.rfind(b"\n") + 1]
    lines = body.count(b"\n")
    if lines == 0:
        return 1  # one huge line so far; the parse will tell
    return max(round((size - head) / (len(body) / lines)), 1)


def estimate_xlsx_rows(path: Path | str) -> int:
    """Data rows of the first sheet: its declared <dimension>, else its XML size divided by
    the bytes per row of its first 64 KiB (~100 bytes a row if even that fails).

    Only the zip directory and the head of the sheet are read; 0 if unreadable."""
    try:
        with zipfile.ZipFile(path) as archive:
            chosen = select_sheet(sheet_parts(archive), None)
            with archive.open(chosen.part) as member:
                head = member.read(ESTIMATE_SAMPLE_BYTES)
    except (ParseError, zipfile.BadZipFile, KeyError, OSError, EOFError, RuntimeError):
        return 0
    match = _DIMENSION.search(head[:ESTIMATE_DIMENSION_BYTES])
    if match:
        first = int(match.group(1) or 1)
        last = int(match.group(2) or first)
        if last > first:
            return last - first
    # writers that stream (openpyxl's write-only mode among them) put no dimension first
    rows = head.count(b"<row ") + head.count(b"<row>")
    if len(head) >= chosen.xml_bytes:
        return max(0, rows - 1)  # the whole sheet was in the sample
    per_row = len(head) / rows if rows >= 2 else ESTIMATE_BYTES_PER_ROW
    return max(0, round(chosen.xml_bytes / per_row) - 1)
