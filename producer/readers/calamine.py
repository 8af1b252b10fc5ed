"""Reader of the office formats besides XLSX (.xls, .xlsb, .ods): fastexcel (Rust calamine)
loads the chosen sheet whole (calamine_table.py), with the cell text of column_text.py, the
text the XLSX reader gives for the same cells.

Guards first: .xlsb and .ods are zips and get the XLSX zip guard (expansion caps, no XML
entities); a legacy .xls is an OLE container, read whole, so its size is capped. calamine
parses a .xls or .ods workbook once when it opens it, so reading a sheet's head for the
header search and then the sheet costs one parse (an .xlsb sheet is parsed per load).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from files.sniff import PASSWORD_PROTECTED
from producer.readers.base import ChunkReader, ReaderLimits, human_bytes
from producer.readers.calamine_table import SheetTable
from producer.readers.header_search import (
    HEADER_SEARCH_ROWS,
    HeaderSearch,
    choose_sheet,
    search_header,
    sheet_place,
)
from producer.readers.merged_cells import merged_cells_warning
from producer.readers.ods_content import ods_error_cells, ods_merged_ranges
from schemas.dataset import Dataset
from schemas.errors import ParseError, ParseErrorKind

# how fastexcel's cell error names a cell calamine read as an empty string
_EMPTY_STRING = "got 'String(\"\")'"
_NAMES = {"xls": "Excel 97-2003 (.xls)", "xlsb": "Excel binary (.xlsb)", "ods": "OpenDocument"}


def _check(path: Path, file_format: str, limits: ReaderLimits) -> None:
    if file_format == "xls":
        size = path.stat().st_size
        if size > limits.max_xls_bytes:
            raise ParseError(
                f"the .xls file is {human_bytes(size)}, more than the limit of "
                f"{human_bytes(limits.max_xls_bytes)} for this old format; save it as .xlsx "
                "or .csv",
                kind=ParseErrorKind.TOO_LARGE,
            )
        return
    from producer.readers.xlsx.guard import guard_zip

    guard_zip(path, limits)


def explain(exc: Exception, file_format: str) -> ParseError:
    """calamine's error as a reason for a person: its first line, never a traceback."""
    text = str(exc).strip()
    if "password" in text.casefold() or "encrypt" in text.casefold():
        return ParseError(PASSWORD_PROTECTED, kind=ParseErrorKind.UNSUPPORTED_FORMAT)
    first = text.splitlines()[0] if text else type(exc).__name__
    return ParseError(
        f"the {_NAMES[file_format]} file is damaged or cannot be read ({first}); "
        "save it as .xlsx or .csv",
        kind=ParseErrorKind.MALFORMED,
    )


def head_rows(book: Any, sheet: str) -> list[tuple[int, list[str | None]]]:
    """The sheet's first HEADER_SEARCH_ROWS rows as text, numbered as the sheet shows them
    (no header, no rows skipped: row i of the load is sheet row i + 1)."""
    loaded = book.load_sheet(
        sheet, header_row=None, skip_rows=0, n_rows=HEADER_SEARCH_ROWS, dtypes="string"
    )
    table = loaded.to_arrow()
    width = max((i.absolute_index for i in loaded.selected_columns), default=-1) + 1
    columns = [
        (info.absolute_index, table.column(position).to_pylist())
        for position, info in enumerate(loaded.selected_columns)
    ]
    rows = []
    for index in range(table.num_rows):
        cells: list[str | None] = [None] * width
        for column, values in columns:
            cells[column] = values[index]
        rows.append((index + 1, cells))
    return rows


