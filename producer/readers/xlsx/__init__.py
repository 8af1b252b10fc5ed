"""XLSX reader: guards first, then the Rust streaming path (or, opted into, the fast path).

The Rust extension (rust_reader.py over bulkflow_xlsx, a purpose-built scanner of the sheet
XML) reads a batch at a time in bounded memory and is now faster end to end than loading a
sheet whole with fastexcel (1.89 against 4.22 CPU us per row to the last batch on the
bench's 10,000-row orders files; bench/README.md "XLSX per-row figures"), so by default (``limits.xlsx_fast_path_max_xml_bytes`` = 0) it reads every
sheet. The fastexcel path (fast.py, ~1 KB of memory per row) stays as an opt-in for sheets
under that limit, kept because the corpus tests compare the two paths cell for cell and
calamine.py reuses its loader; the streaming path decides a column's type per chunk.

The extension caps what it inflates itself, so when no sheet can take the fast path the
guard does not inflate the members the extension reads (guard.py).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from producer.errors import ParseError
from producer.readers.base import ESTIMATE_SAMPLE_BYTES, ChunkReader, ReaderLimits
from producer.readers.header_search import (
    HEADER_SEARCH_ROWS,
    HeaderSearch,
    choose_sheet,
    search_header,
    sheet_place,
)
from producer.readers.xlsx.constants import (
    ESTIMATE_BYTES_PER_ROW,
    ESTIMATE_DIMENSION_BYTES,
)
from producer.readers.xlsx.guard import explain_library_error, inspect_xlsx
from producer.readers.xlsx.head import (
    HeaderRow,
    read_head_rows,
    row_texts,
    shared_strings,
    string_indices,
)
from producer.readers.xlsx.parts import SheetPart, select_sheet, sheet_parts
from schemas.dataset import Dataset

__all__ = ["estimate_xlsx_rows", "open_xlsx_reader"]

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]*(\d*)(?::[A-Z]+(\d+))?"')


def _search(path: Path | str, sheet: SheetPart, dataset: Dataset) -> tuple[HeaderSearch, HeaderRow]:
    """The header search over the sheet's head (its first rows, read once) and the header
    row as stored, when found."""
    rows = read_head_rows(path, sheet.part, HEADER_SEARCH_ROWS)
    strings = shared_strings(path, string_indices(rows))
    texts = ((row.number, row_texts(row, strings)) for row in rows)
    found = search_header(texts, dataset, sheet_place(sheet.name))
    number = found.header[0] if found.header else 0
    return found, next((r for r in rows if r.number == number), HeaderRow(0, {}))


def _find_table(
    path: Path | str, sheets: list[SheetPart], dataset: Dataset, sheet: str | None
) -> tuple[SheetPart, HeaderRow]:
    """The named sheet, else the first whose head holds a header row; and that row."""
    if sheet is not None:
        chosen = select_sheet(sheets, sheet)
        found, header = _search(path, chosen, dataset)
        if not found.found:
            raise found.error()
        return chosen, header
    headers: dict[str, HeaderRow] = {}
    by_name = {s.name: s for s in sheets}

    def search(name: str) -> HeaderSearch:
        found, headers[name] = _search(path, by_name[name], dataset)
        return found

    name, _ = choose_sheet([s.name for s in sheets], search)
    return by_name[name], headers[name]


def open_xlsx_reader(
    path: Path | str,
    dataset: Dataset,
    chunk_rows: int,
    *,
    sheet: str | None = None,
    limits: ReaderLimits | None = None,
) -> ChunkReader:
    """Open one sheet (the named one, else the first with a header row for the dataset) as
    base.py batches of ``chunk_rows`` rows, from its header row on (header_search.py).

    Raises ParseError, with a reason for a person, for anything wrong with the file.
    """
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    limits = limits or ReaderLimits()
    # fastexcel inflates without a cap: the guard confirms every member when it may run
    rust_only = limits.xlsx_fast_path_max_xml_bytes <= 0
    sheets = inspect_xlsx(path, limits, reader_caps_inflation=rust_only)
    try:
        if rust_only:
            return _rust_reader(path, sheets, dataset, chunk_rows, sheet, limits)
        chosen, header = _find_table(path, sheets, dataset, sheet)
        if chosen.xml_bytes <= limits.xlsx_fast_path_max_xml_bytes:
            from producer.readers.xlsx.fast import FastPathUnsuitable, FastXlsxReader

            try:
                return FastXlsxReader(path, chosen.name, header, dataset, chunk_rows, limits)
            except FastPathUnsuitable:
                pass  # slower, never wrong
        return _rust_reader(path, [chosen], dataset, chunk_rows, chosen.name, limits)
    except ParseError:
        raise
    except Exception as exc:  # the libraries raise anything from KeyError to Rust panics
        raise explain_library_error(exc) from exc


def _rust_reader(
    path: Path | str,
    sheets: list[SheetPart],
    dataset: Dataset,
    chunk_rows: int,
    sheet: str | None,
    limits: ReaderLimits,
) -> ChunkReader:
    from producer.readers.xlsx.rust_head import open_table
    from producer.readers.xlsx.rust_reader import MIN_READ_ROWS, RustXlsxReader

    read_rows = max(chunk_rows, MIN_READ_ROWS)
    opened, head = open_table(path, sheets, dataset, sheet, read_rows, limits)
    return RustXlsxReader(opened, head, dataset, chunk_rows, limits)


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
