"""The reader contract shared by every format.

A reader opens a spooled file, maps its header row to the dataset's columns and then
yields ``pyarrow.RecordBatch`` objects of at most ``chunk_rows`` rows. Every batch has:

* one ``pa.string()`` column per dataset column found in the file, named by the dataset
  column name (not the file's header), in dataset order; values are the cell text as a
  person sees it in the sheet (integers without ``.0``, dates ISO ``YYYY-MM-DD``, datetimes
  ISO ``YYYY-MM-DDTHH:MM:SS``, booleans ``TRUE``/``FALSE``), empty cells are null;
* the column ``schemas.arrow_codec.ROW_COLUMN`` (``pa.int64()``): the spreadsheet row
  number of each row, the header row being row 1 (so the first data row is 2);
* for a sheet's text column of a number type that holds number cells with a fraction
  beside text, a ``pa.bool_()`` column ``arrow_codec.number_cells_column(name)``, true
  where the cell was a number: a reading locale reads only the text its own way.

Wholly empty rows are skipped (their row numbers are simply absent).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pyarrow as pa

from schemas.errors import ParseError, ParseErrorKind

# a row of a sheet's head: its 1-based row number, its cells by column
HeadRow = tuple[int, Sequence[str | None]]


@dataclass(frozen=True)
class ReaderLimits:
    """Guards against hostile or broken files."""

    max_columns: int = 1_000
    max_cell_bytes: int = 1024 * 1024
    # XLSX is a zip: cap what it may expand to, in total and as a ratio
    max_uncompressed_bytes: int = 2 * 1024**3
    max_compression_ratio: float = 200.0
    # a legacy .xls (an OLE container, not a zip) is read whole: cap its size
    max_xls_bytes: int = 256 * 1024 * 1024


@dataclass
class HeaderMapping:
    """How a file's header row maps onto the dataset."""

    # file column index -> dataset column name, in dataset column order
    columns: dict[int, str] = field(default_factory=dict)
    unknown_columns: list[str] = field(default_factory=list)
    # dataset column name -> the file's header text for it
    headers: dict[str, str] = field(default_factory=dict)
    sheet: str | None = None  # the sheet read, for a workbook
    header_row: int | None = None  # the header's row number; None when the format has none


class ChunkReader(Protocol):
    mapping: HeaderMapping

    def batches(self) -> Iterator[pa.RecordBatch]: ...

    def warnings(self) -> list[str]:
        """What a person should know of how the file was read (a sheet's merged cells that
        left values out), complete once batches() is exhausted."""
        ...

    def close(self) -> None: ...


def human_bytes(n: int) -> str:
    """A size as a person reads it in a limit's message: 1 MiB, 1.5 KiB, 900 bytes."""
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


class HeaderNotFound(ParseError):
    """No row of the head maps the required columns. It holds the rows searched, so that a
    person can map the file's columns instead (producer/mapping_preview.py)."""

    def __init__(
        self,
        message: str,
        *,
        kind: ParseErrorKind = ParseErrorKind.MISSING_COLUMNS,
        sheet: str | None = None,
        rows: Sequence[HeadRow] = (),
    ) -> None:
        super().__init__(message, kind=kind)
        self.sheet = sheet
        self.rows = list(rows)
