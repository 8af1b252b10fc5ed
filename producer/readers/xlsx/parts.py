"""The workbook's parts besides a sheet's cells: its sheets (names and zip members) and
where its shared-strings table is. The cells themselves are read by the Rust extension
(rust_reader.py, the default) or fastexcel (fast.py, opt-in); the head of a sheet by head.py."""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from producer.errors import ParseError, ParseErrorKind
from producer.readers.xlsx.constants import (
    DAMAGED,
    MAIN_NS,
    NOT_XLSX,
    PKG_REL_NS,
    REL_NS,
    SHARED_STRINGS_PART,
    WORKBOOK_PART,
    WORKBOOK_RELS_PART,
)


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
