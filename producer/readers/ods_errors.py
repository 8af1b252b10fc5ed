"""The error cells of an OpenDocument sheet, read from its content.xml.

calamine reads a LibreOffice formula error (``#DIV/0!``: ``office:value-type="string"
office:string-value="" calcext:value-type="error"``) as an empty string, so the row would
pass with the cell blank. Only for the cells calamine gave as empty strings is content.xml
read, by expat, up to the last row asked for; the zip guard has already checked the file.
"""

from __future__ import annotations

import contextlib
import zipfile
from collections.abc import Collection
from pathlib import Path
from typing import Any

from producer.readers.sax import feed, new_parser

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
_SEP = "|"
_SHEET = f"{_TABLE}{_SEP}table"
_ROW = f"{_TABLE}{_SEP}table-row"
_CELLS = (f"{_TABLE}{_SEP}table-cell", f"{_TABLE}{_SEP}covered-cell")
_PARAGRAPH = f"{_TEXT}{_SEP}p"
_NAME = f"{_TABLE}{_SEP}name"
_ROWS_REPEATED = f"{_TABLE}{_SEP}number-rows-repeated"
_COLUMNS_REPEATED = f"{_TABLE}{_SEP}number-columns-repeated"
_VALUE_TYPE = f"{_CALCEXT}{_SEP}value-type"


class _Done(Exception):
    """Raised from a handler once the last wanted row is behind: expat cannot stop otherwise."""


class _ErrorCells:
    """expat handlers collecting the error cells of one sheet's wanted cells."""

    def __init__(self, sheet: str, wanted: Collection[tuple[int, int]]) -> None:
        self.sheet = sheet
        self.wanted = set(wanted)
        self.rows = {row for row, _ in self.wanted}
        self.last_row = max(self.rows, default=0)
        self.found: dict[tuple[int, int], str] = {}
        self.in_sheet = False
        self.row = 0  # 1-based number of the current row
        self.row_span = 1
        self.column = 0  # 0-based index of the next cell
        self.capture: tuple[int, int] | None = None
        self.text: list[str] = []

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
            if attrs.get(_VALUE_TYPE) == "error" and self.row in self.rows:
                for column in range(self.column, self.column + span):
                    if (self.row, column) in self.wanted:
                        self.capture, self.text = (self.row, column), []
            self.column += span
        elif name == _PARAGRAPH and self.capture is not None and self.text:
            self.text.append("\n")

    def end(self, name: str) -> None:
        if not self.in_sheet:
            return
        if name in _CELLS and self.capture is not None:
            self.found[self.capture] = "".join(self.text).strip()
            self.capture = None
        elif name == _ROW:
            self.row += self.row_span - 1
            if self.row >= self.last_row:
                raise _Done
        elif name == _SHEET:
            raise _Done

    def chars(self, data: str) -> None:
        if self.capture is not None:
            self.text.append(data)


def ods_error_cells(
    path: Path | str, sheet: str, cells: Collection[tuple[int, int]]
) -> dict[tuple[int, int], str]:
    """The error text (``#DIV/0!``) of those of ``cells`` (1-based sheet row, 0-based column)
    that hold a formula error in sheet ``sheet``, as LibreOffice shows it."""
    if not cells:
        return {}
    handlers = _ErrorCells(sheet, cells)
    parser: Any = new_parser(_SEP)
    parser.StartElementHandler = handlers.start
    parser.EndElementHandler = handlers.end
    parser.CharacterDataHandler = handlers.chars
    archive = zipfile.ZipFile(path)
    # _Done: the last wanted row is read
    with archive, archive.open("content.xml") as member, contextlib.suppress(_Done):
        feed(parser, member)
    return handlers.found
