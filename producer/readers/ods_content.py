"""What calamine does not tell of an OpenDocument sheet, read from its content.xml by expat:
its error cells and its merged ranges.

calamine reads a LibreOffice formula error (``#DIV/0!``: ``office:value-type="string"
office:string-value="" calcext:value-type="error"``) as an empty string, so the row would
pass with the cell blank. Only for the cells calamine gave as empty strings is content.xml
read, up to the last row asked for. Merged ranges (``table:number-rows-spanned``, and the
``table:covered-table-cell`` elements under them) are read only when content.xml declares
any. The zip guard has already checked the file.
"""

from __future__ import annotations

import contextlib
import zipfile
from collections.abc import Collection
from pathlib import Path
from typing import Any

from producer.readers.merged_cells import Range
from producer.readers.sax import XML_BLOCK_BYTES, feed, new_parser

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
_SEP = "|"
_SHEET = f"{_TABLE}{_SEP}table"
_ROW = f"{_TABLE}{_SEP}table-row"
_CELLS = (f"{_TABLE}{_SEP}table-cell", f"{_TABLE}{_SEP}covered-table-cell")
_PARAGRAPH = f"{_TEXT}{_SEP}p"
_NAME = f"{_TABLE}{_SEP}name"
_ROWS_REPEATED = f"{_TABLE}{_SEP}number-rows-repeated"
_COLUMNS_REPEATED = f"{_TABLE}{_SEP}number-columns-repeated"
_ROWS_SPANNED = f"{_TABLE}{_SEP}number-rows-spanned"
_COLUMNS_SPANNED = f"{_TABLE}{_SEP}number-columns-spanned"
_VALUE_TYPE = f"{_CALCEXT}{_SEP}value-type"
_SPANNED = (b"number-rows-spanned", b"number-columns-spanned")
MAX_MERGED = 1_000  # ranges kept, as the XLSX reader keeps them; the rest are counted


class _Done(Exception):
    """Raised from a handler once the wanted rows are behind: expat cannot stop otherwise."""


class _SheetWalk:
    """expat handlers that follow one sheet's rows and columns through their repeats."""

    def __init__(self, sheet: str, last_row: int | None = None) -> None:
        self.sheet = sheet
        self.last_row = last_row  # stop after this row (1-based); None: the whole sheet
        self.in_sheet = False
        self.row = 0  # 1-based number of the current row
        self.row_span = 1
        self.column = 0  # 0-based index of the next cell

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == _SHEET:
            self.in_sheet = attrs.get(_NAME) == self.sheet
        elif not self.in_sheet:
            return
        elif name == _ROW:
            self.row += 1
            self.row_span = int(attrs.get(_ROWS_REPEATED, "1"))
            self.column = 0
        elif name in _CELLS:
            span = int(attrs.get(_COLUMNS_REPEATED, "1"))
            self.cell(attrs, span)
            self.column += span
        elif name == _PARAGRAPH:
            self.paragraph()

    def end(self, name: str) -> None:
        if not self.in_sheet:
            return
        if name in _CELLS:
            self.cell_end()
        elif name == _ROW:
            self.row += self.row_span - 1
            if self.last_row is not None and self.row >= self.last_row:
                raise _Done
        elif name == _SHEET:
            raise _Done

    def cell(self, attrs: dict[str, str], span: int) -> None: ...

    def cell_end(self) -> None: ...

    def paragraph(self) -> None: ...


class _ErrorCells(_SheetWalk):
    """The error text of the wanted cells."""

    def __init__(self, sheet: str, wanted: Collection[tuple[int, int]]) -> None:
        self.wanted = set(wanted)
        self.rows = {row for row, _ in self.wanted}
        super().__init__(sheet, max(self.rows, default=0))
        self.found: dict[tuple[int, int], str] = {}
        self.capture: tuple[int, int] | None = None
        self.text: list[str] = []

    def cell(self, attrs: dict[str, str], span: int) -> None:
        if attrs.get(_VALUE_TYPE) == "error" and self.row in self.rows:
            for column in range(self.column, self.column + span):
                if (self.row, column) in self.wanted:
                    self.capture, self.text = (self.row, column), []

    def cell_end(self) -> None:
        if self.capture is not None:
            self.found[self.capture] = "".join(self.text).strip()
            self.capture = None

    def paragraph(self) -> None:
        if self.capture is not None and self.text:
            self.text.append("\n")

    def chars(self, data: str) -> None:
        if self.capture is not None:
            self.text.append(data)


class _MergedRanges(_SheetWalk):
    """The sheet's merged ranges, 0-based, and how many past MAX_MERGED."""

    def __init__(self, sheet: str) -> None:
        super().__init__(sheet)
        self.ranges: list[Range] = []
        self.more = 0

    def cell(self, attrs: dict[str, str], span: int) -> None:
        rows = int(attrs.get(_ROWS_SPANNED, "1"))
        columns = int(attrs.get(_COLUMNS_SPANNED, "1"))
        if rows > 1 or columns > 1:
            if len(self.ranges) < MAX_MERGED:
                first = (self.row - 1, self.column)
                self.ranges.append((first, (first[0] + rows - 1, first[1] + columns - 1)))
            else:
                self.more += 1


def _walk(path: Path | str, walk: _SheetWalk, chars: Any = None) -> None:
    parser: Any = new_parser(_SEP)
    parser.StartElementHandler = walk.start
    parser.EndElementHandler = walk.end
    if chars is not None:
        parser.CharacterDataHandler = chars
    archive = zipfile.ZipFile(path)
    # _Done: the rows wanted are read
    with archive, archive.open("content.xml") as member, contextlib.suppress(_Done):
        feed(parser, member)


def ods_error_cells(
    path: Path | str, sheet: str, cells: Collection[tuple[int, int]]
) -> dict[tuple[int, int], str]:
    """The error text (``#DIV/0!``) of those of ``cells`` (1-based sheet row, 0-based column)
    that hold a formula error in sheet ``sheet``, as LibreOffice shows it."""
    if not cells:
        return {}
    walk = _ErrorCells(sheet, cells)
    _walk(path, walk, walk.chars)
    return walk.found


def _declares_spans(path: Path | str) -> bool:
    """Whether content.xml names a span anywhere: a byte search, far cheaper than expat."""
    tail = b""
    with zipfile.ZipFile(path) as archive, archive.open("content.xml") as member:
        while block := member.read(XML_BLOCK_BYTES):
            window = tail + block
            if any(word in window for word in _SPANNED):
                return True
            tail = block[-len(_SPANNED[1]) :]
    return False


def ods_merged_ranges(path: Path | str, sheet: str) -> tuple[list[Range], int]:
    """Sheet ``sheet``'s merged ranges (0-based) and how many more past the first 1,000."""
    if not _declares_spans(path):
        return [], 0
    walk = _MergedRanges(sheet)
    _walk(path, walk)
    return walk.ranges, walk.more
