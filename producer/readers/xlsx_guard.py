"""Checks on an XLSX file before any library parses it: that it is a workbook, that it
cannot expand without bound, that its XML declares no entities; plus cheap look-ups
(sheet names and parts) read from the zip. The header row is read by xlsx_head.py."""

from __future__ import annotations

import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from producer.errors import ParseError
from producer.readers.base import ReaderLimits
from producer.readers.csv import human_bytes

NOT_XLSX = "not an Excel .xlsx workbook"
DAMAGED = "the XLSX file is damaged or truncated"
ENTITIES = "the workbook contains XML entity declarations, which are not allowed"

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# a real workbook has tens of parts; thousands only serve to make scanning slow
_MAX_ENTRIES = 10_000
# a DOCTYPE can only precede the root element, so the prologue is all we must scan
_MAX_PROLOGUE = 64 * 1024
# tiny files compress oddly well (empty sheets are mostly boilerplate); judge the ratio
# only once the content is big enough to matter
_RATIO_FLOOR = 1024 * 1024
# compressed input is read in small blocks so that each one inflates within the output
# cap: a block that does not leaves an unconsumed tail, copied again on every call. Output
# pieces of 1 MiB cost page faults on every allocation; 256 KiB ones are reused
_READ = 64 * 1024
_INFLATE = 256 * 1024
_ROOT_START = re.compile(rb"<[A-Za-z_]")


@dataclass(frozen=True)
class SheetPart:
    name: str
    part: str  # zip member holding the sheet's XML
    xml_bytes: int  # its uncompressed size, as the zip directory declares it