def _find_table(book: Any, dataset: Dataset, sheet: str | None) -> tuple[str, HeaderSearch]:
    names: list[str] = list(book.sheet_names)

    def search(name: str) -> HeaderSearch:
        return search_header(head_rows(book, name), dataset, sheet_place(name), name)

    if sheet is None:
        return choose_sheet(names, search)
    for wanted in (sheet, sheet.strip().casefold()):
        for name in names:
            if name == wanted or name.strip().casefold() == wanted:
                found = search(name)
                if not found.found:
                    raise found.error()
                return name, found
    listed = ", ".join(repr(n) for n in names)
    raise ParseError(
        f"the workbook has no sheet named {sheet!r}; its sheets are: {listed}",
        kind=ParseErrorKind.NO_SUCH_SHEET,
    )


def _empty_strings(table: Any, loaded: Any, columns: Collection[int]) -> list[tuple[int, int]]:
    """(row, position) of the empty-string cells of the dataset's text columns."""
    found = []
    for position, info in enumerate(loaded.selected_columns):
        array = table.column(position)
        if info.absolute_index in columns and pa.types.is_string(array.type):
            rows = pc.indices_nonzero(pc.fill_null(pc.equal(array, ""), False))
            found += [(row, position) for row in rows.to_pylist()]
    return found


class OdsSheetTable(SheetTable):
    """An .ods sheet: calamine gives a formula error (#DIV/0!) as an empty string, so
    content.xml is asked what those cells hold, and only for them; and which of its cells
    are merged, which calamine does not say."""

    def __init__(self, path: Path, sheet: str, *args: Any) -> None:
        self.path, self.sheet = path, sheet
        super().__init__(*args)

    def cell_fixes(
        self, table: pa.Table, errors: Sequence[Any], loaded: Any, header_number: int
    ) -> dict[int, dict[int, str | None]]:
        fixes = super().cell_fixes(table, errors, loaded, header_number)
        # in a typed column an empty string is a cell error; in a text column, a value
        empty = [e.offset_position for e in errors if e.detail.endswith(_EMPTY_STRING)]
        empty += _empty_strings(table, loaded, self.mapping.columns)
        if not empty:
            return fixes
        absolute = [info.absolute_index for info in loaded.selected_columns]
        first = header_number + 1
        wanted = {(first + row, absolute[position]) for row, position in empty}
        found = ods_error_cells(self.path, self.sheet, wanted)
        for row, position in empty:
            text = found.get((first + row, absolute[position]))
            if text:
                fixes.setdefault(position, {})[row] = text
            elif row in fixes.get(position, {}):  # an empty text cell among numbers: blank
                fixes[position][row] = None
        return fixes

    def warnings(self) -> list[str]:
        ranges, more = ods_merged_ranges(self.path, self.sheet)
        header = self.mapping.header_row or 1
        found = merged_cells_warning(ranges, more, self.mapping.columns, header)
        return [found] if found else []


def open_calamine_reader(
    path: Path | str,
    file_format: str,
    dataset: Dataset,
    chunk_rows: int,
    *,
    sheet: str | None = None,
    limits: ReaderLimits | None = None,
) -> ChunkReader:
    """Open one sheet (the named one, else the first with a header row for the dataset) of
    a .xls, .xlsb or .ods workbook as base.py batches; ParseError for what is wrong."""
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    path = Path(path)
    limits = limits or ReaderLimits()
    _check(path, file_format, limits)
    import fastexcel

    from producer.readers.calamine_table import MixedColumnTypes, load_from_header

    try:
        book = fastexcel.read_excel(str(path))
        name, found = _find_table(book, dataset, sheet)
        assert found.header is not None
        number, header = found.header
        try:
            loaded = load_from_header(book, name, number)
        except MixedColumnTypes:  # one column mixes types fastexcel cannot unite: as text
            loaded = book.load_sheet(name, header_row=number - 1, dtypes="string")
        args = (loaded, list(header), number, dataset, chunk_rows, limits, name, book)
        if file_format == "ods":
            return OdsSheetTable(path, name, *args)
        return SheetTable(*args)
    except ParseError:
        raise
    except Exception as exc:  # the library raises anything from CalamineError to panics
        raise explain(exc, file_format) from exc
