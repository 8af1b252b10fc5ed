"""The workbook parts the streaming XLSX reader needs besides the sheet, read with the C
expat parser: the shared-strings table, which cell styles are dates, and the date epoch.

The rules are openpyxl's (read-only, data_only), so the text of every cell stays what the
openpyxl-based reader gave: the same date formats (openpyxl.styles.numbers), the same
shared-string quirk (``x005F_`` removed), the same epochs.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable
from typing import Any
from xml.parsers import expat

from defusedxml import ElementTree as SafeET

from producer.errors import ParseError
from producer.readers.xlsx_guard import ENTITIES, _shared_strings_part

CHUNK = 1024 * 1024
WINDOWS_EPOCH = dt.datetime(1899, 12, 30)
MAC_EPOCH = dt.datetime(1904, 1, 1)
_STYLES_PART = "xl/styles.xml"  # where openpyxl looks for it, whatever the rels say


def _refuse_dtd(*_: Any) -> None:
    raise ParseError(ENTITIES)


def new_parser(namespace_separator: str | None = None) -> Any:
    """An expat parser that buffers text and refuses any DTD (the guard already did).
    With ``namespace_separator`` names come as ``uri<sep>local``, as ElementTree's are."""
    parser = expat.ParserCreate(None, namespace_separator)
    parser.buffer_text = True
    parser.buffer_size = 64 * 1024
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return parser


def local(name: str) -> str:
    """'x:row' -> 'row': some writers prefix the main namespace."""
    return name.rpartition(":")[2]


def feed(parser: Any, member: Any) -> None:
    """The whole member through the parser, 1 MiB at a time."""
    while True:
        block = member.read(CHUNK)
        if not block:
            parser.Parse(b"", True)
            return
        parser.Parse(block, False)


def read_shared_strings(archive: zipfile.ZipFile, text: Callable[[str], Any]) -> list[Any]:
    """``text(s)`` of every shared string, in order: plain <t> and rich-text runs joined,
    phonetic hints (<rPh>) left out, ``x005F_`` removed as openpyxl does."""
    part = _shared_strings_part(archive)
    if part is None:
        return []
    strings: list[Any] = []
    parts: list[str] = []
    pieces: list[str] = []
    phonetic = False

    def start(name: str, _attrs: dict[str, str]) -> None:
        nonlocal phonetic
        name = local(name)
        if name == "t":
            parts.clear()
        elif name == "si":
            pieces.clear()
        elif name == "rPh":
            phonetic = True

    def end(name: str) -> None:
        nonlocal phonetic
        name = local(name)
        if name == "t":
            if not phonetic:
                pieces.append("".join(parts))
            parts.clear()
        elif name == "si":
            value = "".join(pieces)
            if "x005F_" in value:
                value = value.replace("x005F_", "")
            strings.append(text(value))
            parts.clear()
        elif name == "rPh":
            phonetic = False

    parser = new_parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = parts.append
    with archive.open(part) as member:
        feed(parser, member)
    return strings


def read_date_styles(archive: zipfile.ZipFile) -> tuple[set[int], set[int]]:
    """The cell style indexes (cellXfs) whose number format is a date, and of those the
    ones that are durations ([h]:mm ...), by openpyxl's rules."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

    if _STYLES_PART not in archive.namelist():
        return set(), set()
    root = SafeET.fromstring(archive.read(_STYLES_PART))
    custom: dict[int, str] = {}
    cell_xfs: list[int] = []
    for elem in root.iter():
        name = local(elem.tag.rpartition("}")[2])
        if name == "numFmt":
            custom[int(elem.get("numFmtId", "0"))] = elem.get("formatCode", "")
        elif name == "cellXfs":
            cell_xfs = [int(xf.get("numFmtId", "0")) for xf in elem if xf.tag.endswith("xf")]
    dates: set[int] = set()
    durations: set[int] = set()
    for index, number_format in enumerate(cell_xfs):
        code = custom.get(number_format, BUILTIN_FORMATS.get(number_format))
        if is_date_format(code):
            dates.add(index)
        if is_timedelta_format(code):
            durations.add(index)
    return dates, durations


def read_epoch(archive: zipfile.ZipFile) -> dt.datetime:
    """1899-12-30, or 1904-01-01 for a workbook with <workbookPr date1904="1"/>."""
    root = SafeET.fromstring(archive.read("xl/workbook.xml"))
    for elem in root.iter():
        if elem.tag.endswith("workbookPr"):
            flag = (elem.get("date1904") or "").strip().lower()
            return MAC_EPOCH if flag in ("1", "true") else WINDOWS_EPOCH
    return WINDOWS_EPOCH
