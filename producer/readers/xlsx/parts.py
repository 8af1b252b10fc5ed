"""The workbook's parts besides a sheet's cells: its sheets (names and zip members), the
shared-strings table, which cell styles are dates (styles.xml) and its date epoch.

The rules are openpyxl's (read-only, data_only), so the text of every cell stays what the
openpyxl-based reader gave: the same date formats (openpyxl.styles.numbers), the same
shared-string quirk (``x005F_`` removed), the same epochs.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from producer.errors import ParseError, ParseErrorKind
from producer.readers.xlsx.constants import (
    DAMAGED,
    MAC_EPOCH,
    MAIN_NS,
    NOT_XLSX,
    PKG_REL_NS,
    REL_NS,
    SHARED_STRINGS_PART,
    STYLES_PART,
    WINDOWS_EPOCH,
    WORKBOOK_PART,
    WORKBOOK_RELS_PART,
)
from producer.readers.xlsx.sax import feed, local, new_parser


@dataclass(frozen=True)
class SheetPart:
    name: str
    part: str  # zip member holding the sheet's XML
    xml_bytes: int  # its uncompressed size, as the zip directory declares it


def _part_of(target: str) -> str:
    """The zip member a workbook relationship's target names."""
    part = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    return posixpath.normpath(part)


def sheet_parts(archive: zipfile.ZipFile) -> list[SheetPart]:
    """The worksheets in workbook order."""
    try:
        workbook = SafeET.fromstring(archive.read(WORKBOOK_PART))
        rels = {}
        if WORKBOOK_RELS_PART in archive.namelist():
            root = SafeET.fromstring(archive.read(WORKBOOK_RELS_PART))
            rels = {
                r.get("Id"): r.get("Target", "") for r in root.iter(f"{PKG_REL_NS}Relationship")
            }
    except (SafeET.ParseError, DefusedXmlException) as exc:
        raise ParseError(
            f"{DAMAGED}: its workbook.xml cannot be read", kind=ParseErrorKind.MALFORMED
        ) from exc
    sizes = {i.filename: i.file_size for i in archive.infolist()}
    sheets = []
    for n, sheet in enumerate(workbook.iter(f"{MAIN_NS}sheet"), start=1):
        part = _part_of(rels.get(sheet.get(f"{REL_NS}id"), f"worksheets/sheet{n}.xml"))
        sheets.append(SheetPart(sheet.get("name", f"Sheet{n}"), part, sizes.get(part, 0)))
    if not sheets:
        raise ParseError(f"{NOT_XLSX}: it has no sheets", kind=ParseErrorKind.MALFORMED)
    return sheets


def select_sheet(sheets: list[SheetPart], name: str | None) -> SheetPart:
    """The named sheet (exactly, else ignoring case and outer blanks), the first if unnamed."""
    if name is None:
        return sheets[0]
    for wanted in (name, name.strip().casefold()):
        for sheet in sheets:
            if sheet.name == wanted or sheet.name.strip().casefold() == wanted:
                return sheet
    listed = ", ".join(repr(s.name) for s in sheets)
    raise ParseError(
        f"the workbook has no sheet named {name!r}; its sheets are: {listed}",
        kind=ParseErrorKind.NO_SUCH_SHEET,
    )


def shared_strings_part(archive: zipfile.ZipFile) -> str | None:
    """The zip member of the shared-strings table, None when the workbook has none."""
    names = set(archive.namelist())
    if WORKBOOK_RELS_PART in names:
        root = SafeET.fromstring(archive.read(WORKBOOK_RELS_PART))
        for rel in root.iter(f"{PKG_REL_NS}Relationship"):
            if rel.get("Type", "").endswith("/sharedStrings"):
                part = _part_of(rel.get("Target", ""))
                return part if part in names else None
    return SHARED_STRINGS_PART if SHARED_STRINGS_PART in names else None


def read_shared_strings(archive: zipfile.ZipFile, text: Callable[[str], Any]) -> list[Any]:
    """``text(s)`` of every shared string, in order: plain <t> and rich-text runs joined,
    phonetic hints (<rPh>) left out, ``x005F_`` removed as openpyxl does."""
    part = shared_strings_part(archive)
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

    if STYLES_PART not in archive.namelist():
        return set(), set()
    root = SafeET.fromstring(archive.read(STYLES_PART))
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
    root = SafeET.fromstring(archive.read(WORKBOOK_PART))
    for elem in root.iter():
        if elem.tag.endswith("workbookPr"):
            flag = (elem.get("date1904") or "").strip().lower()
            return MAC_EPOCH if flag in ("1", "true") else WINDOWS_EPOCH
    return WINDOWS_EPOCH
