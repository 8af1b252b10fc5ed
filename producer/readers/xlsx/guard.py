"""Checks on an XLSX file before any library parses it: that it is a workbook, that it
cannot expand without bound, that its XML declares no entities. The sheets are listed by
files/workbook.py.

Every member is inflated once here to its true end (``_confirm_member``), because a library
such as calamine (the .xlsb and .ods readers, through ``guard_zip``) inflates a deflate
stream to its own end whatever the zip directory declares. An XLSX is read by the Rust
extension (bulkflow_xlsx), which counts what it inflates of every member it reads (workbook,
styles, shared strings, sheet) and stops at the declared size or the caller's limit, so
``inspect_xlsx`` does not inflate those members twice; the directory checks (sizes, ratio,
entry count) and the prologue checks still run on every member, and the rest are confirmed.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, cast

from isal import isal_zlib

from files.sniff import OLE_MAGIC, PASSWORD_ADVICE, PASSWORD_PROTECTED
from files.workbook import (
    DAMAGED,
    NOT_XLSX,
    SHARED_STRINGS_PART,
    STYLES_PART,
    WORKBOOK_PART,
    SheetPart,
    sheet_parts,
)
from producer.readers.base import ReaderLimits, human_bytes
from producer.readers.sax import ENTITIES
from schemas.errors import ParseError, ParseErrorKind

# what reading a damaged member raises; ISA-L (which inflates about twice as fast as zlib,
# with the same API) has a stub that types its error class as an instance, hence the cast
_DAMAGED_MEMBER: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    EOFError,
    OSError,
    ValueError,
    zlib.error,
    cast(type[Exception], isal_zlib.error),
)

# a real workbook has tens of parts; thousands only serve to make scanning slow
MAX_ZIP_ENTRIES = 10_000
# a DOCTYPE can only precede the root element, so the prologue is all we must scan
MAX_PROLOGUE_BYTES = 64 * 1024
# tiny files compress oddly well (empty sheets are mostly boilerplate); judge the ratio
# only once the content is big enough to matter
RATIO_FLOOR_BYTES = 1024 * 1024
# compressed input is read in small blocks so that each one inflates within the output
# cap: a block that does not leaves an unconsumed tail, copied again on every call. Output
# pieces of 1 MiB cost page faults on every allocation; 256 KiB ones are reused
INFLATE_READ_BYTES = 64 * 1024
INFLATE_OUTPUT_BYTES = 256 * 1024
_ROOT_START = re.compile(rb"<[A-Za-z_]")
_MALFORMED = ParseErrorKind.MALFORMED


def explain_library_error(exc: Exception) -> ParseError:
    """A library's exception as a ParseError: its first line, never a traceback."""
    lines = str(exc).strip().splitlines()
    reason = lines[0] if lines else type(exc).__name__
    return ParseError(f"the XLSX file cannot be read: {reason}", kind=_MALFORMED)


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        with path.open("rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise ParseError(
            f"cannot read the file: {exc.strerror}", kind=ParseErrorKind.UNREADABLE
        ) from exc
    if head.startswith(OLE_MAGIC):
        # password-protected .xlsx files are OLE containers too
        raise ParseError(
            f"{NOT_XLSX}: it is an old .xls file or a password-protected workbook; "
            f"{PASSWORD_ADVICE}",
            kind=ParseErrorKind.UNSUPPORTED_FORMAT,
        )
    if not head.startswith(b"PK"):
        raise ParseError(NOT_XLSX, kind=ParseErrorKind.UNSUPPORTED_FORMAT)
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise ParseError(DAMAGED, kind=_MALFORMED) from exc


def _check_sizes(archive: zipfile.ZipFile, limits: ReaderLimits) -> None:
    entries = archive.infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise ParseError(
            f"{NOT_XLSX}: it holds {len(entries)} files", kind=ParseErrorKind.TOO_LARGE
        )
    total = sum(e.file_size for e in entries)
    packed = sum(e.compress_size for e in entries)
    if total > limits.max_uncompressed_bytes:
        raise ParseError(
            f"the XLSX file expands to {human_bytes(total)}, more than the limit of "
            f"{human_bytes(limits.max_uncompressed_bytes)}",
            kind=ParseErrorKind.TOO_LARGE,
        )
    if total > RATIO_FLOOR_BYTES and total > limits.max_compression_ratio * max(packed, 1):
        raise ParseError(
            f"the XLSX file expands {total / max(packed, 1):.0f} times its size, more than the "
            f"limit of {limits.max_compression_ratio:.0f}; it looks like a zip bomb",
            kind=ParseErrorKind.TOO_LARGE,
        )


