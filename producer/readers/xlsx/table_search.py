"""Find the table: the header search over the first batch the extension
reads, which the reader then goes on from.

The sheet is read once. The head's cell text is the text the reader maps the header with
(struct_cells.cell_text_at, cell for cell what column_text renders), so the search and the
mapping see the same header cells; a number in a title row reads as Excel shows it, not as
stored. A sheet the search passes over (no header row in its first rows) has had one batch
read for nothing; the one chosen loses nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from files.workbook import SheetPart, select_sheet
from producer.readers.base import ReaderLimits
from producer.readers.header_search import (
    HEADER_SEARCH_ROWS,
    HeaderSearch,
    SheetRow,
    choose_sheet,
    search_header,
    sheet_place,
)
from producer.readers.xlsx.sheet import SheetRows, XlsxSheet
from producer.readers.xlsx.struct_cells import cell_text_at
from schemas.dataset import Dataset


@dataclass
class SheetHead:
    """The batch holding the header row, where it is in it, its cells as text, and the
    sheet's batches after that one."""

    batch: SheetRows
    header_at: int  # 0-based, within batch.rows
    header: Sequence[str | None]
    rest: Iterator[SheetRows]
    sheet: str | None = None  # the sheet's name
    number: int | None = None  # the header's row number in the sheet

    def after_header(self) -> SheetRows:
        """The rows of the header's batch below it (titles and notes above are left out)."""
        return self.batch.below(self.header_at)


def head_rows(batch: SheetRows) -> Iterator[SheetRow]:
    """The batch's rows numbered up to HEADER_SEARCH_ROWS, as (number, cell text by column)
    with trailing empty cells dropped; rendered a row at a time, as the search asks for
    them, since it stops at the header (mostly the first row)."""
    count = min(batch.rows.num_rows, HEADER_SEARCH_ROWS - batch.first_row)
    columns = batch.rows.columns
    for at in range(max(count, 0)):
        cells = [cell_text_at(column, at) for column in columns]
        while cells and cells[-1] is None:
            cells.pop()
        yield batch.first_row + at + 1, cells


def _search(
    path: Path | str, part: SheetPart, dataset: Dataset, read_rows: int, limits: ReaderLimits
) -> tuple[XlsxSheet, HeaderSearch, SheetHead | None]:
    """Open the sheet and search its first batch; the sheet is left open."""
    opened = XlsxSheet(path, part.name, read_rows, limits, guarded=part)
    try:
        batches = opened.batches()
        # read_rows >= HEADER_SEARCH_ROWS: the first batch holds every row the search reads
        first = next(batches, None)
        rows = head_rows(first) if first is not None else iter(())
        found = search_header(rows, dataset, sheet_place(part.name), part.name)
    except BaseException:
        opened.close()
        raise
    if first is None or found.header is None:
        return opened, found, None
    number, cells = found.header
    head = SheetHead(first, number - 1 - first.first_row, cells, batches, part.name, number)
    return opened, found, head


def open_table(
    path: Path | str,
    sheets: list[SheetPart],
    dataset: Dataset,
    sheet: str | None,
    read_rows: int,
    limits: ReaderLimits,
) -> tuple[XlsxSheet, SheetHead]:
    """The named sheet, else the first whose head holds a header row, open at that row.
    Raises ParseError (header_search.py's reasons) when there is none."""
    if read_rows < HEADER_SEARCH_ROWS:
        raise ValueError(f"read_rows must be at least {HEADER_SEARCH_ROWS}")
    if sheet is not None:
        opened, found, head = _search(path, select_sheet(sheets, sheet), dataset, read_rows, limits)
        if head is None:
            opened.close()
            raise found.error()
        return opened, head
    by_name = {s.name: s for s in sheets}
    chosen: dict[str, tuple[XlsxSheet, SheetHead]] = {}

    def search(name: str) -> HeaderSearch:
        opened, found, head = _search(path, by_name[name], dataset, read_rows, limits)
        if head is None:
            opened.close()
        else:
            chosen[name] = (opened, head)
        return found

    name, _ = choose_sheet([s.name for s in sheets], search)
    return chosen[name]
