"""An XLSX workbook's table of contents: its sheets, by name, and the zip members that
hold them. The row estimate (estimate.py) reads the first sheet's head through it, the
producer's XLSX reader (producer/readers/xlsx/) the sheet it is asked for."""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from schemas.errors import ParseError, ParseErrorKind

WORKBOOK_PART = "xl/workbook.xml"
WORKBOOK_RELS_PART = "xl/_rels/workbook.xml.rels"
SHARED_STRINGS_PART = "xl/sharedStrings.xml"  # when the workbook's rels do not say
STYLES_PART = "xl/styles.xml"  # where openpyxl looks for it, whatever the rels say
MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# messages for a person
NOT_XLSX = "not an Excel .xlsx workbook"
DAMAGED = "the XLSX file is damaged or truncated"


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