def _check_prologue(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    head = b""
    with archive.open(info) as member:
        while len(head) < MAX_PROLOGUE_BYTES:
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
        raise ParseError(ENTITIES, kind=_MALFORMED)
    if head and not match:
        raise ParseError(f"{DAMAGED}: {info.filename} is not XML", kind=_MALFORMED)


def _as_utf8(head: bytes) -> bytes:
    # XML may be UTF-16; decode so the markup scan sees '<!DOCTYPE', not interleaved NULs
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return head.decode("utf-16", errors="ignore").encode("utf-8")
    return head


def _confirm_member(f: BinaryIO, info: zipfile.ZipInfo) -> None:
    """Inflate the member's raw deflate stream (from ``f``, the zip file) to its true end,
    refusing more bytes than the directory declared, and check its CRC. zipfile itself
    stops at the declared size, but the Rust zip reader under calamine inflates to the end
    of the stream: a directory that understates a member must not slip a bomb past the size
    checks."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ParseError(
            f"{DAMAGED}: {info.filename} uses an unsupported compression", kind=_MALFORMED
        )
    f.seek(info.header_offset)
    local = f.read(30)
    if len(local) < 30 or local[:4] != b"PK\x03\x04":
        raise ParseError(DAMAGED, kind=_MALFORMED)
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    f.seek(info.header_offset + 30 + name_len + extra_len)
    deflated = info.compress_type == zipfile.ZIP_DEFLATED
    inflate = isal_zlib.decompressobj(-15) if deflated else None
    left, seen, crc = info.compress_size, 0, 0
    while left > 0:
        block = f.read(min(INFLATE_READ_BYTES, left))
        if not block:
            raise ParseError(DAMAGED, kind=_MALFORMED)
        left -= len(block)
        while block:
            out = inflate.decompress(block, INFLATE_OUTPUT_BYTES) if inflate else block
            block = inflate.unconsumed_tail if inflate else b""
            seen += len(out)
            if seen > info.file_size:
                raise ParseError(
                    f"{DAMAGED}: {info.filename} is larger than declared", kind=_MALFORMED
                )
            crc = isal_zlib.crc32(out, crc)
        if inflate and inflate.eof:
            break
    if seen != info.file_size or crc != info.CRC:
        raise ParseError(DAMAGED, kind=_MALFORMED)


def check_zip_workbook(
    archive: zipfile.ZipFile,
    path: Path | str,
    limits: ReaderLimits,
    inflated_by_reader: Callable[[str], bool] | None = None,
) -> None:
    """The guards of every zipped workbook (.xlsx, .xlsb, .ods): size and expansion caps, no
    XML entity declarations, every member inflating to exactly its declared size (but those
    ``inflated_by_reader`` names, whose reader caps inflation itself)."""
    _check_sizes(archive, limits)
    for info in archive.infolist():
        if info.filename.endswith((".xml", ".rels", ".vml", ".rdf")):
            _check_prologue(archive, info)
    with Path(path).open("rb") as f:
        for info in archive.infolist():
            if inflated_by_reader is None or not inflated_by_reader(info.filename):
                _confirm_member(f, info)


def read_by_rust_extension(name: str) -> bool:
    """Whether bulkflow_xlsx inflates this member itself, capped (when it reads it at all):
    the workbook, its styles and shared strings, and the worksheets (whose heads the row
    estimate reads through zipfile, which stops at the declared size too)."""
    name = name.replace("\\", "/").lower()
    if name in (WORKBOOK_PART, SHARED_STRINGS_PART.lower(), STYLES_PART):
        return True
    return name.startswith("xl/worksheets/") and name.count("/") == 2 and name.endswith(".xml")


def guard_zip(
    path: Path | str,
    limits: ReaderLimits,
    required_part: str | None = None,
    inflated_by_reader: Callable[[str], bool] | None = None,
) -> None:
    """Run every guard on a zipped workbook, ``required_part`` must be in it."""
    with _open_zip(Path(path)) as archive:
        try:
            if required_part is not None and required_part not in set(archive.namelist()):
                raise ParseError(NOT_XLSX, kind=ParseErrorKind.UNSUPPORTED_FORMAT)
            check_zip_workbook(archive, path, limits, inflated_by_reader)
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError, NotImplementedError) as exc:
            raise ParseError(DAMAGED, kind=_MALFORMED) from exc
        except RuntimeError as exc:  # zipfile's word for an encrypted member
            raise ParseError(PASSWORD_PROTECTED, kind=ParseErrorKind.UNSUPPORTED_FORMAT) from exc


def inspect_xlsx(path: Path | str, limits: ReaderLimits) -> list[SheetPart]:
    """Run every guard, then list the worksheets in workbook order. The members the Rust
    extension inflates under its own cap are not inflated here first."""
    guard_zip(path, limits, WORKBOOK_PART, read_by_rust_extension)
    with zipfile.ZipFile(path) as archive:
        return sheet_parts(archive)
