"""The header search's look-ups in the sheet's head (both XLSX paths): its header row and
the shared strings that row uses, read only as far as needed.

Both stop at the first element they need. ElementTree's iterparse would build every
element of each 16 KiB it reads (some 900 for a typical sheet) before the first row is
handed over; here expat feeds a TreeBuilder only for the elements looked for, and the
parse ends as soon as they are found. The elements built are ElementTree's, so the rules
that read them are the same as before.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element, TreeBuilder

from producer.readers.xlsx.constants import HEAD_FIRST_READ_BYTES, HEAD_MAX_READ_BYTES
from producer.readers.xlsx.parts import shared_strings_part
from producer.readers.xlsx.refs import column_index
from producer.readers.xlsx.sax import new_parser

# calamine's reading of a reference: upper-case letters then the row, else the next column
_CELL_REF = re.compile(r"([A-Z]{1,3})\d+$")


@dataclass(frozen=True)
class HeaderRow:
    number: int  # 1-based sheet row
    cells: dict[int, tuple[str, str]]  # 0-based column -> (cell type attribute, raw text)


class _Done(Exception):
    """Raised from a handler: expat has no other way to stop mid-buffer."""


def _tag(elem: Element) -> str:
    return elem.tag.rsplit("}", 1)[-1]


def _scan(member: IO[bytes], wanted: str, take: Callable[[Element], bool]) -> None:
    """Parse ``member`` until ``take`` returns True for a closed element named ``wanted``
    (any namespace, any depth), handed over whole as iterparse's "end" event would be."""
    # namespaces processed as ElementTree's parser does, so an unbound prefix still fails
    parser = new_parser("}")
    builder: TreeBuilder | None = None
    depth = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal builder, depth
        if builder is None:
            if name.rpartition("}")[2] != wanted:
                return
            builder = TreeBuilder()
        depth += 1
        builder.start(name, attrs)

    def end(name: str) -> None:
        nonlocal builder, depth
        if builder is None:
            return
        elem = builder.end(name)
        depth -= 1
        if name.rpartition("}")[2] == wanted and take(elem):
            raise _Done
        if depth == 0:
            builder = None  # the subtree is handled: let it go

    def data(text: str) -> None:
        if builder is not None:
            builder.data(text)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    size = HEAD_FIRST_READ_BYTES
    try:
        while True:
            block = member.read(size)
            parser.Parse(block, not block)
            if not block:
                return
            size = min(size * 2, HEAD_MAX_READ_BYTES)
    except _Done:
        return


def _cell_raw(cell: Element) -> str | None:
    """The stored text of a cell (a shared-string index for t="s"), None when it holds none."""
    for child in cell:
        if _tag(child) == "v":
            return child.text or None
        if _tag(child) == "is":
            return _rich_text(child)
    return None


def _rich_text(elem: Element) -> str:
    """Text of an <si> or <is>: plain <t>, or the <t> of each run; phonetic hints excluded."""
    parts = []
    for child in elem:
        tag = _tag(child)
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts.extend(t.text or "" for t in child if _tag(t) == "t")
    return "".join(parts)


def _column(ref: str | None, previous: int) -> int:
    match = _CELL_REF.match(ref or "")
    if not match:
        return previous + 1
    return column_index(match.group(1))


def read_head_rows(path: Path | str, part: str, last_row: int) -> list[HeaderRow]:
    """The rows holding a value (as calamine sees them) numbered up to ``last_row``, from the
    head of the sheet only: the parse stops at the first row past it."""
    number = 0
    found: list[HeaderRow] = []

    def take(row: Element) -> bool:
        nonlocal number
        number = int(row.get("r") or number + 1)
        if number > last_row:
            return True
        cells: dict[int, tuple[str, str]] = {}
        column = -1
        for cell in row:
            column = _column(cell.get("r"), column)
            raw = _cell_raw(cell)
            if raw is not None:
                cells[column] = (cell.get("t", "n"), raw)
        if cells:
            found.append(HeaderRow(number, cells))
        return False

    with zipfile.ZipFile(path) as archive, archive.open(part) as member:
        _scan(member, "row", take)
    return found


def row_texts(row: HeaderRow, strings: dict[int, str]) -> list[str | None]:
    """A head row's cells as text by column, for the header search: shared strings looked
    up, booleans spelled, numbers as stored (a header is text; they only need to differ)."""
    cells: list[str | None] = [None] * (max(row.cells, default=-1) + 1)
    for column, (kind, raw) in row.cells.items():
        if kind == "s":
            cells[column] = strings.get(int(raw)) if raw.isdigit() else None
        elif kind == "b":
            cells[column] = "TRUE" if raw == "1" else "FALSE"
        else:
            cells[column] = raw
    return cells


def string_indices(rows: list[HeaderRow]) -> set[int]:
    return {
        int(raw) for r in rows for kind, raw in r.cells.values() if kind == "s" and raw.isdigit()
    }


def shared_strings(path: Path | str, wanted: set[int]) -> dict[int, str]:
    """The shared strings at these indices; the table is read only as far as needed."""
    found: dict[int, str] = {}
    if not wanted:
        return found
    last = max(wanted)
    index = 0

    def take(si: Element) -> bool:
        nonlocal index
        if index in wanted:
            found[index] = _rich_text(si)
        index += 1
        return index > last

    with zipfile.ZipFile(path) as archive:
        part = shared_strings_part(archive)
        if part is None:
            return found
        with archive.open(part) as member:
            _scan(member, "si", take)
    return found
