"""XLSX reader: guards first, then the fast whole-sheet path or the streaming path.

Sheets whose XML fits ``limits.xlsx_fast_path_max_xml_bytes`` are loaded whole by
fastexcel (Rust calamine, roughly 1 KB of memory per row); bigger ones stream through
expat (stream.py, handlers.py), a row at a time. Both give the same batches for the same
file, by the cell text rules of text.py.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from producer.errors import ParseError
from producer.readers.base import ESTIMATE_SAMPLE_BYTES, ChunkReader, ReaderLimits
from producer.readers.xlsx.constants import (
    ESTIMATE_BYTES_PER_ROW,
    ESTIMATE_DIMENSION_BYTES,
)
from producer.readers.xlsx.guard import (
    confirm_declared_sizes,
    explain_library_error,
    inspect_xlsx,
)
from producer.readers.xlsx.parts import select_sheet, sheet_parts
from schemas.dataset import Dataset

__all__ = ["estimate_xlsx_rows", "open_xlsx_reader"]

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]*(\d*)(?::[A-Z]+(\d+))?"')


def open_xlsx_reader(
    path: Path | str,
    dataset: Dataset,
    chunk_rows: int,
    *,
    sheet: str | None = None,
    limits: ReaderLimits | None = None,
) -> ChunkReader:
    """Open one sheet (the first unless named) as base.py batches of ``chunk_rows`` rows.

    Raises ParseError, with a reason for a person, for anything wrong with the file.
    """
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    limits = limits or ReaderLimits()
    chosen = select_sheet(inspect_xlsx(path, limits, confirm_sizes=False), sheet)
    try:
        if chosen.xml_bytes <= limits.xlsx_fast_path_max_xml_bytes:
            from producer.readers.xlsx.fast import FastPathUnsuitable, FastXlsxReader

            # calamine inflates past a declared size; zipfile (the streaming path) does not
            confirm_declared_sizes(path)

            try:
                return FastXlsxReader(path, chosen.name, chosen.part, dataset, chunk_rows, limits)
            except FastPathUnsuitable:
                pass  # slower, never wrong
        from producer.readers.xlsx.stream import StreamingXlsxReader

        return StreamingXlsxReader(path, chosen.name, chosen.part, dataset, chunk_rows, limits)
    except ParseError:
        raise
    except Exception as exc:  # the libraries raise anything from KeyError to Rust panics
        raise explain_library_error(exc) from exc


def estimate_xlsx_rows(path: Path | str, sheet: str | None = None) -> int:
    """Data rows of a sheet, cheaply: its declared <dimension>, else its XML size divided by
    the bytes per row of its first 64 KiB (~100 bytes a row if even that fails).

    Only the zip directory and the head of the sheet are read; 0 if unreadable."""
    try:
        with zipfile.ZipFile(path) as archive:
            chosen = select_sheet(sheet_parts(archive), sheet)
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