def explain_library_error(exc: Exception) -> ParseError:
    """A library's exception as a ParseError: its first line, never a traceback."""
    lines = str(exc).strip().splitlines()
    reason = lines[0] if lines else type(exc).__name__
    return ParseError(f"the XLSX file cannot be read: {reason}")


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        with path.open("rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise ParseError(f"cannot read the file: {exc.strerror}") from exc
    if head.startswith(_OLE_MAGIC):
        # password-protected .xlsx files are OLE containers too
        raise ParseError(
            f"{NOT_XLSX}: it is an old .xls file or a password-protected workbook; "
            "save it as .xlsx without a password"
        )
    if not head.startswith(b"PK"):
        raise ParseError(NOT_XLSX)
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise ParseError(DAMAGED) from exc


def _check_sizes(archive: zipfile.ZipFile, limits: ReaderLimits) -> None:
    entries = archive.infolist()
    if len(entries) > _MAX_ENTRIES:
        raise ParseError(f"{NOT_XLSX}: it holds {len(entries)} files")
    total = sum(e.file_size for e in entries)
    packed = sum(e.compress_size for e in entries)
    if total > limits.max_uncompressed_bytes:
        raise ParseError(
            f"the XLSX file expands to {human_bytes(total)}, more than the limit of "
            f"{human_bytes(limits.max_uncompressed_bytes)}"
        )
    if total > _RATIO_FLOOR and total > limits.max_compression_ratio * max(packed, 1):
        raise ParseError(
            f"the XLSX file expands {total / max(packed, 1):.0f} times its size, more than the "
            f"limit of {limits.max_compression_ratio:.0f}; it looks like a zip bomb"
        )


def _check_prologue(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    head = b""
    with archive.open(info) as member:
        while len(head) < _MAX_PROLOGUE:
            block = member.read(4096)
            if not block:
                break
            head += block
            if _ROOT_START.search(_as_utf8(head)):
                break
    text = _as_utf8(head)
    match = _ROOT_START.search(text)
    prologue = text[: match.start()] if match else text
    if b"<!DOCTYPE" in prologue.upper() or b"<!ENTITY" in prologue.upper():
        raise ParseError(ENTITIES)
    if head and not match:
        raise ParseError(f"{DAMAGED}: {info.filename} is not XML")


def _as_utf8(head: bytes) -> bytes:
    # XML may be UTF-16; decode so the markup scan sees '<!DOCTYPE', not interleaved NULs
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return head.decode("utf-16", errors="ignore").encode("utf-8")
    return head


def _verify_reads(f: BinaryIO, info: zipfile.ZipInfo) -> None:
    """Inflate the member's raw deflate stream (from ``f``, the zip file) to its true end,
    refusing more bytes than the directory declared, and check its CRC. zipfile itself
    stops at the declared size, but the Rust zip reader under calamine inflates to the end
    of the stream: a directory that understates a member must not slip a bomb past the size
    checks."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ParseError(f"{DAMAGED}: {info.filename} uses an unsupported compression")
    f.seek(info.header_offset)
    local = f.read(30)
    if len(local) < 30 or local[:4] != b"PK\x03\x04":
        raise ParseError(DAMAGED)
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    f.seek(info.header_offset + 30 + name_len + extra_len)
    inflate = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    left, seen, crc = info.compress_size, 0, 0
    while left > 0:
        block = f.read(min(_READ, left))
        if not block:
            raise ParseError(DAMAGED)
        left -= len(block)
        while block:
            out = inflate.decompress(block, _INFLATE) if inflate else block
            block = inflate.unconsumed_tail if inflate else b""
            seen += len(out)
            if seen > info.file_size:
                raise ParseError(f"{DAMAGED}: {info.filename} is larger than declared")
            crc = zlib.crc32(out, crc)
        if inflate and inflate.eof:
            break
    if seen != info.file_size or crc != info.CRC:
        raise ParseError(DAMAGED)


def inspect_xlsx(path: Path | str, limits: ReaderLimits) -> list[SheetPart]:
    """Run every guard, then list the worksheets in workbook order."""
    with _open_zip(Path(path)) as archive:
        try:
            names = set(archive.namelist())
            if "xl/workbook.xml" not in names:
                raise ParseError(NOT_XLSX)
            _check_sizes(archive, limits)
            for info in archive.infolist():
                if info.filename.endswith((".xml", ".rels", ".vml")):
                    _check_prologue(archive, info)
            with Path(path).open("rb") as f:
                for info in archive.infolist():
                    _verify_reads(f, info)
            return sheet_parts(archive)
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError, NotImplementedError) as exc:
            raise ParseError(DAMAGED) from exc
        except RuntimeError as exc:  # zipfile's word for an encrypted member
            raise ParseError(f"{NOT_XLSX}: its parts are encrypted") from exc


def sheet_parts(archive: zipfile.ZipFile) -> list[SheetPart]:
    try:
        workbook = SafeET.fromstring(archive.read("xl/workbook.xml"))
        rels = {}
        if "xl/_rels/workbook.xml.rels" in archive.namelist():
            root = SafeET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
            rels = {
                r.get("Id"): r.get("Target", "") for r in root.iter(f"{_PKG_REL_NS}Relationship")
            }
    except (SafeET.ParseError, DefusedXmlException) as exc:
        raise ParseError(f"{DAMAGED}: its workbook.xml cannot be read") from exc
    sizes = {i.filename: i.file_size for i in archive.infolist()}
    sheets = []
    for n, sheet in enumerate(workbook.iter(f"{_MAIN_NS}sheet"), start=1):
        target = rels.get(sheet.get(f"{_REL_NS}id"), f"worksheets/sheet{n}.xml")
        part = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        part = posixpath.normpath(part)
        sheets.append(SheetPart(sheet.get("name", f"Sheet{n}"), part, sizes.get(part, 0)))
    if not sheets:
        raise ParseError(f"{NOT_XLSX}: it has no sheets")
    return sheets


def select_sheet(sheets: list[SheetPart], name: str | None) -> SheetPart:
    if name is None:
        return sheets[0]
    for wanted in (name, name.strip().casefold()):
        for sheet in sheets:
            if sheet.name == wanted or sheet.name.strip().casefold() == wanted:
                return sheet
    listed = ", ".join(repr(s.name) for s in sheets)
    raise ParseError(f"the workbook has no sheet named {name!r}; its sheets are: {listed}")


def _shared_strings_part(archive: zipfile.ZipFile) -> str | None:
    names = set(archive.namelist())
    if "xl/_rels/workbook.xml.rels" in names:
        root = SafeET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        for rel in root.iter(f"{_PKG_REL_NS}Relationship"):
            if rel.get("Type", "").endswith("/sharedStrings"):
                target = rel.get("Target", "")
                part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                return posixpath.normpath(part) if posixpath.normpath(part) in names else None
    return "xl/sharedStrings.xml" if "xl/sharedStrings.xml" in names else None
