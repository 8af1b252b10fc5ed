"""XLSX reader: the guard first (guard.py), then the Rust extension ``bulkflow_xlsx``
(native/xlsx_stream), a purpose-built scanner of the sheet XML that reads a batch at a time
in bounded memory.

- sheet.py: the extension's batches of a sheet as Arrow struct columns, a cell's kind and
  value per column;
- table_search.py: the header search over the first batch, on the named sheet or the first
  sheet that has a header row;
- reader.py: the sheet from its header row on, as base.py chunks;
- struct_cells.py: a struct column as the chunk's cells: typed, or the cell text of
  column_text.py (the same text the calamine formats give).

The extension caps what it inflates itself, so the guard does not inflate the members it
reads (guard.py).
"""

from __future__ import annotations

from pathlib import Path

from producer.readers.base import ChunkReader, ReaderLimits
from producer.readers.xlsx.guard import explain_library_error, inspect_xlsx
from schemas.dataset import Dataset
from schemas.errors import ParseError

__all__ = ["open_xlsx_reader"]


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
    sheets = inspect_xlsx(path, limits)
    try:
        from producer.readers.xlsx.reader import MIN_READ_ROWS, XlsxReader
        from producer.readers.xlsx.table_search import open_table

        read_rows = max(chunk_rows, MIN_READ_ROWS)
        opened, head = open_table(path, sheets, dataset, sheet, read_rows, limits)
        return XlsxReader(opened, head, dataset, chunk_rows, limits)
    except ParseError:
        raise
    except Exception as exc:  # the extension raises anything from OSError to Rust panics
        raise explain_library_error(exc) from exc
